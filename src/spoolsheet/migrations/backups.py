"""What a migration run needs of the backup feature, as a protocol: the runner never imports it.

A run takes a verified backup before it writes (or checks the one it is given). The caller passes
the backup feature in: ``spoolsheet.backup`` itself satisfies ``Backups``, so from Python::

    from spoolsheet import backup, migrations
    migrations.up(wb, backups=backup, backup_folder="backups/", force=True)

Without ``backups`` a run takes no backup (the ledger row says so); the CLI always passes one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from ..progress import Progress
from ..workbook import Sheet, Workbook


class MadeBackup(Protocol):
    @property
    def id(self) -> str: ...


class BackupCheck(Protocol):
    @property
    def ok(self) -> bool: ...

    @property
    def problems(self) -> Sequence[str]: ...


class Backups(Protocol):
    """``create`` makes a backup and, with ``verify``, raises ``VerificationError`` unless the
    copy matches what was read; ``verify`` with ``against_source`` also compares it with the
    workbook as it is now. Both report how far they are to ``progress``, the run's own callback,
    so the backup inside a migration shows on the same display; ``create`` fingerprints the
    sheets for its manifest with ``fingerprints`` (the run's ``fingerprint.KeptHashes``, which
    then has the cells of its protected regions hashed already)."""

    def create(self, workbook: Workbook, *, folder: str | None = ..., label: str | None = ...,
               verify: bool = ..., actor: str | None = ..., progress: Progress | None = ...,
               fingerprints: Callable[[Sheet], str] = ...) -> MadeBackup: ...

    def verify(self, workbook: Workbook, backup_id: str, *, against_source: bool = ...,
               folder: str | None = ..., progress: Progress | None = ...) -> BackupCheck: ...
