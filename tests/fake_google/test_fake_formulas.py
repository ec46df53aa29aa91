"""Formula evaluation, as Sheets parses and computes it, through the real gspread client.

Expected values come from the data itself (a plain Python count/sum over what was written), so
the tests check the fake against an independent oracle, not against its own output.
"""

from __future__ import annotations

import random

import gspread
import pytest
from gspread.utils import ValueInputOption, ValueRenderOption

from spoolsheet.testing.fake_google.formulas import CellError, evaluate, parse

RAW, USER_ENTERED = ValueInputOption.raw, ValueInputOption.user_entered
FORMATTED, UNFORMATTED, FORMULA = (
    ValueRenderOption.formatted,
    ValueRenderOption.unformatted,
    ValueRenderOption.formula,
)


@pytest.fixture
def sh(gc: gspread.Client) -> gspread.Spreadsheet:
    return gc.create("Kronos")


@pytest.fixture
def ws(sh: gspread.Spreadsheet) -> gspread.Worksheet:
    return sh.sheet1


def column(ws: gspread.Worksheet, letter: str, render=UNFORMATTED) -> list:
    return [row[0] if row else "" for row in ws.get(f"{letter}2:{letter}", value_render_option=render)]


@pytest.mark.parametrize(
    ("formula", "value"),
    [
        ("= 1 / 1024", 1 / 1024),
        ("=  ( 2 + 3 ) * 4 ^ 2", 80),
        ("=-2^2", 4),  # a sign binds tighter than ^, as in Sheets
        ("=2^3^2", 64),  # left to right
        ("=1+50%", 1.5),
        ('="a" & "b" & 1', "ab1"),
        ('="x""y"', 'x"y'),
        ('="A" = "a"', True),  # text compares without case
        ("=2 <> 2", False),
        ('=1 < "a"', True),  # numbers sort before text
        ('=IF(1 > 0, "yes", "no")', "yes"),
        ("=IF(FALSE, 1/0, 2)", 2),  # only the branch taken is evaluated
        ("=IF(0, 1)", False),
        ("=IFERROR(1/0, 7)", 7),
        ('=SUM(1, 2, "3", TRUE)', 7),  # direct arguments are coerced
        ("=AND(1, TRUE, NOT(FALSE))", True),
        ("=OR(0, FALSE)", False),
        ('=COUNTA(1, "", "x")', 3),
    ],
)
def test_literal_formulas(formula, value):
    assert evaluate(formula) == value


@pytest.mark.parametrize(
    ("formula", "kind"),
    [
        ("=1/0", "DIVIDE_BY_ZERO"),
        ("=FOO(1)", "NAME"),
        ("=VLOOKUPX(1, 2)", "NAME"),
        ("=nombre_sin_definir", "NAME"),
        ('=1 + "abc"', "VALUE"),
        ("=1+", "ERROR"),
        ("=SUM(1", "ERROR"),
        ("=COUNTIF(1, 2)", "N_A"),  # the first argument must be a range
        ("=IF(1)", "N_A"),  # wrong number of arguments
        ("=#N/A", "N_A"),
    ],
)
def test_errors_are_the_error_values_sheets_gives(formula, kind):
    result = evaluate(formula)
    assert isinstance(result, CellError)
    assert result.kind == kind


def test_parsed_once_per_text():
    assert parse("=1+1") is parse("=1+1")


def test_formulas_read_back_evaluated_and_as_written(ws):
    formulas = ["= 1 / 1024", "=FOO(A1)", "=B1*2", '=A1&"!"', "=1/0", "=D1"]
    ws.update([["hola", 21, *formulas]], "A1", value_input_option=USER_ENTERED)
    assert ws.get("A1:H1", value_render_option=FORMULA) == [["hola", 21, *formulas]]
    assert ws.get("A1:H1", value_render_option=UNFORMATTED) == [
        ["hola", 21, 0.0009765625, "#NAME?", 42, "hola!", "#DIV/0!", "#NAME?"]
    ]
    assert ws.get("A1:H1", value_render_option=FORMATTED) == [
        ["hola", "21", "0.0009765625", "#NAME?", "42", "hola!", "#DIV/0!", "#NAME?"]
    ]


