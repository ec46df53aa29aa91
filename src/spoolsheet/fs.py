"""The one place that writes files durably and asks whether a local process still runs.

Every file spoolsheet replaces (a workbook, a backup and its manifest, a lock holder file, a
sample) goes through ``atomic_write``: a temp file in the same folder, fsynced, renamed over the
target, and the folder fsynced, so a crash leaves the old file or the new one, never a torn one.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

TMP_SUFFIX = ".tmp"


def temp_path(target: Path) -> Path:
    """A hidden temp name beside ``target``, unique per process and thread."""
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}{TMP_SUFFIX}")


def sweep_temps(target: Path) -> None:
    """Remove temp files a writer of ``target`` left when it died mid-write.

    Call it only while holding ``target``'s lock: then no live writer owns one of them.
    """
    for stale in target.parent.glob(f".{target.name}.*{TMP_SUFFIX}"):
        stale.unlink(missing_ok=True)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(target: Path, write: Callable[[Path], object]) -> None:
    """Write ``target`` through ``write(tmp_path)``: temp file beside it, fsync, rename, fsync dir.

    OS errors propagate unchanged; callers map them once, at their edge, naming the file.
    """
    tmp = temp_path(target)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    atomic_write(target, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def this_host() -> str:
    return socket.gethostname()


def process_alive(host: str, pid: int) -> bool | None:
    """Whether process ``pid`` on ``host`` still runs: True/False on this host, None elsewhere
    (unknowable from here)."""
    if host != this_host():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
