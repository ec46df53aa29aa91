"""Floors: the least an operation can cost on a given .xlsx file, measured in the same run.

The machine is shared and noisy, so a cost means something only as a ratio to a floor measured
on the same file, right beside it. The floors here are physical limits, none of them spoolsheet
code: starting the interpreter (``python -c pass``), python-calamine reading only the sheets an
operation needs, writing the file's bytes once (temp file in the same folder, fsync, rename),
and for a migration: reading Operaciones plus deflating its part once and writing the file.
Each is the best of a few runs. ``run_process`` measures a command as its own process: wall
time and its peak memory (``ru_maxrss`` of that child alone, from ``wait4`` in a small launcher:
a child's counts its starter's high-water mark); ``byte_compile``
first, so that a command is measured as installed.
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

import spoolsheet
from spoolsheet.fs import atomic_write_bytes

REPEAT = 3


@dataclass(frozen=True)
class Cost:
    """Wall seconds and CPU seconds (the CPU time is the steadier one on a busy machine)."""

    wall: float
    cpu: float

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.wall + other.wall, self.cpu + other.cpu)


def best(run: Callable[[], object], repeat: int = REPEAT) -> Cost:
    """The best wall and CPU time of ``repeat`` runs (the least disturbed by the machine)."""
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return Cost(min(walls), min(cpus))


@dataclass
class Process:
    cost: Cost
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str


#: Starts the measured command and reports its wall time, CPU time, peak memory and exit code
#: on the file descriptor given first. A child's ``ru_maxrss`` counts the high-water mark of
#: the process that started it (Linux carries it over exec), and this bench's own process
#: reads whole workbooks: started from this small process, the command's figure is its own.
LAUNCHER = """
import os, subprocess, sys, time
t0 = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - t0
os.write(int(sys.argv[1]), f"{wall} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} "
                           f"{os.waitstatus_to_exitcode(status)}".encode())
"""


def run_process(args: Sequence[str], env: dict[str, str] | None = None,
                cwd: str | Path | None = None) -> Process:
    """One child process: its wall time from spawn to exit and its own peak resident memory
    (``ru_maxrss`` from ``wait4`` in ``LAUNCHER``, a small process between this one and it)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        read, write = os.pipe()
        try:
            launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(write), *args],
                                        stdout=out, stderr=err, env=env, cwd=cwd,
                                        pass_fds=(write,))
            os.close(write)
            with os.fdopen(read, "rb") as report:
                wall, cpu, maxrss, code = report.read().split()
        finally:
            launcher.wait()
        out.seek(0)
        err.seek(0)
        return Process(Cost(float(wall), float(cpu)), int(maxrss) / 1024, int(code),
                       out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def byte_compile() -> None:
    """Byte-compile the spoolsheet package, as installing it does: with PYTHONDONTWRITEBYTECODE
    set (as on this machine) an editable checkout would compile every module in every process."""
    compileall.compile_dir(Path(spoolsheet.__file__).parent, quiet=1)


def process_start() -> Cost:
    """Starting this interpreter and exiting: what every CLI command pays before any work."""
    runs = [run_process([sys.executable, "-c", "pass"]).cost for _ in range(5)]
    return Cost(min(c.wall for c in runs), min(c.cpu for c in runs))


def read(path: Path, titles: Sequence[str]) -> Cost:
    """python-calamine opening the file and reading only ``titles`` (values, no typing)."""
    def once() -> None:
        book = CalamineWorkbook.from_path(str(path))
        for title in titles:
            book.get_sheet_by_name(title).to_python(skip_empty_area=False)
    return best(once)


def write(path: Path) -> Cost:
    """The file's bytes written once, atomically, beside it (what any change must at least do)."""
    data = path.read_bytes()
    scratch = path.with_name(f"floor_{path.name}")
    try:
        return best(lambda: atomic_write_bytes(scratch, data))
    finally:
        scratch.unlink(missing_ok=True)


def deflate(path: Path, member: str) -> Cost:
    """One sheet part decompressed and compressed again (zlib level 1, the writer's level)."""
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(member)
    return best(lambda: zlib.compress(xml, 1))


def migration(path: Path, member: str = "xl/worksheets/sheet1.xml") -> Cost:
    """A migration cannot cost less than reading Operaciones and rewriting it once."""
    return read(path, ["Operaciones"]) + deflate(path, member) + write(path)


def ratio(cost: float, floor: float) -> str:
    return f"{cost / floor:6.2f} x" if floor > 0 else "   -    "
