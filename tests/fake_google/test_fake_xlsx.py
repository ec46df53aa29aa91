"""Loading .xlsx workbooks into the fake (the CLI's --load) and exporting them back."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

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
