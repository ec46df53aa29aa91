"""Loading .xlsx workbooks into the fake (the CLI's --load) and exporting them back."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from spoolsheet.sample import write_sample
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.testing.fake_google.values import number, to_serial
from spoolsheet.testing.fake_google.xlsx import dump_xlsx


@pytest.fixture
def book(tmp_path):
    workbook = openpyxl.Workbook()
    ops = workbook.active
    ops.title = "Operaciones"
    ops.append(["TAG_SPOOL / CODIGO_BARRA", "Peso_Kg", "Fecha_Armado", "OK", "Total"])
    ops.append(["MK-1", 12.5, dt.datetime(2026, 3, 5, 14, 30), True, "=B2*2"])
    ops.append(["MK-2", 7, dt.date(2026, 3, 6), False, None])
    ops["B2"].number_format = "0.00"
    param = workbook.create_sheet("Param")
    param["C4"] = "x"
    param.sheet_state = "hidden"
    path = tmp_path / "Kronos.xlsx"
    workbook.save(path)
    return path


def test_every_sheet_loads_with_its_grid_values_dates_and_formulas(fake, gc, book):
    assert fake.load_xlsx(book, "demo") == "demo"
    sh = gc.open_by_key("demo")
    assert sh.title == "Kronos"
    assert [(w.title, w.row_count, w.col_count, w.isSheetHidden) for w in sh.worksheets()] == [
        ("Operaciones", 3, 5, False),
        ("Param", 4, 3, True),
    ]
    assert fake.values("demo", "Operaciones")[1:] == [
        ["MK-1", 12.5, 46086 + 14.5 / 24, True, "=B2*2"],
        ["MK-2", 7, 46087, False],
    ]
    assert sh.sheet1.get("B2:C3") == [["12.50", "2026-03-05 14:30:00"], ["7", "2026-03-06"]]


def test_export_round_trip_keeps_dates_as_dates(fake, book):
    fake.load_xlsx(book, "demo")
    workbook = openpyxl.load_workbook(io.BytesIO(dump_xlsx(fake.store.spreadsheet("demo"))))
    ops = workbook["Operaciones"]
    assert ops["C2"].value == dt.datetime(2026, 3, 5, 14, 30)
    assert ops["E2"].value == "=B2*2"
    assert ops["B2"].number_format == "0.00"
    workbook.close()


def _rewrite_member(path, member, edit):
    """Rewrite one part of an .xlsx zip with ``edit(text) -> text``."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts[member] = edit(parts[member].decode()).encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_only_formula_cells_are_formulas_text_starting_with_equals_stays_text(fake, gc, tmp_path):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws["A1"] = "=1+1"  # openpyxl types it "f"
    ws["A2"] = "=oficina.tecnica"
    ws["A2"].data_type = "s"  # typed text, as Param's "=oficina.tecnica" in the sample
    path = tmp_path / "text.xlsx"
    workbook.save(path)
    assert openpyxl.load_workbook(path).active["A2"].data_type == "s"
    fake.load_xlsx(path, "demo")
    data = gc.open_by_key("demo").fetch_sheet_metadata(
        {"includeGridData": "true", "fields": "sheets.data.rowData.values.userEnteredValue"}
    )
    values = [row["values"][0]["userEnteredValue"] for row in data["sheets"][0]["data"][0]["rowData"]]
    assert values == [{"formulaValue": "=1+1"}, {"stringValue": "=oficina.tecnica"}]
    assert gc.open_by_key("demo").sheet1.get("A1:A2") == [["2"], ["=oficina.tecnica"]]


def test_grid_is_what_openpyxl_counts_even_with_a_stale_dimension(fake, tmp_path):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws["B2"] = "x"
    ws["F9"] = ""  # an empty string cell marks the bottom-right corner, as our writer does
    ws["C12"].number_format = "0.00"  # a styled cell without a value counts too
    path = tmp_path / "grid.xlsx"
    workbook.save(path)
    _rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:B2"/>', xml),
    )
    full = openpyxl.load_workbook(path).active
    fake.load_xlsx(path, "demo")
    assert fake.grid("demo", "Sheet") == (full.max_row, full.max_column)
    assert fake.values("demo", "Sheet") == [[], [None, "x"]]


