"""Helpers for the backup tests: reach a backup (or another spreadsheet) as a workbook of its own."""

from __future__ import annotations

from spoolsheet import backup as B
from spoolsheet.workbook import ChangeSet, GoogleBackend, Sheet, Workbook, XlsxBackend


def sibling(live: Workbook, spreadsheet_id: str) -> Workbook:
    """Another spreadsheet of the same fake, opened over the live workbook's session."""
    http = live.backend.http
    return Workbook(GoogleBackend(spreadsheet_id, session=http.session, endpoint=http.endpoint,
                                  timeout=http.timeout, retry=http.retry))


def open_backup(live: Workbook, backup: B.Backup) -> Workbook:
    """The backup as a workbook of its own, to read or to tamper with."""
    return Workbook(XlsxBackend(backup.path)) if backup.path else sibling(live, backup.id)


def backup_content(live: Workbook, backup: B.Backup) -> dict[str, Sheet]:
    return open_backup(live, backup).read()


def tamper(live: Workbook, backup: B.Backup, sheet: str = "Roles") -> None:
    """Change one cell of a backup behind spoolsheet's back."""
    open_backup(live, backup).apply(ChangeSet().put(sheet, 2, 2, "tampered"))
