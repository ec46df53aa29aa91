"""The one codec: every date form the shop has, workers, integers, canonical forms."""

import datetime as dt
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spoolsheet.errors import DataError
from spoolsheet.values import (
    Formula,
    WorkerRef,
    canonical,
    datetime_to_serial,
    parse_bool,
    parse_date,
    parse_int,
    serial_to_datetime,
)
from spoolsheet.workbook.xlsx_cells import xml_escape


@pytest.mark.parametrize("text, expected", [
    ("05-03-2026", dt.date(2026, 3, 5)),
    ("05/03/2026", dt.date(2026, 3, 5)),
    ("05/03/26", dt.date(2026, 3, 5)),
    ("2026-03-05", dt.date(2026, 3, 5)),
    ("05-Mar-2026", dt.date(2026, 3, 5)),
    ("5-ene-2026", dt.date(2026, 1, 5)),
    (" 5-3-2026 ", dt.date(2026, 3, 5)),
    ("05-03-2026 14:30:00", dt.datetime(2026, 3, 5, 14, 30)),
    (46155, dt.date(2026, 5, 13)),
    (46155.0, dt.date(2026, 5, 13)),
    (dt.datetime(2026, 3, 5), dt.date(2026, 3, 5)),
    (dt.date(2026, 3, 5), dt.date(2026, 3, 5)),
])
def test_every_date_form_reads_as_the_same_date(text, expected):
    assert parse_date(text) == expected


def test_serial_with_time_keeps_the_time():
    value = parse_date(46155.5)
    assert value == dt.datetime(2026, 5, 13, 12, 0)


def test_blank_is_none():
    assert parse_date(None) is None and parse_date("  ") is None


@pytest.mark.parametrize("bad", ["31-02-2026", "mañana", "13/45/2026", True, -5, "05-Xyz-2026"])
def test_unreadable_date_names_where_it_stands(bad):
    with pytest.raises(DataError) as err:
        parse_date(bad, sheet="Operaciones", row=12, column="Fecha_Armado")
    message = str(err.value)
    assert "Operaciones" in message and "row 12" in message and "Fecha_Armado" in message


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_serial_round_trip(day):
    assert serial_to_datetime(datetime_to_serial(day)) == day


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_display_form_round_trip(day):
    assert parse_date(day.strftime("%d-%m-%Y")) == day


def test_worker_form():
    ref = WorkerRef.of(93, "Mario Andrés", "Rojas Pérez")
    assert str(ref) == "MR(93)"
    assert WorkerRef.parse("mr(93)") == ref
    assert WorkerRef.parse("") is None
    with pytest.raises(DataError, match="INICIALES"):
        WorkerRef.parse("Mario", sheet="Operaciones", row=3, column="Armador")


def test_integers():
    assert parse_int(3) == 3 and parse_int(3.0) == 3 and parse_int(" 7 ") == 7
    assert parse_int(None, blank=None) is None
    for bad in (3.5, "tres", True):
        with pytest.raises(DataError):
            parse_int(bad, sheet="Operaciones", row=2, column="version")


def test_booleans_as_sheets_hold_them():
    assert parse_bool(True) and parse_bool("TRUE") and parse_bool("si")
    assert not parse_bool(False) and not parse_bool("FALSE") and not parse_bool(None)


def test_canonical_distinguishes_formula_from_text():
    assert canonical(Formula("=A1")) != canonical("=A1")
    assert canonical(2.0) == canonical(2)
    assert canonical("") is None


@given(st.text(alphabet=st.sampled_from("&<>\"'a ;#x&amp;")) | st.text())
def test_the_writers_xml_escape_is_saxutils(text):
    """The .xlsx writer escapes text itself (saxutils' import pulls in urllib and ssl): the same
    entities, for cell text and for quoted attribute values (sheet titles)."""
    assert xml_escape(text) == escape(text)
    assert xml_escape(text, quotes=True) == escape(text, {'"': "&quot;", "'": "&apos;"})