def test_loading_again_is_cached_and_every_load_is_independent(fake, gc, book):
    fake.load_xlsx(book, "one")
    fake.load_xlsx(book, "two")
    gc.open_by_key("one").sheet1.update([["changed"]], "A1")
    gc.open_by_key("one").sheet1.delete_rows(2)
    third = FakeGoogle()
    third.load_xlsx(book, "three")
    for other, sid in ((fake, "two"), (third, "three")):
        assert other.values(sid, "Operaciones")[0][0] == "TAG_SPOOL / CODIGO_BARRA"
        assert other.values(sid, "Operaciones")[1][0] == "MK-1"
    assert fake.values("one", "Operaciones")[:2] == [
        ["changed", "Peso_Kg", "Fecha_Armado", "OK", "Total"],
        ["MK-2", 7, 46087, False],
    ]


def test_a_changed_file_is_parsed_again(fake, book):
    fake.load_xlsx(book, "before")
    workbook = openpyxl.load_workbook(book)
    workbook["Operaciones"]["A2"] = "MK-1 bis"
    workbook.save(book)
    os.utime(book, ns=(time.time_ns(), time.time_ns() + 10**9))  # a new mtime even on coarse clocks
    fake.load_xlsx(book, "after")
    assert fake.values("after", "Operaciones")[1][0] == "MK-1 bis"
    assert fake.values("before", "Operaciones")[1][0] == "MK-1"


def _entered(cell):
    """What the fake should store for an openpyxl (full load) cell: (kind, value) or None."""
    value = cell.value
    if value is None or value == "":
        return None
    if cell.data_type == "f":
        return "formulaValue", value
    if isinstance(value, bool):
        return "boolValue", value
    if isinstance(value, dt.datetime):
        return "numberValue", number(to_serial(value))["numberValue"]
    if isinstance(value, (int, float)):
        return "numberValue", number(value)["numberValue"]
    return "stringValue", value


LIBREOFFICE = Path(__file__).parents[1] / "fixtures" / "libreoffice"


@pytest.mark.parametrize("made_by", ["spoolsheet", "kronos_v2.xlsx", "kronos_v3.xlsx"])
def test_a_workbook_loads_as_a_full_openpyxl_load_reads_it(fake, tmp_path, made_by):
    """Every cell kind the project's writer produces (inline strings) and LibreOffice's files
    (shared strings, TRUE() booleans, cached results), through the fast path and openpyxl's."""
    if made_by == "spoolsheet":
        path = write_sample(tmp_path / "Kronos.xlsx", spools=30, seed=5)
    else:
        path = LIBREOFFICE / made_by
    fake.load_xlsx(path, "demo")
    spreadsheet = fake.store.spreadsheet("demo")
    workbook = openpyxl.load_workbook(path)
    for ws in workbook.worksheets:
        assert fake.grid("demo", ws.title) == (ws.max_row, ws.max_column)
        grid = spreadsheet.sheet_by_title(ws.title).grid
        for row in ws.iter_rows():
            for cell in row:
                stored = grid.get(cell.row - 1, cell.column - 1).get("userEnteredValue")
                assert (next(iter(stored.items())) if stored else None) == _entered(cell), cell.coordinate
    workbook.close()


def test_rich_text_loads_as_plain_text(fake, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = CellRichText([TextBlock(InlineFont(b=True), "bold"), " normal"])
    workbook.active["A2"] = "  spaced  "
    path = tmp_path / "rich.xlsx"
    workbook.save(path)
    fake.load_xlsx(path, "demo")
    assert fake.values("demo", "Sheet") == [["bold normal"], ["  spaced  "]]