def test_grid_data_carries_error_values(sh, ws):
    ws.update([["=FOO()", "=D1", "=A1+1"]], "A1", value_input_option=USER_ENTERED)
    params = {"ranges": "Sheet1!A1:C1", "fields": "sheets.data.rowData.values(effectiveValue,formattedValue)"}
    cells = sh.client.spreadsheets_get(sh.id, params=params)["sheets"][0]["data"][0]["rowData"][0]["values"]
    name_error = {"type": "NAME", "message": "Unknown function: 'FOO'."}
    assert cells == [
        {"effectiveValue": {"errorValue": name_error}, "formattedValue": "#NAME?"},
        {},  # a reference to an empty cell is an empty result
        {"effectiveValue": {"errorValue": name_error}, "formattedValue": "#NAME?"},  # errors propagate
    ]


def test_references_to_formula_cells_and_circles(ws):
    ws.update([["=B1+1", "=C1*2", 5, "=D1", "=E1+1"]], "A1", value_input_option=USER_ENTERED)
    assert ws.get("A1:E1", value_render_option=UNFORMATTED) == [[11, 10, 5, "#REF!", "#REF!"]]


def test_other_sheets_quoted_names_whole_columns(sh, ws):
    other = sh.add_worksheet("Mis Uniones", rows=50, cols=5)
    other.update([["n"], [1], [2], ["x"], [4]], "A1", value_input_option=RAW)
    ws.update(
        [
            [
                "=SUM('Mis Uniones'!A:A)",
                "=SUM('mis uniones'!A2:A5)",  # sheet names match without case
                "=COUNTA('Mis Uniones'!A:A)",
                "=SUM(Nada!A:A)",
                "=SUM('Mis Uniones'!$A$2:$A3)",
            ]
        ],
        "A1",
        value_input_option=USER_ENTERED,
    )
    assert ws.get("A1:E1", value_render_option=UNFORMATTED) == [[7, 7, 5, "#REF!", 3]]


def test_criteria_as_sheets_reads_them(ws):
    data = ["MK-1", "mk-1", "MK-22", "M?", 0, 3, 7, "7", "", True, "*star", "a~b"]
    ws.update([[v] for v in data], "A1", value_input_option=RAW)
    cases = {
        '=COUNTIF(A:A, "MK-1")': 2,  # without case
        '=COUNTIF(A:A, "=mk-1")': 2,
        '=COUNTIF(A:A, "MK-*")': 3,  # wildcards
        '=COUNTIF(A:A, "M?")': 1,  # ? is one character: "M?" itself
        '=COUNTIF(A:A, "M~?")': 1,  # ~ escapes
        '=COUNTIF(A:A, "~*star")': 1,
        '=COUNTIF(A:A, "*")': 7,  # any text, "7" included (numbers and booleans are not text)
        '=COUNTIF(A:A, ">0")': 2,  # numbers only: 3 and 7
        '=COUNTIF(A:A, ">=3")': 2,
        '=COUNTIF(A:A, "<>7")': 999,  # everything else, blanks included
        "=COUNTIF(A:A, 7)": 1,
        '=COUNTIF(A:A, "")': 989,  # blanks: the 988 rows below the data and the empty string
        '=COUNTIF(A:A, "<>")': 11,
        "=COUNTIF(A:A, TRUE)": 1,
        '=COUNTIF(A:A, "<M")': 3,  # text with text, without case: "7", "*star", "a~b"
        '=COUNTIFS(A:A, "MK*", A:A, "*1")': 2,
        '=SUMIF(A:A, ">1")': 10,
        "=COUNTIF(A1:A3, B1)": 0,  # an empty criterion cell is 0
    }
    formulas = list(cases)
    ws.update([[f] for f in formulas], "C1", value_input_option=USER_ENTERED)
    got = [row[0] for row in ws.get(f"C1:C{len(formulas)}", value_render_option=UNFORMATTED)]
    assert dict(zip(formulas, got, strict=True)) == cases


def test_sizes_must_agree(ws):
    ws.update(
        [["=COUNTIFS(A1:A3, 1, B1:B4, 1)", "=SUMIFS(A1:A3, B1:B4, 1)"]], "D1", value_input_option=USER_ENTERED
    )
    assert ws.get("D1:E1", value_render_option=UNFORMATTED) == [["#VALUE!", "#VALUE!"]]


