"""How far a backup operation is, through ``spoolsheet.progress`` callbacks (never printed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from ..progress import Progress, report
from ..workbook import Sheet


@contextmanager
def phase(progress: Progress | None, name: str) -> Iterator[None]:
    """One step of unknown size: reported when it starts and when it is done."""
    report(progress, name, 0, None, "steps")
    yield
    report(progress, name, 1, 1, "steps")


def rows(progress: Progress | None, name: str,
         sheets: Mapping[str, Sheet]) -> Callable[[Sheet], None] | None:
    """A callback reporting each sheet's rows as done, out of all the sheets' rows."""
    if progress is None:
        return None
    total, done = sum(len(s.rows) for s in sheets.values()), 0
    report(progress, name, 0, total)

    def advance(sheet: Sheet) -> None:
        nonlocal done
        done += len(sheet.rows)
        report(progress, name, done, total)

    return advance
