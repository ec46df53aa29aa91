"""A1 parsing/printing and cell value parsing/rendering, the pure parts of the fake."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spoolsheet.testing.fake_google import a1
from spoolsheet.testing.fake_google.formulas import Evaluator
from spoolsheet.testing.fake_google.values import (
    cell_from_input,
    format_automatic,
    format_date,
    parse_user_entered,
    render,
    to_serial,
)

NO_SHEET = Evaluator(None).bound(None)  # formulas without references


@given(st.integers(min_value=0, max_value=a1.MAX_COLUMNS - 1))
def test_column_letters_round_trip(index):
    assert a1.column_index(a1.column_letters(index)) == index


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("Sheet1", "Sheet1"),
        ("My Sheet", "'My Sheet'"),
        ("D3", "'D3'"),
        ("it's", "'it''s'"),
        ("Operaciones", "Operaciones"),
    ],
)
def test_titles_are_quoted_like_the_api(title, shown):
    assert a1.quote_title(title) == shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sheet1", a1.A1("Sheet1")),
        ("'Sheet1'!A1", a1.A1("Sheet1", 0, 0, 1, 1, True)),
        ("'My ''x'' Sheet'!B2:C3", a1.A1("My 'x' Sheet", 1, 1, 3, 3)),
        ("Sheet1!A:A", a1.A1("Sheet1", None, 0, None, 1)),
        ("Sheet1!2:3", a1.A1("Sheet1", 1, None, 3, None)),
        ("A2:C", a1.A1(None, 1, 0, None, 3)),
        ("Sheet1!B3:A1", a1.A1("Sheet1", 0, 0, 3, 2)),
        ("🌵 x 1!A:A", a1.A1("🌵 x 1", None, 0, None, 1)),
    ],
)
def test_parse(text, expected):
    assert a1.parse(text, ["Sheet1"]) == expected


def test_a_bare_word_naming_a_sheet_is_the_sheet():
    assert a1.parse("D3", ["D3"]) == a1.A1("D3")
    assert a1.parse("D3", ["Sheet1"]) == a1.A1(None, 2, 3, 3, 4, True)


@pytest.mark.parametrize("text", ["A1:B2:C3", "A0", "!A1", "'unterminated!A1", "A1:"])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        a1.parse(text, ["Sheet1"])


def test_format_range():
    assert a1.format_range("Sheet1", 0, 0, 1000, 26) == "Sheet1!A1:Z1000"
    assert a1.format_range("My Sheet", 1, 1, 2, 2) == "'My Sheet'!B2"


@pytest.mark.parametrize(
    ("typed", "entered", "number_format"),
    [
        ("42", {"numberValue": 42.0}, None),
        ("0042", {"numberValue": 42.0}, None),
        ("-1.5e3", {"numberValue": -1500.0}, None),
        ("1,234.50", {"numberValue": 1234.5}, {"type": "NUMBER", "pattern": "#,##0.00"}),
        ("12%", {"numberValue": 0.12}, {"type": "PERCENT", "pattern": "0%"}),
        ("true", {"boolValue": True}, None),
        ("=SUM(A1:A3)", {"formulaValue": "=SUM(A1:A3)"}, None),
        ("'=1+1", {"stringValue": "=1+1"}, None),
        ("2026-03-05", {"numberValue": 46086.0}, {"type": "DATE", "pattern": "yyyy-mm-dd"}),
        ("2024-02-30", {"stringValue": "2024-02-30"}, None),
        ("MK-1335-CW-25238-011", {"stringValue": "MK-1335-CW-25238-011"}, None),
    ],
)
def test_user_entered_parsing(typed, entered, number_format):
    value, fmt = parse_user_entered(typed, "en_US")
    assert value == entered
    assert (fmt or {}).get("numberFormat") == number_format


def test_slash_dates_follow_the_locale():
    us, _ = parse_user_entered("3/5/2026", "en_US")
    cl, _ = parse_user_entered("3/5/2026", "es_CL")
    assert us["numberValue"] == to_serial(dt.date(2026, 3, 5))
    assert cl["numberValue"] == to_serial(dt.date(2026, 5, 3))


def test_datetime_serial_and_format():
    value, fmt = parse_user_entered("2026-03-05 14:30:00", "en_US")
    assert value["numberValue"] == pytest.approx(46086 + 14.5 / 24)
    cell = {"userEnteredValue": value, "userEnteredFormat": fmt}
    assert render(cell, "FORMATTED_VALUE", "SERIAL_NUMBER", NO_SHEET) == "2026-03-05 14:30:00"
    assert render(cell, "UNFORMATTED_VALUE", "SERIAL_NUMBER", NO_SHEET) == pytest.approx(46086.604166)
    assert render(cell, "UNFORMATTED_VALUE", "FORMATTED_STRING", NO_SHEET) == "2026-03-05 14:30:00"


def test_raw_keeps_text_and_null_is_not_written_here():
    cell = cell_from_input("=1+1", user_entered=False, locale="en_US", old={"note": "kept"})
    assert cell == {"note": "kept", "userEnteredValue": {"stringValue": "=1+1"}}
    assert cell_from_input("", user_entered=True, locale="en_US", old=cell) == {"note": "kept"}


def test_render_options():
    def shown(cell, option):
        return render(cell, option, "SERIAL_NUMBER", NO_SHEET)

    formula = {"userEnteredValue": {"formulaValue": "=3/2"}}
    assert shown(formula, "FORMULA") == "=3/2"
    assert shown(formula, "UNFORMATTED_VALUE") == 1.5
    assert shown(formula, "FORMATTED_VALUE") == "1.5"
    assert shown({"userEnteredValue": {"numberValue": 42.0}}, "UNFORMATTED_VALUE") == 42
    assert shown({"userEnteredValue": {"boolValue": False}}, "FORMATTED_VALUE") == "FALSE"
    unknown = {"userEnteredValue": {"formulaValue": "=NOW()"}}  # not modelled: #NAME?, never empty
    assert shown(unknown, "FORMATTED_VALUE") == shown(unknown, "UNFORMATTED_VALUE") == "#NAME?"


@pytest.mark.parametrize(
    ("number", "text"),
    [(42.0, "42"), (42.01, "42.01"), (1 / 3, "0.3333333333"), (-0.0, "0"), (1e20, "1E+20")],
)
def test_automatic_number_format(number, text):
    assert format_automatic(number) == text


def test_date_patterns():
    moment = dt.datetime(2026, 3, 5, 7, 8, 9)
    assert format_date(moment, "d/m/yyyy") == "5/3/2026"
    assert format_date(moment, "yyyy-mm-dd hh:mm:ss") == "2026-03-05 07:08:09"
    assert format_date(moment, "mmm d, yyyy h:mm am/pm") == "Mar 5, 2026 7:08 AM"
    evening = dt.datetime(2026, 3, 5, 19, 4, 59, 600_000)  # rounds to 19:05:00
    assert format_date(evening, "dddd d mmmm yy, hh:mm") == "Thursday 5 March 26, 19:05"
    assert format_date(evening, "mm:ss h AM/PM") == "05:00 7 PM"
    assert format_date(evening, '"day" d "of" mmm') == "day 5 of Mar"