def test_v4_counters_evaluate_as_sheets_would(sh):
    """The v4.0 migration's per-row counters over Uniones, checked against a plain count."""
    rng = random.Random(4)
    tags = [f"MK-1335-CW-{n:05d}-011" for n in range(40)]
    uniones = sh.add_worksheet("Uniones", rows=600, cols=17)
    header = [
        "ID",
        "OT",
        "N_UNION",
        "TAG_SPOOL",
        "DN_UNION",
        "TIPO_UNION",
        "ARM_FECHA_INICIO",
        "ARM_FECHA_FIN",
    ]
    rows = []
    for n in range(500):
        tag = rng.choice(tags[:35])  # the last five spools have no joints
        if rng.random() < 0.1:
            tag = tag.lower()  # a hand-typed TAG in other case still counts, as in Sheets
        done = rng.choice(["", "", "05-03-2026", 46086])
        rows.append([n + 1, 1335, n % 9 + 1, tag, rng.choice([2, 3, 4.5, 6]), "BW", "", done])
    uniones.update([header, *rows], "A1", value_input_option=RAW)
    ops = sh.sheet1
    ops.update([["TAG_SPOOL"]] + [[t] for t in tags], "F1", value_input_option=RAW)
    ops.update(
        [
            [f"=COUNTIF(Uniones!D:D, F{r})", f'=SUMIFS(Uniones!E:E, Uniones!D:D, F{r}, Uniones!H:H, "<>")']
            for r in range(2, len(tags) + 2)
        ],
        "G2",
        value_input_option=USER_ENTERED,
    )
    got = ops.get(f"G2:H{len(tags) + 1}", value_render_option=UNFORMATTED)
    expected = []
    for tag in tags:
        joints = [row for row in rows if row[3].casefold() == tag.casefold()]
        expected.append([len(joints), sum(row[4] for row in joints if row[7] != "")])
    assert got == expected
    assert any(count == 0 for count, _ in expected) and any(total % 1 for _, total in expected)
    assert ops.acell("G2", value_render_option=FORMULA).value == "=COUNTIF(Uniones!D:D, F2)"


def _rows(sh: gspread.Spreadsheet, ws: gspread.Worksheet, kind: str, start: int, end: int) -> None:
    sh.batch_update({"requests": [{kind: {"range": {
        "sheetId": ws.id, "dimension": "ROWS", "startIndex": start, "endIndex": end}}}]})


def test_row_insert_and_delete_move_references_as_sheets_does(sh, ws):
    """Sheets keeps every reference on the same cells when rows come or go (other sheets'
    formulas too); a deleted single cell becomes #REF!, a range losing rows shrinks."""
    other = sh.add_worksheet("Otra hoja", 10, 3)
    ws.update([[n] for n in range(1, 11)], "A1", value_input_option=RAW)
    ws.update([["=SUM(A1:A10)", "=A5*2", "=$A$3", "=SUM(2:4)", "=SUM(A:A)"]], "C1",
              value_input_option=USER_ENTERED)
    other.update([["='Sheet1'!A5"]], "A1", value_input_option=USER_ENTERED)
    before = ws.get("C1:G1", value_render_option=UNFORMATTED)

    _rows(sh, ws, "insertDimension", 2, 4)  # two rows before row 3
    assert ws.get("C1:G1", value_render_option=FORMULA) == [
        ["=SUM(A1:A12)", "=A7*2", "=$A$5", "=SUM(2:6)", "=SUM(A:A)"]]
    assert ws.get("C1:G1", value_render_option=UNFORMATTED) == before
    assert other.acell("A1", value_render_option=FORMULA).value == "='Sheet1'!A7"

    _rows(sh, ws, "deleteDimension", 6, 7)  # row 7, the old A5 (5)
    assert ws.get("C1:G1", value_render_option=FORMULA) == [
        ["=SUM(A1:A11)", "=#REF!*2", "=$A$5", "=SUM(2:6)", "=SUM(A:A)"]]
    assert ws.acell("C1", value_render_option=UNFORMATTED).value == sum(range(1, 11)) - 5
    assert other.acell("A1", value_render_option=FORMULA).value == "=#REF!"
