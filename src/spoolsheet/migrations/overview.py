"""Looking without writing: ``status`` (version, pending, history, last backup, lock, changed
migration files) and ``verify`` (does the workbook hold what its version promises). 1 read each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..audit import read_events
from ..errors import SpoolsheetError
from ..ledger import LedgerEntry, read_ledger, schema_version
from ..schema import METADATA
from ..workbook import Workbook
from ..workbook.base import Sheet
from .lock import holder
from .planning import todo, unverified
from .preview import region_problems
from .registry import checksum, load
from .reports import Status, VerifyReport


def verify(workbook: Workbook, *, migrations_dir: str | Path | None = None) -> VerifyReport:
    """Check that the workbook holds what its schema version promises (1 read, writes nothing)."""
    chain = load(migrations_dir)
    sheets = workbook.read()
    checked, problems = [], []
    for m in chain[:chain.applied_count(schema_version(sheets))]:
        checked.append(m.id)
        problems += m.verify(None, sheets)
    for entry in unverified(sheets):
        problems += [f"{entry.migration_id} (ledger row {entry.row}), never verified: {p}"
                     for p in region_problems(entry.details.get("regions", {}), sheets)]
    return VerifyReport(schema_version(sheets), checked, problems)


def _last_backup(sheets: Mapping[str, Sheet], history: Sequence[LedgerEntry]) -> str | None:
    """The newest backup the workbook knows of: its Metadata BACKUP_CREATED events, the ledger."""
    found = None
    try:
        for event in read_events(sheets[METADATA]) if METADATA in sheets else ():
            if event.evento_tipo == "BACKUP_CREATED" and event.metadata.get("backup_id"):
                found = f"{event.metadata['backup_id']} ({event.timestamp})"
    except SpoolsheetError:
        found = None
    if found is None:
        found = next((e.backup_id for e in reversed(history) if e.backup_id), None)
    return found


def status(workbook: Workbook, *, migrations_dir: str | Path | None = None) -> Status:
    """Schema version, pending migrations, history, last backup and lock (1 read)."""
    chain = load(migrations_dir)
    sheets = workbook.read()
    history = read_ledger(sheets)
    mismatch = sorted({e.migration_id for e in history if e.checksum
                       and (m := chain.find(e.migration_id)) is not None
                       and e.checksum != checksum(m)})
    held = holder(workbook, sheets)
    return Status(workbook.title, workbook.kind, schema_version(sheets),
                  [m.id for m in todo("up", sheets, None, chain)], history,
                  [e.migration_id for e in unverified(sheets)], _last_backup(sheets, history),
                  held.describe() if held else None, mismatch)
