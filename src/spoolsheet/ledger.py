"""The migration ledger: a sheet an admin can read, recording every migration run.

The v2.1 application reads sheets by name and ignores this one. The workbook's schema version is
derived from it alone (``schema_version``, ``workbook_version``), below every service, so that
backup, migrations and occupation give one answer.

A run's row is written at an explicit row number (the runner holds the migration lock), so that
its status can be updated in place: ``applied`` when the change lands, then ``verified`` (or
``verify_failed``) once it has been read back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .audit import log_rows
from .schema import ColumnMap
from .values import Cell, format_datetime, shop_now
from .workbook import Workbook
from .workbook.base import Sheet
from .workbook.changes import ChangeSet

LEDGER_SHEET = "spoolsheet_migrations"
LEDGER_HEADERS = (
    "migration_id", "schema_version", "description", "status", "applied_at", "applied_by",
    "duration_s", "backup_id", "checksum", "details",
)
#: Statuses after which the schema is at the row's version (the change landed).
AT_VERSION = ("applied", "verified", "baselined", "stamped", "verify_failed")
#: Status after which the schema is back at the version before the row's migration.
REVERTED = "reverted"
BASE_VERSION = "v2.1"


def schema_version(sheets: Mapping[str, Sheet]) -> str:
    """The schema version the ledger in ``sheets`` says the workbook is at.

    The ledger is replayed as a stack: a row that reached a version puts it on top; a
    ``reverted`` row of version V takes the workbook back to the version it had before V was
    reached (v3.0 verified, v3.1 verified, v3.1 reverted: v3.0). Needs no list of migrations.
    """
    reached = [BASE_VERSION]
    for entry in read_ledger(sheets):
        version = entry.schema_version
        if not version:
            continue
        if entry.status in AT_VERSION:
            if version in reached:  # recorded again (a re-run, a baseline): back to that point
                del reached[reached.index(version) + 1:]
            else:
                reached.append(version)
        elif entry.status == REVERTED and version in reached[1:]:
            del reached[reached.index(version):]
    return reached[-1]


def workbook_version(workbook: Workbook) -> str:
    """Which schema version ``workbook`` is at (e.g. "v3.0"): reads the ledger sheet alone.

    The one answer backup, migrations, occupation and the service share (1 read; none when the
    workbook has no ledger, which means ``BASE_VERSION``).
    """
    if LEDGER_SHEET not in workbook.sheet_titles():
        return BASE_VERSION
    return schema_version(workbook.read([LEDGER_SHEET]))


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row as read (``row`` is its 1-based row number)."""

    row: int
    migration_id: str
    schema_version: str
    description: str
    status: str
    applied_at: str
    applied_by: str
    duration_s: float | None
    backup_id: str
    checksum: str
    details: dict[str, Any] = field(default_factory=dict)


def _columns(ledger: Sheet) -> dict[str, int]:
    return ColumnMap.from_row(ledger.title, ledger.row(1)).require(LEDGER_HEADERS)


def read_ledger(sheets: Mapping[str, Sheet]) -> list[LedgerEntry]:
    """Every run recorded in the ledger, oldest first ([] when there is no ledger sheet)."""
    ledger = sheets.get(LEDGER_SHEET)
    if ledger is None or not ledger.rows:
        return []
    out = []
    for r, get, details in log_rows(ledger, _columns(ledger), "migration_id", "details"):
        duration = get("duration_s")
        out.append(LedgerEntry(
            row=r,
            migration_id=str(get("migration_id")).strip(),
            schema_version=str(get("schema_version") or "").strip(),
            description=str(get("description") or ""),
            status=str(get("status") or "").strip().lower(),
            applied_at=str(get("applied_at") or ""),
            applied_by=str(get("applied_by") or ""),
            duration_s=float(duration) if isinstance(duration, (int, float)) else None,
            backup_id=str(get("backup_id") or ""),
            checksum=str(get("checksum") or ""),
            details=details,
        ))
    return out


def _details(details: Mapping[str, Any]) -> str:
    return json.dumps(dict(details), ensure_ascii=False, sort_keys=True, default=str)


def record(changes: ChangeSet, sheets: Mapping[str, Sheet], *, migration_id: str,
           schema_version: str, description: str, status: str, applied_by: str,
           backup_id: str | None, checksum: str, details: Mapping[str, Any],
           duration_s: float | None = None) -> int:
    """Add a ledger row to ``changes`` (creating the sheet in the same write); returns its row.

    The row goes after the last row with data, at an explicit position: repeating the write
    writes the same cells, and a later status update knows where the row is.
    """
    ledger = sheets.get(LEDGER_SHEET)
    if ledger is None:
        changes.add_sheet(LEDGER_SHEET, rows=100, cols=len(LEDGER_HEADERS))
        changes.set_row(LEDGER_SHEET, 1, 1, LEDGER_HEADERS)
        row, order = 2, {name: i for i, name in enumerate(LEDGER_HEADERS, start=1)}
    else:
        order = _columns(ledger) if ledger.rows else {n: i for i, n in enumerate(LEDGER_HEADERS, 1)}
        if not ledger.rows:
            changes.set_row(LEDGER_SHEET, 1, 1, LEDGER_HEADERS)
        row = max(len(ledger.rows), 1) + 1
    values = {
        "migration_id": migration_id, "schema_version": schema_version,
        "description": description, "status": status,
        "applied_at": format_datetime(shop_now()), "applied_by": applied_by,
        "duration_s": round(duration_s, 3) if duration_s is not None else None,
        "backup_id": backup_id or "", "checksum": checksum, "details": _details(details),
    }
    cells: list[Cell] = [None] * max(order.values())
    for name, value in values.items():
        cells[order[name] - 1] = value
    changes.set_row(LEDGER_SHEET, row, 1, cells)
    return row


def update(changes: ChangeSet, sheets: Mapping[str, Sheet], row: int, *, status: str,
           duration_s: float | None = None, details: Mapping[str, Any] | None = None) -> None:
    """Set the status (and duration, details) of the ledger row ``row`` in ``changes``."""
    ledger = sheets.get(LEDGER_SHEET)
    order = _columns(ledger) if ledger is not None and ledger.rows else {
        n: i for i, n in enumerate(LEDGER_HEADERS, 1)}
    changes.put(LEDGER_SHEET, row, order["status"], status)
    if duration_s is not None:
        changes.put(LEDGER_SHEET, row, order["duration_s"], round(duration_s, 3))
    if details is not None:
        changes.put(LEDGER_SHEET, row, order["details"], _details(details))


__all__ = [
    "AT_VERSION",
    "BASE_VERSION",
    "LEDGER_HEADERS",
    "LEDGER_SHEET",
    "REVERTED",
    "LedgerEntry",
    "read_ledger",
    "record",
    "schema_version",
    "update",
    "workbook_version",
]
