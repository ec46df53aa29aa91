"""Backups of a local .xlsx workbook: byte copies in a folder, each with a manifest sidecar.

A backup is ``<folder>/<name>.xlsx`` (a byte-for-byte copy of the workbook, written to a temp
file, fsynced and renamed) and ``<folder>/<name>.manifest.json`` beside it, written the same way
after the copy. A copy without its sidecar is incomplete (a crash between the two, or a file
dropped there by hand). The id of a backup is its name (the file stem), unique in its folder.
The default folder is ``backups/`` beside the workbook.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import CorruptWorkbook, UsageError, WorkbookAccessDenied
from ..fs import atomic_write, atomic_write_text, fsync_dir, process_alive, this_host
from ..workbook import ChangeSet, Sheet, Workbook, XlsxBackend
from ..workbook.xlsx import lock_path
from .manifest import Manifest, ManifestError, utc_iso
from .store import Backup, BackupNotFound, BackupStore

SIDECAR_SUFFIX = ".manifest.json"
DEFAULT_FOLDER = "backups"


class XlsxStore(BackupStore):
    def __init__(self, live: Workbook, folder: str | None) -> None:
        super().__init__(live, folder)
        backend = live.backend
        assert isinstance(backend, XlsxBackend)
        self.live_path = backend.path
        self.dir = Path(folder).expanduser().resolve() if folder else self.live_path.parent / DEFAULT_FOLDER

    def describe_folder(self) -> str:
        return str(self.dir)

    def check_folder(self) -> None:
        if self.folder and not self.dir.is_dir():
            raise UsageError(f"backup folder {self.dir} does not exist (--folder / BACKUP_FOLDER_ID)")

    def _sidecar(self, xlsx: Path) -> Path:
        return xlsx.with_name(xlsx.stem + SIDECAR_SUFFIX)

    # --- creating --------------------------------------------------------------------------

    def copy(self, name: str, manifest: Manifest) -> Backup:
        self.check_folder()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            target, n = self.dir / f"{name}.xlsx", 1
            while target.exists() or self._sidecar(target).exists():
                n += 1
                target = self.dir / f"{name}_{n}.xlsx"
            atomic_write(target, lambda tmp: shutil.copyfile(self.live_path, tmp))
            self._write_sidecar(target, manifest, verified=None)
        except PermissionError as exc:
            raise WorkbookAccessDenied(f"cannot write a backup to {self.dir}: permission denied") from exc
        return self._backup(target)

    def _write_sidecar(self, xlsx: Path, manifest: Manifest, *, verified: bool | None,
                       checked: dt.datetime | None = None) -> None:
        data = {"manifest": manifest.to_dict(), "verified": verified,
                "verified_at": utc_iso(checked) if checked else None}
        atomic_write_text(self._sidecar(xlsx), json.dumps(data, ensure_ascii=False, indent=1))

    def record_verification(self, backup: Backup, ok: bool) -> Backup:
        assert backup.manifest is not None and backup.path is not None
        self._write_sidecar(Path(backup.path), backup.manifest, verified=ok,
                            checked=dt.datetime.now(dt.UTC))
        return backup.with_verified(ok)

    # --- finding ---------------------------------------------------------------------------

    def _backup(self, xlsx: Path) -> Backup:
        """The backup stored at ``xlsx``, read from its sidecar; incomplete without one."""
        stat = xlsx.stat()
        sidecar = self._sidecar(xlsx)
        manifest, verified, problem = None, None, None
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
            manifest = Manifest.from_dict(data["manifest"])
            verified = data.get("verified")
        except FileNotFoundError:
            problem = f"incomplete: its manifest {sidecar.name} is missing"
        except (ValueError, KeyError, TypeError, ManifestError) as exc:
            problem = f"incomplete: its manifest {sidecar.name} is damaged ({exc})"
        created = (manifest.created if manifest
                   else dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))
        return Backup(
            id=xlsx.stem, name=xlsx.stem, created=created,
            label=manifest.label if manifest else "", schema_version=manifest.schema_version if manifest else "",
            source_id=manifest.source_id if manifest else "",
            source_title=manifest.source_title if manifest else "",
            verified=bool(verified) if verified is not None and manifest else None,
            manifest=manifest, path=str(xlsx), size=stat.st_size, problem=problem)

    def get(self, backup_id: str) -> Backup:
        given = Path(backup_id).expanduser()
        candidates = [given] if given.suffix == ".xlsx" else [self.dir / f"{backup_id}.xlsx"]
        for xlsx in candidates:
            if xlsx.is_file():
                return self._backup(xlsx.resolve())
        raise BackupNotFound(f"no backup {backup_id!r} in {self.dir} (see `spoolsheet backup list`)")

    def list(self) -> list[Backup]:
        if not self.dir.is_dir():
            return []
        found = []
        for xlsx in self.dir.glob("*.xlsx"):
            if xlsx.name.startswith("."):
                continue
            backup = self._backup(xlsx)
            ours = (backup.source_id == self.live.id if backup.manifest
                    else xlsx.stem.startswith(f"{self.live.title}_"))
            if ours:
                found.append(backup)
        return found

    def remove(self, backup: Backup) -> None:
        assert backup.path is not None
        xlsx = Path(backup.path)
        self._sidecar(xlsx).unlink(missing_ok=True)
        xlsx.unlink(missing_ok=True)
        fsync_dir(xlsx.parent)

    # --- reading and restoring ---------------------------------------------------------------

    @contextmanager
    def open(self, backup: Backup, *, for_restore: bool = False) -> Iterator[Workbook]:
        assert backup.path is not None
        path = Path(backup.path)
        if not zipfile.is_zipfile(path):
            raise CorruptWorkbook(f"backup {backup.id} ({path}) is not a readable .xlsx workbook")
        staged = None
        if for_restore:  # beside the live file, so that committing it is one rename
            self._sweep_stale_stages()
            staged = self.live_path.with_name(f".{self.live_path.name}.restore.{os.getpid()}.xlsx")
            atomic_write(staged, lambda tmp: shutil.copyfile(path, tmp))
        backend = XlsxBackend(staged or path)
        backend.stats = self.live.stats  # its loads and saves count with the live workbook's
        wb = Workbook(backend)
        try:
            yield wb
        finally:
            wb.close()
            if staged is not None:
                staged.unlink(missing_ok=True)
                lock_path(staged).unlink(missing_ok=True)

    def _sweep_stale_stages(self) -> None:
        """Remove what restores killed mid-way left: staged copies, their locks and temp files."""
        for stale in self.live_path.parent.glob(f"*.{self.live_path.name}.restore.*"):
            match = re.search(r"\.restore\.(\d+)\.xlsx", stale.name)
            if match and process_alive(this_host(), int(match[1])) is False:
                stale.unlink(missing_ok=True)

    def roll_back(self, staged: Workbook, content: dict[str, Sheet], rollback: ChangeSet,
                  extra: ChangeSet) -> dict[str, Sheet]:
        """Replace the live file with the staged copy of the backup (plus ``extra``): one rename.

        The staged copy already holds the backup, so ``rollback`` is not needed. The result is
        verified from the staged workbook as saved: the sheets ``extra`` touched are read again.
        """
        staged.apply(extra)
        after = {**content, **staged.read(sorted(extra.sheets_touched()))} if extra else content
        staged_path = staged.backend.path
        with self.live.exclusive():
            os.replace(staged_path, self.live_path)
            fsync_dir(self.live_path.parent)
        return after
