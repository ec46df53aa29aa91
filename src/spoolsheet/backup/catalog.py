"""Finding a workbook's backups: by id or by the name ``backup list`` prints, newest first."""

from __future__ import annotations

from ..errors import UsageError
from ..workbook import Workbook
from ..workbook.base import BackupNotFound, BackupStore, StoredCopy
from .model import Backup, ForeignBackup


def store_for(workbook: Workbook, folder: str | None = None) -> BackupStore:
    """The store of ``workbook``'s backups in ``folder`` (default: the backend's own default)."""
    return workbook.backup_store(folder)


def _ours(workbook: Workbook, copy: StoredCopy, backup: Backup) -> bool:
    if backup.source_id:
        return backup.source_id == workbook.id
    return copy.name.startswith(f"{workbook.title}_")


def _listed(workbook: Workbook, store: BackupStore) -> list[Backup]:
    found = [(c, Backup.of(c)) for c in store.list()]
    return sorted((b for c, b in found if _ours(workbook, c, b)),
                  key=lambda b: (b.created, b.name), reverse=True)


def list_backups(workbook: Workbook, *, folder: str | None = None) -> list[Backup]:
    """This workbook's backups, newest first (incomplete ones included, marked)."""
    return _listed(workbook, store_for(workbook, folder))


def find(workbook: Workbook, backup_id: str, *, folder: str | None = None) -> Backup:
    """The backup of this workbook with this id, or else with this name (as ``list`` prints it).

    Unknown ids and names, other workbooks' backups, and a name two backups share raise.
    """
    store = store_for(workbook, folder)
    try:
        backup = Backup.of(store.get(backup_id))
    except BackupNotFound as missing:
        named = [b for b in _listed(workbook, store) if b.name == backup_id]
        if not named:
            raise missing from None
        if len(named) > 1:
            raise UsageError(f"{len(named)} backups are named {backup_id!r}; give one of their ids: "
                             + ", ".join(f"{b.id} ({b.created.isoformat()})" for b in named)) from None
        backup = named[0]
    if backup.source_id and backup.source_id != workbook.id:
        raise ForeignBackup(f"backup {backup.id} was made from {backup.source_title or 'another workbook'} "
                            f"({backup.source_id}), not from this workbook {workbook.title} ({workbook.id})")
    return backup
