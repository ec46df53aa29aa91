"""How far a backup operation is, through ``spoolsheet.progress`` callbacks (never printed).

``phase`` (a step of unknown size) is ``spoolsheet.progress.phase``; ``rows`` counts sheets' rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..progress import Progress, counter, phase
from ..workbook import Sheet

__all__ = ["phase", "rows"]


def rows(progress: Progress | None, name: str,
         sheets: Mapping[str, Sheet]) -> Callable[[Sheet], None] | None:
    """A callback reporting each sheet's rows as done, out of all the sheets' rows."""
    advance = counter(progress, name, {t: len(s.rows) for t, s in sheets.items()})
    return None if advance is None else lambda sheet: advance(sheet.title)
