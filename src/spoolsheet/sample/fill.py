"""The sample put into an empty workbook on any backend (e.g. a new Google spreadsheet)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import UsageError
from ..workbook import Workbook
from ..workbook.changes import ChangeSet
from .generator import SampleSheet


def fill_workbook(workbook: Workbook, sheets: Sequence[SampleSheet]) -> None:
    """Put ``sheets`` into an empty workbook (1 read + 1 write on Google while it fits).

    The workbook must hold only blank sheets (a new spreadsheet's ``Sheet1``); they are deleted
    after the sample's sheets are added. Past Google's 10 MB per request (the default 2,500-spool
    sample is about 14 MB) the write goes as several batchUpdates in order; a fill that stops
    half-way leaves a spreadsheet that is refused as not empty: delete it and fill a new one.
    """
    existing = workbook.read()
    used = [t for t, s in existing.items() if s.rows]
    if used:
        raise UsageError(f"{workbook.title!r} is not empty (sheets with data: {', '.join(used)}); "
                         "the sample only fills an empty spreadsheet")
    clash = [s.title for s in sheets if s.title in existing]
    if clash:
        raise UsageError(f"{workbook.title!r} already has sheet(s) {', '.join(clash)}; the sample "
                         "only fills an empty spreadsheet")
    changes = ChangeSet()
    for sheet in sheets:
        changes.add_sheet(sheet.title, sheet.grid_rows, sheet.grid_cols)
        changes.set_block(sheet.title, 1, 1, sheet.rows)
    for title in existing:
        changes.delete_sheet(title)
    workbook.apply(changes, atomic=False)
