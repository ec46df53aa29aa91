"""The migration ledger: a sheet an admin can read, recording every migration run.

The v2.1 application reads sheets by name and ignores this one. The workbook's schema version is
derived from it: the version of the last migration recorded as applied (or baselined), and
``BASE_VERSION`` when nothing was ever recorded.
"""

from __future__ import annotations

from typing import Mapping

from ..schema import ColumnMap
from ..workbook.base import Sheet

LEDGER_SHEET = "spoolsheet_migrations"
LEDGER_HEADERS = (
    "migration_id", "schema_version", "description", "status", "applied_at", "applied_by",
    "duration_s", "backup_id", "checksum", "details",
)
#: Statuses after which the schema is at the row's version.
AT_VERSION = ("applied", "verified", "baselined")
#: Status after which the schema is back at the version before the row's migration.
REVERTED = "reverted"
BASE_VERSION = "v2.1"


def schema_version(sheets: Mapping[str, Sheet], previous: Mapping[str, str] | None = None) -> str:
    """The schema version the ledger in ``sheets`` says the workbook is at.

    ``previous`` maps a migration's version to the version it upgraded from, so that a
    ``reverted`` row steps back; without it a revert steps back to ``BASE_VERSION``.
    """
    ledger = sheets.get(LEDGER_SHEET)
    if ledger is None or not ledger.rows:
        return BASE_VERSION
    cmap = ColumnMap.from_row(ledger.title, ledger.row(1))
    status_col, version_col = cmap.index("status"), cmap.index("schema_version")
    version = BASE_VERSION
    for r in range(2, len(ledger.rows) + 1):
        status = str(ledger.cell(r, status_col) or "").strip().lower()
        row_version = str(ledger.cell(r, version_col) or "").strip()
        if status in AT_VERSION and row_version:
            version = row_version
        elif status == REVERTED and row_version:
            version = (previous or {}).get(row_version, BASE_VERSION)
    return version
