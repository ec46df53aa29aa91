"""How far a backup operation is, through ``spoolsheet.progress`` callbacks (never printed).

``phase`` (a step of unknown size) is ``spoolsheet.progress.phase``; ``rows`` counts sheets' rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from ..progress import Progress, counting, phase
from ..workbook import Sheet

__all__ = ["phase", "rows"]


@contextmanager
def rows(progress: Progress | None, name: str,
         sheets: Mapping[str, Sheet]) -> Iterator[Callable[[Sheet], None] | None]:
    """A callback reporting each sheet's rows as done, out of all the sheets' rows (the
    fingerprint's pass moves the count within a sheet while the block runs)."""
    with counting(progress, name, {t: len(s.rows) for t, s in sheets.items()}) as advance:
        yield None if advance is None else lambda sheet: advance(sheet.title)
