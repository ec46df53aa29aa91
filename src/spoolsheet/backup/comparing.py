"""Comparing a backup's content with a workbook: sheet by sheet, then cell by cell."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..fingerprint import CellDifference, differences, sheet_fingerprint
from ..schema import METADATA
from ..workbook import Sheet
from .manifest import Fingerprinter

#: Cell differences reported per sheet, and in all.
DIFFERENCES_PER_SHEET = 5
DIFFERENCES_TOTAL = 20


class Fingerprints:
    """``sheet_fingerprint`` computed once per sheet as read: a restore compares each sheet
    against the manifest, the live workbook and the result, and hashing 50,000 rows is not free."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Sheet, str]] = {}

    def __call__(self, sheet: Sheet) -> str:
        hit = self._seen.get(id(sheet))
        if hit is None or hit[0] is not sheet:
            hit = self._seen[id(sheet)] = (sheet, sheet_fingerprint(sheet))
        return hit[1]


@dataclass
class Comparison:
    problems: list[str] = field(default_factory=list)
    differences: list[CellDifference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def count_differences(expected: Sheet, found: Sheet) -> int:
    """How many cells differ between two sheets (over both extents)."""
    return len(differences(expected, found, limit=10**9))


def compare(expected: Mapping[str, Sheet], found: Mapping[str, Sheet], *, what: str,
            audit_may_grow: bool = False, full: Fingerprinter = sheet_fingerprint) -> Comparison:
    """Sheet by sheet, then cell by cell where a sheet differs; ``what`` names ``found``,
    ``expected`` is a backup's content.

    With ``audit_may_grow``, Metadata rows added after the expected ones are a note, not a
    problem (the audit log only grows: a backup is older than the live log).
    """
    out = Comparison()
    for title, want in expected.items():
        got = found.get(title)
        if got is None:
            out.problems.append(f"sheet {title!r} is missing in {what}")
            continue
        if full(want) == full(got):
            continue
        if audit_may_grow and title == METADATA and len(got.rows) > len(want.rows):
            head = Sheet(want.info, got.rows[:len(want.rows)])
            if sheet_fingerprint(head, grid=False) == sheet_fingerprint(want, grid=False):
                added = len(got.rows) - len(want.rows)
                out.notes.append(f"sheet {title!r}: {added} audit row{'s' * (added != 1)} "
                                 f"added in {what} since the backup was taken")
                continue
        grid = ""
        if (want.info.rows, want.info.cols) != (got.info.rows, got.info.cols):
            grid = (f"grid is {got.info.rows}x{got.info.cols} in {what}, "
                    f"{want.info.rows}x{want.info.cols} in the backup")
        cells = differences(want, got, limit=DIFFERENCES_PER_SHEET)
        if cells:
            n = count_differences(want, got)
            differ = "cell differs" if n == 1 else "cells differ"
            out.problems.append(f"sheet {title!r}: {n} {differ} in {what}, first at {cells[0]}"
                                + (f"; {grid}" if grid else ""))
            out.differences += cells[:max(0, DIFFERENCES_TOTAL - len(out.differences))]
        elif grid:
            out.problems.append(f"sheet {title!r}: {grid}")
        else:
            out.problems.append(f"sheet {title!r}: fingerprint differs in {what}")
    out.problems += [f"sheet {t!r} is in {what} but not in the backup" for t in found
                     if t not in expected]
    return out
