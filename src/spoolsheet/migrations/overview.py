"""Looking without writing: ``status`` (version, pending, history, last backup, lock, changed
migration files), ``verify`` (does the workbook hold what its version promises) and ``check``
(drift from the layout the chain gives it). 1 read each (``status``: 2 on a workbook whose
last backup is kept in no note, see ``_last_backup``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..audit import LAST_BACKUP_NOTE, metadata_columns, read_events
from ..errors import SpoolsheetError
from ..ledger import LEDGER_SHEET, LedgerEntry, read_ledger, schema_version
from ..progress import Progress, phase
from ..schema import LOCK_SHEET, METADATA
from ..values import shop_tz
from ..workbook import Region, Workbook
from ..workbook.base import Sheet
from .lock import holder
from .planning import resumed_regions, todo, unverified
from .registry import Chain, checksum, load
from .reports import CheckReport, LastBackup, Status, VerifyReport

BACKUP = "BACKUP_CREATED"


def drift(sheets: Mapping[str, Sheet], chain: Chain | None = None) -> list[str]:
    """How the workbook differs from the layout its chain says it has at its version: every
    column an applied migration created present, once, with its header and type (gone, when a
    later applied one dropped it); every sheet. [] when none. A pure function of sheets already
    read (``migrate check`` is it on one read), so that a caller which has read them can check
    without another request."""
    chain = chain or load()
    applied = chain[:chain.applied_count(schema_version(sheets))]
    problems = []
    for k, m in enumerate(applied):
        gone = {c for later in applied[k + 1:] for c in later.drops()}
        problems += [f"{m.id}: {p}" for p in m.verify(None, sheets, gone)]
    return problems


@dataclass(frozen=True)
class ChainCheck:
    """``drift`` against one chain (loaded once): the check occupation and the service run on
    what they read each time they (re)load their directory. Header rows suffice for what it
    checks there: which columns stand, once, under which names. ``sheets``: the ones the
    chain's operations name (all it looks at, beside the ledger), so that a reader can ask for
    their header rows without the sheet list."""

    chain: Chain
    sheets: frozenset[str]

    def __call__(self, sheets: Mapping[str, Sheet]) -> list[str]:
        return drift(sheets, self.chain)


def layout_check(migrations_dir: str | Path | None = None) -> ChainCheck:
    """The ``ChainCheck`` of the chain of ``migrations_dir`` (the package's alone by default)."""
    chain = load(migrations_dir)
    return ChainCheck(chain, frozenset(s for m in chain for s in m.sheets()))


def changed_files(history: Sequence[LedgerEntry], chain: Chain) -> list[str]:
    """Migrations recorded with a checksum their file no longer has (edited since applied)."""
    return sorted({e.migration_id for e in history if e.checksum
                   and (m := chain.find(e.migration_id)) is not None
                   and e.checksum != checksum(m)})


def check(workbook: Workbook, *, migrations_dir: str | Path | None = None) -> CheckReport:
    """``drift`` of the workbook as it is now (1 read, writes nothing; CLI exit 4 on drift)."""
    sheets = workbook.read()
    return CheckReport(schema_version(sheets), drift(sheets, load(migrations_dir)))


def verify(workbook: Workbook, *, migrations_dir: str | Path | None = None) -> VerifyReport:
    """Check that the workbook holds what its schema version promises, that no applied
    migration's file changed since, and finish checking runs never verified (1 read)."""
    chain = load(migrations_dir)
    sheets = workbook.read()
    version = schema_version(sheets)
    checked = [m.id for m in chain[:chain.applied_count(version)]]
    problems = drift(sheets, chain)
    problems += [f"{mid}: its file changed since it was applied (checksum differs from the "
                 "ledger)" for mid in changed_files(read_ledger(sheets), chain)]
    for entry in unverified(sheets):
        problems += [f"{entry.migration_id} (ledger row {entry.row}), never verified: {p}"
                     for p in resumed_regions(entry, sheets)]
    return VerifyReport(version, checked, problems)


def _backup_line(logged: Mapping[str, Any], logged_at: dt.datetime | dt.date | None) -> LastBackup:
    """The backup an event names, created at the UTC time its own name holds; older events only
    have the time they were logged (shop time, seconds later)."""
    name, backup_id = logged.get("backup_name") or logged["backup_id"], logged["backup_id"]
    exact = True
    try:
        created: dt.datetime | None = dt.datetime.fromisoformat(str(logged["created"]))
    except (KeyError, ValueError):
        exact = False
        created = logged_at.replace(tzinfo=shop_tz()) if isinstance(logged_at, dt.datetime) else None
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    return LastBackup(str(name), str(backup_id),
                      created.astimezone(dt.UTC).isoformat() if created else None, exact)


def _sheets(workbook: Workbook, regions: Sequence[Region], *, small: bool) -> dict[str, Sheet]:
    """The regions (each from its sheet's first row) in one read (``small``: with the title,
    the sheets' sizes and the notes, ``read_described``), as sheets; those the workbook lacks
    are left out."""
    titles = [r.title for r in regions]
    cells = (workbook.read_described if small else workbook.read_regions)(regions, optional=titles)
    return {r.title: Sheet(info, c) for r, c in zip(regions, cells, strict=True)
            if (info := workbook.sheet_info(r.title)) is not None}


def _when(line: LastBackup) -> dt.datetime:
    """A backup's creation time for ordering (unknown: before any)."""
    return (dt.datetime.fromisoformat(line.created) if line.created
            else dt.datetime.min.replace(tzinfo=dt.UTC))


def _last_backup(workbook: Workbook, history: Sequence[LedgerEntry],
                 header: Sheet | None) -> LastBackup | None:
    """The newest backup the workbook knows of: the note its BACKUP_CREATED events keep (read
    with the ledger, no request), else the newest by creation time in a scan of the Metadata
    log's BACKUP_CREATED rows (older workbooks, and backends that keep no notes: one more read;
    two backups at once may log in the other order; ``header``: Metadata's first row as read),
    else the ledger."""
    note = workbook.note(LAST_BACKUP_NOTE)
    if note:
        try:
            return _backup_line(json.loads(note), None)
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # a note edited by hand: the log still says
    found = None
    try:
        log = None
        if header is not None:
            kind = metadata_columns(header).index("evento_tipo")
            rows = workbook.read_regions([Region(METADATA, where=(kind, BACKUP))])[0]
            log = Sheet(header.info, header.rows[:1] + rows[1:])  # its header as read before
        for event in read_events(log, kind=BACKUP) if log is not None else ():
            if event.metadata.get("backup_id"):
                line = _backup_line(event.metadata, event.timestamp)
                if found is None or _when(line) >= _when(found):
                    found = line
    except SpoolsheetError:
        found = None
    if found is None:
        found = next((LastBackup(e.backup_id, e.backup_id, None)
                      for e in reversed(history) if e.backup_id), None)
    return found


def status(workbook: Workbook, *, migrations_dir: str | Path | None = None,
           progress: Progress | None = None) -> Status:
    """Schema version, pending migrations, history, last backup and lock: 1 read of the ledger,
    the lock rows and Metadata's header (its size, should the log be scanned; ``progress``
    hears it), whatever the size of the workbook."""
    chain = load(migrations_dir)
    with phase(progress, "reading the workbook"):
        sheets = _sheets(workbook, [Region(LEDGER_SHEET), Region(LOCK_SHEET), Region(METADATA, 1, 1)],
                         small=True)
    history = read_ledger(sheets)
    mismatch = changed_files(history, chain)
    held = holder(workbook, sheets)
    return Status(workbook.title, workbook.kind, schema_version(sheets),
                  [m.id for m in todo("up", sheets, None, chain)], history,
                  [e.migration_id for e in unverified(sheets)],
                  _last_backup(workbook, history, sheets.get(METADATA)),
                  held.held() if held else None, mismatch)
