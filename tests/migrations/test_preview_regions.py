"""Protected regions after a write: the very cell objects fingerprinted pass without hashing,
anything else is fingerprinted, and a changed cell is reported whichever way it came back."""

from __future__ import annotations

import datetime as dt

from spoolsheet.migrations.preview import fingerprints, region_problems, regions
from spoolsheet.values import Formula
from spoolsheet.workbook import ChangeSet, Sheet, SheetInfo


def sheet(rows: list[list[object]]) -> Sheet:
    return Sheet(SheetInfo("Operaciones", 0, 0, 10, 5), rows)


def test_a_region_passes_as_the_same_objects_or_as_equal_copies_and_fails_when_changed():
    before = {"Operaciones": sheet([["TAG", "Fecha", "N"], ["A-1", dt.datetime(2026, 1, 2), 2.0],
                                    ["A-2", Formula("=B2"), 3]])}
    protected = regions(before, ChangeSet())
    expected = fingerprints(before, protected)
    parsed = {"Operaciones": sheet([["TAG", "Fecha", "N"], ["A-1", dt.datetime(2026, 1, 2), 2],
                                    ["A-2", Formula("=B2"), 3]])}  # read anew: other objects
    assert region_problems(expected, before, before) == []
    assert region_problems(expected, parsed, before) == []
    for changed in ("=B2", "A-9"):  # a formula come back as text; a value changed
        rows = [list(r) for r in before["Operaciones"].rows]
        rows[2][1 if changed == "=B2" else 0] = changed
        problems = region_problems(expected, {"Operaciones": sheet(rows)}, before)
        assert len(problems) == 1 and "cells that existed before changed" in problems[0], problems
