"""Backups of a local .xlsx workbook: byte copies in a folder, each with a manifest sidecar.

A backup is ``<folder>/<name>.xlsx`` (a byte-for-byte copy of the workbook, written to a temp
file, fsynced and renamed) and ``<folder>/<name>.manifest.json`` beside it, written the same way
after the copy. A copy without its sidecar is incomplete (a crash between the two, or a file
dropped there by hand). The id of a backup is its name (the file stem), unique in its folder.
The default folder is ``backups/`` beside the workbook. A restore replaces the live file with a
copy of the backup in one rename: every byte comes back (values, formulas, formats, styles, grids,
sheet order), then the sheets ``extra`` touches (the kept audit log) are written into it first.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import CorruptWorkbook, UsageError, WorkbookAccessDenied
from ..fs import atomic_write, atomic_write_text, fsync_dir, process_alive, this_host
from .base import Backend, BackupNotFound, RolledBack, Sheet, StoredCopy
from .changes import ChangeSet

SIDECAR_SUFFIX = ".manifest.json"
DEFAULT_FOLDER = "backups"


def _utc_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


#: Bytes of a copy read at a time to compare it with the version read.
COMPARE_BYTES = 1 << 20


def _copy_file(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)


class XlsxStore:
    """The backups of one .xlsx file; ``open_file`` opens a copy as a backend of its own."""

    removal = "deleted"
    restores = ("everything: the file is replaced by a copy of the backup's bytes (values, "
                "formulas, number formats, styles, grid sizes, sheet order); the audit log is kept")

    def __init__(self, live: Backend, live_path: Path, folder: str | None,
                 open_file: Callable[[Path], Backend],
                 last_read: Callable[[], bytes | None]) -> None:
        self.live = live
        self._last_read = last_read
        self.live_path = live_path
        self.given = folder
        self.dir = Path(folder).expanduser().resolve() if folder else live_path.parent / DEFAULT_FOLDER
        self.folder = str(self.dir)
        self._open_file = open_file

    def check_folder(self) -> None:
        if self.given and not self.dir.is_dir():
            raise UsageError(f"backup folder {self.dir} does not exist (--folder / BACKUP_FOLDER_ID)")

    def _sidecar(self, xlsx: Path) -> Path:
        return xlsx.with_name(xlsx.stem + SIDECAR_SUFFIX)

    # --- creating --------------------------------------------------------------------------

    def copy(self, name: str, manifest: str, tags: Mapping[str, str]) -> StoredCopy:
        self.check_folder()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            target, n = self.dir / f"{name}.xlsx", 1
            while target.exists() or self._sidecar(target).exists():
                n += 1
                target = self.dir / f"{name}_{n}.xlsx"
            atomic_write(target, lambda tmp: _copy_file(self.live_path, tmp))
            self._write_sidecar(target, manifest, verified=None)
        except PermissionError as exc:
            raise WorkbookAccessDenied(f"cannot write a backup to {self.dir}: permission denied") from exc
        return self._copy(target)

    def _write_sidecar(self, xlsx: Path, manifest: str, *, verified: bool | None,
                       checked: dt.datetime | None = None) -> None:
        data = {"manifest": json.loads(manifest), "verified": verified,
                "verified_at": _utc_iso(checked) if checked else None}
        atomic_write_text(self._sidecar(xlsx), json.dumps(data, ensure_ascii=False, indent=1))

    def same_as_read(self, copy: StoredCopy) -> bool:
        """The copy's bytes on disk against the bytes of the file version the live backend
        last read (one read of the copy's bytes, a piece at a time beside them, no parse)."""
        assert copy.path is not None
        read = self._last_read()
        if read is None or Path(copy.path).stat().st_size != len(read):
            return False
        view = memoryview(read)
        with open(copy.path, "rb") as fh:
            for at in range(0, len(read), COMPARE_BYTES):
                if fh.read(COMPARE_BYTES) != view[at:at + COMPARE_BYTES]:
                    return False
        return True

    def record_verification(self, copy: StoredCopy, ok: bool) -> StoredCopy:
        assert copy.manifest is not None and copy.path is not None
        self._write_sidecar(Path(copy.path), copy.manifest, verified=ok,
                            checked=dt.datetime.now(dt.UTC))
        return self._copy(Path(copy.path))

    # --- finding ---------------------------------------------------------------------------

    def _copy(self, xlsx: Path) -> StoredCopy:
        """The backup stored at ``xlsx``, with its sidecar's text; incomplete without one."""
        stat = xlsx.stat()
        sidecar = self._sidecar(xlsx)
        manifest, verified, problem = None, None, None
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
            manifest = json.dumps(data["manifest"], ensure_ascii=False)
            verified = data.get("verified")
        except FileNotFoundError:
            problem = f"its manifest {sidecar.name} is missing"
        except (ValueError, KeyError, TypeError) as exc:
            problem = f"its manifest {sidecar.name} is damaged ({exc})"
        return StoredCopy(id=xlsx.stem, name=xlsx.stem,
                          created=dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC),
                          manifest=manifest, problem=problem,
                          verified=None if verified is None else bool(verified),
                          size=stat.st_size, path=str(xlsx))

    def get(self, copy_id: str) -> StoredCopy:
        given = Path(copy_id).expanduser()
        xlsx = given if given.suffix == ".xlsx" else self.dir / f"{copy_id}.xlsx"
        if xlsx.is_file():
            return self._copy(xlsx.resolve())
        raise BackupNotFound(f"no backup {copy_id!r} in {self.dir} (see `spoolsheet backup list`)")

    def list(self) -> list[StoredCopy]:
        if not self.dir.is_dir():
            return []
        return [self._copy(x) for x in self.dir.glob("*.xlsx") if not x.name.startswith(".")]

    def remove(self, copy: StoredCopy) -> None:
        assert copy.path is not None
        xlsx = Path(copy.path)
        self._sidecar(xlsx).unlink(missing_ok=True)
        xlsx.unlink(missing_ok=True)
        fsync_dir(xlsx.parent)

    # --- reading and restoring ---------------------------------------------------------------

    @contextmanager
    def open(self, copy: StoredCopy, *, for_restore: bool = False) -> Iterator[Backend]:
        """The backup file; ``for_restore``: a private copy staged beside the live file, so that
        committing it is one rename. Its loads and saves count with the live workbook's."""
        assert copy.path is not None
        path = Path(copy.path)
        if not zipfile.is_zipfile(path):
            raise CorruptWorkbook(f"backup {copy.id} ({path}) is not a readable .xlsx workbook")
        staged = None
        if for_restore:
            self._sweep_stale_stages()
            staged = self.live_path.with_name(f".{self.live_path.name}.restore.{os.getpid()}.xlsx")
            atomic_write(staged, lambda tmp: _copy_file(path, tmp))
        backend = self._open_file(staged or path)
        backend.stats = self.live.stats
        try:
            yield backend
        finally:
            backend.close()
            if staged is not None:
                staged.unlink(missing_ok=True)
                lock = backend.sidecar("lock")
                if lock is not None:
                    lock.unlink(missing_ok=True)

    def content(self, staged: Backend) -> dict[str, Sheet]:
        """The backup file's sheets: all a roll back needs is in the file itself."""
        return staged.read()

    def _sweep_stale_stages(self) -> None:
        """Remove what restores killed mid-way left: staged copies, their locks and temp files."""
        for stale in self.live_path.parent.glob(f"*.{self.live_path.name}.restore.*"):
            match = re.search(r"\.restore\.(\d+)\.xlsx", stale.name)
            if match and process_alive(this_host(), int(match[1])) is False:
                stale.unlink(missing_ok=True)

    def roll_back(self, staged: Backend, live_changes: ChangeSet, backup_changes: ChangeSet,
                  target: Mapping[str, Sheet], kept: Sequence[str] = ()) -> RolledBack:
        """Apply ``backup_changes`` to the staged copy of the backup, then replace the live file
        with it: one rename. The result is checked as the staged copy saved it (the sheets the
        changes touched are read again)."""
        staged.apply(backup_changes)
        after = {t: s for t, s in target.items() if t not in backup_changes.sheets_touched()}
        touched = [t for t in target if t in backup_changes.sheets_touched()]
        if touched:
            after.update(staged.read(touched))
        after = {t: after[t] for t in [i.title for i in staged.sheets()] if t in after}
        staged_path = Path(staged.id)
        with self.live.exclusive():
            os.replace(staged_path, self.live_path)
            fsync_dir(self.live_path.parent)
        return RolledBack(after)
