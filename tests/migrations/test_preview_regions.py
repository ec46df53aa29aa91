"""Protected regions after a write: the very cell objects fingerprinted pass without hashing,
anything else is fingerprinted, and a changed cell is reported whichever way it came back."""

from __future__ import annotations

import datetime as dt

from spoolsheet.migrations.preview import as_predicted, fingerprints, region_problems, regions
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


def test_a_read_back_is_as_predicted_only_as_the_very_cells_and_grids_checked_before():
    """The check after the write is left out only when it would look at what the check before
    it looked at: every sheet's very cell objects and grid; the sheets only the run's record
    writes (ledger row, event) may have rows after the predicted ones, not other ones."""
    ops = sheet([["TAG", "N"], ["A-1", 2.0], ["A-2", 3]])
    log = Sheet(SheetInfo("Metadata", 1, 1, 10, 2), [["id", "evento"], ["e1", "TOMAR"]])
    predicted = {"Operaciones": ops, "Metadata": log}
    record = ChangeSet().append_rows("Metadata", [["e2", "MIGRATION_APPLIED"]])
    logged = Sheet(log.info, [*log.rows, ["e2", "MIGRATION_APPLIED"]])
    read_back = {"Operaciones": Sheet(ops.info, [list(r) for r in ops.rows]), "Metadata": logged}
    assert as_predicted(predicted, read_back, record, {"Operaciones"})
    # a revision that looks at Metadata: its read-back differs from its prediction
    assert not as_predicted(predicted, read_back, record, {"Operaciones", "Metadata"})
    equal = [["TAG", "N"], ["A-1", float(2)], ["A-2", 3]]  # an equal value, another object
    assert not as_predicted(predicted, {**read_back, "Operaciones": sheet(equal)}, record,
                            {"Operaciones"})
    grown = Sheet(SheetInfo("Operaciones", 0, 0, 10, 6), ops.rows)
    assert not as_predicted(predicted, {**read_back, "Operaciones": grown}, record,
                            {"Operaciones"})
    rewritten = Sheet(log.info, [log.rows[0], ["e1", "PAUSAR"], ["e2", "MIGRATION_APPLIED"]])
    assert not as_predicted(predicted, {**read_back, "Metadata": rewritten}, record,
                            {"Operaciones"})
    assert not as_predicted(predicted, {"Operaciones": read_back["Operaciones"]}, record,
                            {"Operaciones"})
