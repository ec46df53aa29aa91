"""``read_regions`` on both backends: each region cut out of the sheet exactly as a whole read
(``formulas=False``) types it, in one request on Google, open ends and grid edges included."""

from __future__ import annotations

import datetime as dt

import pytest

from spoolsheet.errors import SheetNotFound
from spoolsheet.schema import METADATA, OPERACIONES
from spoolsheet.values import parse_date
from spoolsheet.workbook import ChangeSet, Region


@pytest.fixture
def wb(open_copy, sample_small):
    return open_copy(sample_small)


REGIONS = [
    Region(OPERACIONES),                                  # the whole sheet: bare title
    Region(OPERACIONES, 1, 1),                            # the header row
    Region(OPERACIONES, 2, None, 6, 6),                   # the TAG column from row 2 down
    Region(OPERACIONES, 5, 5),                            # one row
    Region(OPERACIONES, 7, 9, 34, 38),                    # a block of dates and names
    Region(OPERACIONES, 3, None, 60, None),               # open to the right and down
    Region(METADATA, 1, 1),
    Region(OPERACIONES, 10**6, 10**6),                    # wholly outside the grid: nothing
]


def test_each_region_is_the_cut_of_a_whole_read(wb, fake_google):
    wb.apply(ChangeSet().put(OPERACIONES, 7, 35, dt.date(2026, 3, 5))
             .put(OPERACIONES, 8, 36, "=texto escrito a mano"))
    whole = wb.read([OPERACIONES, METADATA], formulas=False)
    expected = [r.cut(whole[r.title].rows) for r in REGIONS]
    reads = wb.stats.reads
    fake_google.reset_log()
    got = wb.read_regions(REGIONS)
    assert got == expected
    assert got[-1] == [] and got[3] and got[2][0]
    assert parse_date(got[4][0][1]) == dt.date(2026, 3, 5)  # row 7, column 35: one codec reads it
    assert got[4][1][2] == "=texto escrito a mano"  # text that looks like a formula stays text
    if wb.kind == "google":
        assert wb.stats.reads - reads == 1
        assert [(e.method, e.path.endswith("/live/values:batchGet")) for e in fake_google.log] == [
            ("GET", True)]


def test_an_unknown_sheet_is_named(wb):
    with pytest.raises(SheetNotFound, match="'Nada'"):
        wb.read_regions([Region(OPERACIONES, 1, 1), Region("Nada", 1, 1)])
