"""Regions of a sheet not read whole: a few columns, a few rows deep down, or the rows whose
cell in a column reads as a text (``Region.where``) read exactly as the cut of a whole read;
on .xlsx picked from the part's rows by byte scans (``read_picked``) and typed as calamine and
the scans type them, the other cells never typed; whatever it cannot type alone goes there."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tracemalloc
from pathlib import Path

import openpyxl
import pytest

from spoolsheet import migrations
from spoolsheet.schema import METADATA, OPERACIONES
from spoolsheet.settings import Settings
from spoolsheet.workbook import ChangeSet, Region, open_workbook
from spoolsheet.workbook.xlsx_package import Package, stamp_of
from spoolsheet.workbook.xlsx_part import grid_of, streamed_grid
from spoolsheet.workbook.xlsx_read import read_picked, read_sheet

FIXTURES = Path(__file__).parent.parent / "fixtures" / "libreoffice"


def package(path: Path) -> Package:
    return Package(path, path.read_bytes(), stamp_of(path.stat()))


def regions_of(tag: str, worker: str) -> list[Region]:
    return [
        Region(OPERACIONES, 2, None, 6, 6),             # the TAG column
        Region(OPERACIONES, 2, None, 34, 38),           # dates and names
        Region(OPERACIONES, 3, None, 60, None),         # open to the right and down
        Region(OPERACIONES, 201, 201),                  # one row, below the top rows
        Region(OPERACIONES, 150, 260),                  # a run of rows past the end
        Region(METADATA, where=(4, tag)),               # one spool's rows of the log
        Region(METADATA, 2, None, 3, 4, where=(3, "TOMAR_SPOOL")),
        Region(METADATA, 2, None, where=(5, worker)),    # a number: typed, then compared
        Region(METADATA, where=(4, "no such spool")),
    ]


@pytest.fixture
def migrated(sample_small, tmp_path) -> Path:
    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_small, path)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        migrations.up(wb, force=True)
        wb.apply(ChangeSet().put(OPERACIONES, 201, 35, dt.datetime(2026, 3, 5, 14, 7, 31))
                 .put(OPERACIONES, 202, 36, "=texto escrito a mano")
                 .put(OPERACIONES, 203, 66, 7))
    return path


def test_picked_regions_are_the_cut_of_a_whole_read(migrated):
    with open_workbook(Settings(workbook=migrated, sheet_id=None)) as wb:
        whole = wb.read([OPERACIONES, METADATA], formulas=False)
    tag = next(str(r[3]) for r in whole[METADATA].rows[1:] if len(r) > 3 and r[3])
    worker = next(str(r[4]) for r in whole[METADATA].rows[1:] if len(r) > 4 and r[4])
    regions = regions_of(tag, worker)
    pk = package(migrated)
    for r in regions[:-1]:  # each is picked, not read whole
        assert read_picked(pk, pk.entry(r.title), r) is not None, r
    with open_workbook(Settings(workbook=migrated, sheet_id=None)) as wb:
        got = wb.read_regions(regions)
    assert got == [r.cut(whole[r.title].rows) for r in regions]
    assert got[3][0][34] == dt.datetime(2026, 3, 5, 14, 7, 31)
    assert got[4][52][35] == "=texto escrito a mano"  # text that looks like a formula stays text
    assert sum(1 for row in got[5] if row) >= 1 and got[5][0] == [] and got[-1] == []
    assert all(not row or row[3] == tag for row in got[5])
    assert any(got[7]) and all(not row or str(row[4]) == worker for row in got[7])


def test_where_keeps_rows_in_place_on_both_backends(open_copy, sample_small):
    wb = open_copy(sample_small)
    rows = wb.read_sheet(METADATA, formulas=False).rows
    kind = str(rows[5][2])
    got = wb.read_regions([Region(METADATA, 2, None, 2, 4, where=(3, kind))])[0]
    expected = [r[1:4] if len(r) > 2 and str(r[2]) == kind else [] for r in rows[1:]]
    while expected and not expected[-1]:
        expected.pop()
    assert got == expected and got[4]
    with pytest.raises(ValueError, match="outside the region"):
        Region(METADATA, 1, None, 5, 6, where=(3, kind))


@pytest.mark.parametrize("name", ["kronos_v2.xlsx", "kronos_v3.xlsx"])
def test_files_saved_by_libreoffice(name):  # shared strings, styles, LibreOffice's own XML
    pk = package(FIXTURES / name)
    given = 0
    for entry in pk.sheet_entries:
        rows = read_sheet(pk, entry).rows
        height = len(rows)
        for r in (Region(entry.title, 2, None, 1, 1), Region(entry.title, 2, None, 2, 5),
                  Region(entry.title, max(1, height - 3), height + 2),
                  Region(entry.title, 1, None, 1, 3, where=(1, str(rows[-1][0]) if rows and
                                                            rows[-1] else "x"))):
            found = read_picked(pk, entry, r)
            if found is not None:
                assert found == r.cut(rows), (name, entry.title, r)
                given += 1
    assert given > 0


def test_dates_and_times_read_as_calamine_reads_them(tmp_path):
    """Serials in date formats (whole days, to the millisecond, near a half millisecond),
    numbers in other formats: picked as calamine types them, or left to it."""
    rand = random.Random(10)
    serials = [rand.choices([float(rand.randint(61, 2958464)),
                             rand.randint(40000, 50000) + rand.randint(0, 86399999) / 86400000,
                             rand.randint(40000, 50000) + (rand.randint(0, 86399999) + 0.5)
                             / 86400000,  # half a millisecond: calamine's own rounding
                             round(rand.uniform(61, 60000), rand.randint(1, 12))],
                            weights=[3, 3, 1, 3])[0]
               for _ in range(400)] + [0.5, 1.0, 60.0, 61.0, 2958465.5]
    formats = ["dd-mm-yyyy", "dd-mm-yyyy hh:mm", "yyyy-mm-dd hh:mm:ss", "mm-dd-yy", "h:mm",
               "[h]:mm", "0.00", "General"]
    path = tmp_path / "dates.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(formats)
    for r, serial in enumerate(serials, start=2):
        for c, code in enumerate(formats, start=1):
            ws.cell(row=r, column=c, value=serial).number_format = code
    ws.cell(row=2, column=9, value=14.0).number_format = "m/d/yy"  # built-in 14 once saved
    book.save(path)
    pk = package(path)
    entry = pk.sheet_entries[0]
    whole = read_sheet(pk, entry).rows
    picked: dict[int, int] = {}
    for c in range(1, 10):
        for start in range(2, len(serials) + 2, 5):
            region = Region(entry.title, start, start + 4, c, c)
            found = read_picked(pk, entry, region)
            if found is not None:
                assert found == region.cut(whole), (c, start)
                picked[c] = picked.get(c, 0) + 1
    blocks = len(range(2, len(serials) + 2, 5))
    assert all(picked.get(c, 0) > blocks // 4 for c in (1, 2, 3, 4)), picked
    assert picked[8] == blocks  # General: numbers
    # h:mm (built-in 20), [h]:mm, 0.00, a serial before March 1900: calamine's alone
    assert not {5, 6, 7} & set(picked) and picked[9] == blocks - 1


def test_a_grid_is_measured_streaming_as_from_the_whole_part(migrated):
    for pk in [package(migrated), *(package(f) for f in sorted(FIXTURES.glob("*.xlsx")))]:
        for entry in pk.sheet_entries:
            xml = pk.part(entry.part)
            for size in (7, 1000, 1 << 16):
                pieces = (xml[i:i + size] for i in range(0, len(xml), size))
                assert streamed_grid(pieces) == grid_of(xml), (pk.path.name, entry.title, size)


def test_a_streamed_grid_holds_one_piece_at_a_time():
    """A grid measured as a part streams through holds a piece or two, not the part: 64 pieces
    of 256 KiB made as they are asked for (16 MiB in all) stay under 2 MiB of new memory."""
    row = b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>' + b"x" * 200 + b"</t></is></c></row>"

    def pieces():
        n = 0
        for _ in range(64):
            out = bytearray()
            while len(out) < 1 << 18:
                n += 1
                out += row % (n, n)
            yield bytes(out)

    tracemalloc.start()
    try:
        grid = streamed_grid(pieces())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert grid is not None and grid[1] == 1 and grid[0] > 60_000
    assert peak < 2 << 20, f"{peak:,} bytes held"
