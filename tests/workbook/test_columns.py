"""Columns inserted and deleted mid-sheet, sheets renamed, on both backends: every cell moves
with its column, formulas in every sheet follow the cells they point at and still compute the
same (the fake evaluates them; an .xlsx result is loaded into the fake to be evaluated), and the
file stays readable by openpyxl and calamine."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formatting.rule import CellIsRule
from openpyxl.workbook.defined_name import DefinedName
from python_calamine import CalamineWorkbook

from spoolsheet.errors import UnsafeChange, UsageError
from spoolsheet.testing import open_fake
from spoolsheet.values import Formula
from spoolsheet.workbook import ChangeSet
from spoolsheet.workbook.xlsx_read import normal

HEADERS = ["TAG", "NV", "Estado", "Peso", "Doble", "Suma", "Uniones"]


def _source(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ops = wb.active
    ops.title = "Operaciones"
    ops.append(HEADERS)
    for i in range(1, 6):
        r = i + 1
        ops.append([f"MK-{i}", i, "ARM" if i % 2 else "SOLD", i * 1.5, f"=D{r}*2",
                    f"=SUM(B{r}:D{r})", f"=COUNTIF(Uniones!B:B,A{r})"])
    ops.column_dimensions["D"].width = 30
    ops.merge_cells("B8:D8")
    ops["B8"] = "merged"
    uniones = wb.create_sheet("Uniones")
    uniones.append(["ID", "TAG", "DN", "Peso_spool"])
    for j in range(1, 7):
        uniones.append([j, f"MK-{1 + j % 3}", j * 2,
                        f"=SUMIF(Operaciones!A:A,B{j + 1},Operaciones!D:D)"])
    meta = wb.create_sheet("Metadata")
    meta.append(["id", "evento_tipo"])
    meta.append(["e1", "TOMAR"])
    path = tmp_path / "source" / "Kronos.xlsx"
    path.parent.mkdir()
    wb.save(path)
    return path


def _computed(wb, fake_google, backend_kind, tmp_path) -> dict:
    """Every sheet's computed values: Google's own; an .xlsx evaluated by the fake."""
    if backend_kind == "google":
        return _blank_is_none(wb.read(formulas=False))
    copy = tmp_path / f"evaluated{len(fake_google.spreadsheet_ids())}.xlsx"
    copy.write_bytes(Path(wb.id).read_bytes())
    sid = fake_google.load_xlsx(copy, f"eval{len(fake_google.spreadsheet_ids())}")
    other = open_fake(fake_google, sid)
    try:
        return _blank_is_none(other.read(formulas=False))
    finally:
        other.close()


def _blank_is_none(sheets) -> dict:
    return {t: [[None if v == "" else v for v in r] for r in s.rows] for t, s in sheets.items()}


def _moved(rows, col: int, count: int, delete: bool):
    """Rows with columns [col, col+count) removed, or ``count`` blanks inserted before ``col``."""
    out = []
    for row in rows:
        row = list(row)
        if delete:
            del row[col - 1:col - 1 + count]
        elif len(row) >= col:
            row[col - 1:col - 1] = [None] * count
        while row and row[-1] in (None, ""):
            row.pop()
        out.append(row)
    return out


def _same_in_other_readers(path: Path, sheets) -> None:
    """openpyxl and calamine read the file; what they see is what spoolsheet reads."""
    book = openpyxl.load_workbook(path)
    cal = CalamineWorkbook.from_path(str(path))
    for title, sheet in sheets.items():
        ws = book[title]
        cal_rows = cal.get_sheet_by_name(title).to_python(skip_empty_area=False)
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                seen = ws.cell(r, c).value
                if isinstance(value, bool) and seen in ("=TRUE()", "=FALSE()"):
                    seen = seen == "=TRUE()"  # LibreOffice's booleans, as spoolsheet reads them
                assert seen == value, (title, r, c)
                if not isinstance(value, Formula) and value is not None:
                    assert normal(cal_rows[r - 1][c - 1]) == value, (title, r, c)


def test_deleting_a_column_mid_sheet_moves_cells_and_formulas_everywhere(
        open_copy, tmp_path, fake_google, backend_kind):
    wb = open_copy(_source(tmp_path))
    before = wb.read()
    computed = _computed(wb, fake_google, backend_kind, tmp_path)
    fake_google.reset_log()
    wb.apply(ChangeSet().delete_columns("Operaciones", 3))
    if backend_kind == "google":
        assert fake_google.count(kind="write") == 1
    after = wb.read()
    ops = after["Operaciones"].rows
    assert ops[0] == ["TAG", "NV", "Peso", "Doble", "Suma", "Uniones"]
    assert ops[1][3:] == [Formula("=C2*2"), Formula("=SUM(B2:C2)"),
                          Formula("=COUNTIF(Uniones!B:B,A2)")]
    assert after["Uniones"].rows[1][3] == Formula("=SUMIF(Operaciones!A:A,B2,Operaciones!C:C)")
    # every other cell moved with its column, no value changed
    expected = _moved(before["Operaciones"].rows, 3, 1, delete=True)
    assert [[v for v in r if not isinstance(v, Formula)] for r in ops] == \
        [[v for v in r if not isinstance(v, Formula)] for r in expected]
    assert after["Metadata"].rows == before["Metadata"].rows
    assert after["Operaciones"].info.cols == before["Operaciones"].info.cols - 1
    # the formulas still compute what they did
    now = _computed(wb, fake_google, backend_kind, tmp_path)
    assert now["Operaciones"] == _moved(computed["Operaciones"], 3, 1, delete=True)
    assert now["Uniones"] == computed["Uniones"]
    if backend_kind == "xlsx":
        _same_in_other_readers(Path(wb.id), after)
        ws = openpyxl.load_workbook(wb.id)["Operaciones"]
        assert ws.column_dimensions["C"].width == 30  # Peso's width went with it
        assert [str(m) for m in ws.merged_cells.ranges] == ["B8:C8"]


def test_a_reference_to_a_deleted_column_becomes_ref_error(open_copy, tmp_path, backend_kind):
    wb = open_copy(_source(tmp_path))
    wb.apply(ChangeSet().delete_columns("Operaciones", 4))
    after = wb.read()
    assert after["Operaciones"].rows[1][3] == Formula("=#REF!*2")
    assert after["Operaciones"].rows[1][4] == Formula("=SUM(B2:C2)")  # the range shrank
    assert after["Uniones"].rows[1][3] == Formula("=SUMIF(Operaciones!A:A,B2,#REF!)")


def test_inserting_columns_mid_sheet_moves_cells_and_formulas_everywhere(
        open_copy, tmp_path, fake_google, backend_kind):
    wb = open_copy(_source(tmp_path))
    before = wb.read()
    computed = _computed(wb, fake_google, backend_kind, tmp_path)
    wb.apply(ChangeSet().insert_columns("Operaciones", 3, 2)
             .set_row("Operaciones", 1, 3, ["MatSys", "Nueva"]))
    after = wb.read()
    ops = after["Operaciones"].rows
    assert ops[0] == ["TAG", "NV", "MatSys", "Nueva", "Estado", "Peso", "Doble", "Suma", "Uniones"]
    assert ops[1][6:8] == [Formula("=F2*2"), Formula("=SUM(B2:F2)")]  # the range grew
    assert after["Uniones"].rows[1][3] == Formula("=SUMIF(Operaciones!A:A,B2,Operaciones!F:F)")
    expected = _moved(before["Operaciones"].rows, 3, 2, delete=False)
    expected[0][2:4] = ["MatSys", "Nueva"]
    assert [[v for v in r if not isinstance(v, Formula)] for r in ops] == \
        [[v for v in r if not isinstance(v, Formula)] for r in expected]
    now = _computed(wb, fake_google, backend_kind, tmp_path)
    want = _moved(computed["Operaciones"], 3, 2, delete=False)
    want[0][2:4] = ["MatSys", "Nueva"]
    assert now["Operaciones"] == want and now["Uniones"] == computed["Uniones"]
    if backend_kind == "xlsx":
        _same_in_other_readers(Path(wb.id), after)
        ws = openpyxl.load_workbook(wb.id)["Operaciones"]
        assert ws.column_dimensions["F"].width == 30
        assert [str(m) for m in ws.merged_cells.ranges] == ["B8:F8"]


def test_renaming_a_sheet_makes_formulas_that_name_it_follow(
        open_copy, tmp_path, fake_google, backend_kind):
    wb = open_copy(_source(tmp_path))
    computed = _computed(wb, fake_google, backend_kind, tmp_path)
    wb.apply(ChangeSet().rename_sheet("Uniones", "Las Uniones")
             .put("Las Uniones", 1, 5, "nota"))
    assert wb.sheet_titles() == ["Operaciones", "Las Uniones", "Metadata"]
    after = wb.read()
    assert after["Operaciones"].rows[1][6] == Formula("=COUNTIF('Las Uniones'!B:B,A2)")
    assert after["Las Uniones"].rows[0] == ["ID", "TAG", "DN", "Peso_spool", "nota"]
    now = _computed(wb, fake_google, backend_kind, tmp_path)
    assert now["Operaciones"] == computed["Operaciones"]
    with pytest.raises(UsageError, match="already exists"):
        wb.apply(ChangeSet().rename_sheet("Metadata", "Operaciones"))


def test_column_moves_outside_the_grid_are_refused(open_copy, tmp_path):
    wb = open_copy(_source(tmp_path))
    cols = wb.read_sheet("Operaciones").info.cols
    with pytest.raises(UsageError, match="cannot delete columns"):
        wb.apply(ChangeSet().delete_columns("Operaciones", cols, 2))
    with pytest.raises(UsageError, match="cannot insert before"):
        wb.apply(ChangeSet().insert_columns("Operaciones", cols + 2))


def _raw(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_xlsx_parts_a_move_does_not_touch_stay_byte_identical(open_copy, tmp_path):
    wb = open_copy(_source(tmp_path))
    before = _raw(Path(wb.id))
    wb.apply(ChangeSet().delete_columns("Operaciones", 3))
    after = _raw(Path(wb.id))
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"}  # Ops, Uniones


@pytest.mark.parametrize("backend_kind", ["xlsx"])
@pytest.mark.parametrize("feature", ["conditional formatting", "defined name"])
def test_xlsx_refuses_a_move_it_cannot_follow_and_writes_nothing(open_copy, tmp_path, feature):
    source = _source(tmp_path)
    book = openpyxl.load_workbook(source)
    if feature == "conditional formatting":
        book["Operaciones"].conditional_formatting.add(
            "D2:D6", CellIsRule(operator="greaterThan", formula=["3"]))
    else:
        book.defined_names["pesos"] = DefinedName("pesos", attr_text="Operaciones!$D$2:$D$6")
    book.save(source)
    wb = open_copy(source)
    raw = Path(wb.id).read_bytes()
    with pytest.raises(UnsafeChange, match=rf"Kronos.xlsx: .*{feature}.*nothing was written"):
        wb.apply(ChangeSet().delete_columns("Operaciones", 3))
    assert Path(wb.id).read_bytes() == raw


def _number_formats(wb, backend_kind, sheet: str, col: int) -> list[str | None]:
    """The number format pattern of each cell of a column, rows 1..6."""
    if backend_kind == "google":
        _, formats = wb.backend.read_with_formats([sheet])
        return [(row["values"][col - 1].get("userEnteredFormat", {}).get("numberFormat", {})
                 .get("pattern") if col <= len(row["values"]) else None)
                for row in formats[sheet][:6]]
    ws = openpyxl.load_workbook(wb.id)[sheet]
    return [None if ws.cell(r, col).number_format == "General" else ws.cell(r, col).number_format
            for r in range(1, 7)]


def test_a_number_format_changes_only_the_format_of_its_range(open_copy, tmp_path, backend_kind):
    wb = open_copy(_source(tmp_path))
    before = wb.read()
    wb.apply(ChangeSet().set_number_format("Operaciones", "0.00", row=2, col=4, last_col=4)
             .put("Operaciones", 7, 4, 7.25))
    assert _number_formats(wb, backend_kind, "Operaciones", 4) == [None] + ["0.00"] * 5
    assert _number_formats(wb, backend_kind, "Operaciones", 3) == [None] * 6
    after = wb.read()
    assert after["Operaciones"].rows[:6] == before["Operaciones"].rows[:6]
    assert after["Operaciones"].cell(7, 4) == 7.25
    assert after["Uniones"].rows == before["Uniones"].rows


LIBREOFFICE = Path(__file__).parents[1] / "fixtures" / "libreoffice"


@pytest.mark.parametrize("backend_kind", ["xlsx"])
@pytest.mark.parametrize("name", ["kronos_v2.xlsx", "kronos_v3.xlsx"])
def test_libreoffice_files_survive_an_insert_and_a_delete(open_copy, name):
    """LibreOffice's dialect (shared strings, cached results, TRUE() booleans, row attributes)
    through a delete and an insert: every value moved with its column, the totals' ranges moved
    with the columns they sum, the other sheets as they were, openpyxl and calamine agree."""
    wb = open_copy(LIBREOFFICE / name)
    before = wb.read()
    wb.apply(ChangeSet().delete_columns("Operaciones", 3).insert_columns("Operaciones", 10, 2))
    after = wb.read()
    _same_in_other_readers(Path(wb.id), after)
    want = _moved(_moved(before["Operaciones"].rows, 3, 1, delete=True), 10, 2, delete=False)
    totals = 0
    for r, row in enumerate(want[1:], start=2):  # BG..BJ: one column left, then two right
        if len(row) > 63 and row[63] == Formula(f"=SUM(BG{r}:BJ{r})"):
            row[63] = Formula(f"=SUM(BH{r}:BK{r})")
            totals += 1
    assert totals > 5 and after["Operaciones"].rows == want
    for title, sheet in before.items():
        if title != "Operaciones" and not any(isinstance(v, Formula) for r in sheet.rows
                                              for v in r):
            assert after[title].rows == sheet.rows, title
