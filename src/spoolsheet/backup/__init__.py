"""Backups an admin can trust: create, verify, list, prune and restore (roll back) a workbook.

A backup is a complete copy of the workbook with a manifest stored beside it (``manifest.py``).
Where copies live is the backend's business (``Workbook.backup_store(folder)``: Drive copies, or
files in a folder); this package holds what a backup must prove, once for every backend:

- ``create`` (``creating.py``) reads the workbook once, copies it, optionally reads the copy back
  to verify it, and logs ``BACKUP_CREATED`` in Metadata. Google: 3 requests, 5 with ``verify``.
- ``verify`` (``verifying.py``) checks a backup against its manifest (and with
  ``against_source`` compares it with the live workbook). Google: 3 requests, 4 against the source.
- ``list_backups`` / ``find`` (``catalog.py``) by id or by name; ``prune`` (``pruning.py``).
- ``restore`` (``restoring.py``) rolls the live workbook back in place, keeping the audit log
  and the run lock, after a logged safety backup; then checks the result.

Long operations report progress through ``spoolsheet.progress`` callbacks.
"""

from __future__ import annotations

from ..workbook.base import BackupNotFound
from .catalog import find, list_backups, store_for
from .creating import create
from .manifest import Manifest, ManifestError, SheetEntry
from .model import Backup, ForeignBackup
from .pruning import prune
from .restoring import KEPT, SAFETY_LABEL, RestoreReport, restore, rollback_changes
from .verifying import VerifyReport, ensure_verified, verify

__all__ = [
    "KEPT",
    "SAFETY_LABEL",
    "Backup",
    "BackupNotFound",
    "ForeignBackup",
    "Manifest",
    "ManifestError",
    "RestoreReport",
    "SheetEntry",
    "VerifyReport",
    "create",
    "ensure_verified",
    "find",
    "list_backups",
    "prune",
    "restore",
    "rollback_changes",
    "store_for",
    "verify",
]
