"""Cell values: what a write stores, what a read renders.

A cell is stored the way the API describes it (a ``CellData`` dict): ``userEnteredValue`` holds
exactly one of stringValue / numberValue / boolValue / formulaValue, ``userEnteredFormat`` may hold
a ``numberFormat``, ``note`` a note. Integral numbers are kept as ints so they travel as ``3``,
not ``3.0``, as Google prints them. Cell dicts are never mutated in place (grids share them
between copies), every write builds a new dict.

Formulas are evaluated by formulas.py; rendering takes their results through an ``Evaluate``
callable, so this module knows nothing of references (FORMULA returns the text as written).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

EPOCH = dt.datetime(1899, 12, 30)  # serial number 0 in Sheets (and Excel's 1900 system)

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PERCENT = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))%$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


# --- writing -----------------------------------------------------------------------------------


def number(value: float) -> dict[str, int | float]:
    """A numberValue, integral numbers as ints (JSON ``42``, as the API answers, not ``42.0``)."""
    value = float(value)
    return {"numberValue": int(value) if value.is_integer() and abs(value) < 2**53 else value}


def to_serial(value: dt.date | dt.datetime) -> float:
    """A date or datetime -> Sheets serial number (days since 1899-12-30)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value.replace(tzinfo=None) - EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000


def from_serial(serial: float) -> dt.datetime:
    return EPOCH + dt.timedelta(days=serial)


def _number_format(kind: str, pattern: str) -> dict[str, Any]:
    return {"numberFormat": {"type": kind, "pattern": pattern}}


def parse_user_entered(text: str, locale: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Parse typed text like the Sheets UI: -> (userEnteredValue, userEnteredFormat or None)."""
    if text.startswith("'"):
        return {"stringValue": text[1:]}, None
    if text.startswith("="):
        return {"formulaValue": text}, None
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return {"boolValue": stripped.upper() == "TRUE"}, None
    if stripped[:1].isalpha():  # fast path for the common case: words are text
        return {"stringValue": text}, None
    if _NUMBER.match(stripped):
        return number(float(stripped)), None
    if _GROUPED.match(stripped):
        places = "." + "0" * len(stripped.partition(".")[2]) if "." in stripped else ""
        return number(float(stripped.replace(",", ""))), _number_format("NUMBER", "#,##0" + places)
    if match := _PERCENT.match(stripped):
        decimals = len(match[1].partition(".")[2])
        pattern = "0" + ("." + "0" * decimals if decimals else "") + "%"
        return number(float(match[1]) / 100), _number_format("PERCENT", pattern)
    date = _parse_date(stripped, locale)
    if date is not None:
        moment, pattern = date
        kind = "DATE_TIME" if "h" in pattern else "DATE"
        return number(to_serial(moment)), _number_format(kind, pattern)
    return {"stringValue": text}, None


def _parse_date(text: str, locale: str) -> tuple[dt.datetime, str] | None:
    try:
        if match := _ISO_DATE.match(text):
            year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
            value = dt.datetime(year, month, day, hour, minute, second)
            return value, "yyyy-mm-dd hh:mm:ss" if match[4] else "yyyy-mm-dd"
        if match := _SLASH_DATE.match(text):
            first, second_, year = (int(g) for g in match.groups())
            if locale.startswith("en_US"):
                return dt.datetime(year, first, second_), "m/d/yyyy"
            return dt.datetime(year, second_, first), "d/m/yyyy"
    except ValueError:  # 2024-02-30 and friends stay text, as in Sheets
        return None
    return None


def cell_from_input(value: Any, user_entered: bool, locale: str, old: dict[str, Any]) -> dict[str, Any]:
    """The new cell after writing one JSON value through the values API.

    Formatting and notes of the old cell survive, as in Sheets; an empty string clears the value.
    Callers skip JSON null themselves (null leaves the cell alone).
    """
    cell = dict(old)
    cell.pop("userEnteredValue", None)
    if isinstance(value, bool):
        entered: dict[str, Any] | None = {"boolValue": value}
    elif isinstance(value, (int, float)):
        entered = number(value)
    elif value == "":
        entered = None
    elif user_entered:
        entered, fmt = parse_user_entered(str(value), locale)
        if fmt is not None:
            cell["userEnteredFormat"] = {**cell.get("userEnteredFormat", {}), **fmt}
    else:
        entered = {"stringValue": str(value)}
    if entered is not None:
        cell["userEnteredValue"] = entered
    return cell


# --- formulas ----------------------------------------------------------------------------------

# An evaluated formula: the effectiveValue of a formula text (None = empty result). formulas.py
# provides it per read (``Evaluator.bound(sheet)``); rendering only asks for formula cells.
Evaluate = Callable[[str], "dict[str, Any] | None"]

ERROR_CODES = {  # the API's ErrorType -> what a cell shows
    "ERROR": "#ERROR!",
    "NULL_VALUE": "#NULL!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
}


# --- reading -----------------------------------------------------------------------------------


def effective_value(cell: dict[str, Any], evaluate: Evaluate) -> dict[str, Any] | None:
    """The computed ``effectiveValue`` of a cell, None when empty."""
    entered = cell.get("userEnteredValue")
    if not entered:
        return None
    if "formulaValue" in entered:
        return evaluate(entered["formulaValue"])
    return entered


def render(cell: dict[str, Any], option: str, date_time_option: str, evaluate: Evaluate) -> Any:
    """One cell for a values read; None means empty (trimmed from the end of rows).
    Called for every cell of a read, hence the early answer for a plain stored value."""
    entered = cell.get("userEnteredValue")
    if not entered:
        return None
    if "formulaValue" in entered:
        if option == "FORMULA":
            return entered["formulaValue"]
        entered = evaluate(entered["formulaValue"])
        if entered is None:
            return None
        if "errorValue" in entered:  # errors read as their code, formatted or not
            return ERROR_CODES[entered["errorValue"]["type"]]
    if option != "FORMATTED_VALUE" and not (
        date_time_option == "FORMATTED_STRING"
        and "numberValue" in entered
        and (cell_number_format(cell) or {}).get("type") in DATE_KINDS
    ):
        return next(iter(entered.values()))
    return format_value(entered, cell_number_format(cell))


DATE_KINDS = ("DATE", "DATE_TIME", "TIME")


def cell_number_format(cell: dict[str, Any]) -> dict[str, Any] | None:
    return cell.get("userEnteredFormat", {}).get("numberFormat")


def format_value(effective: dict[str, Any], number_format: dict[str, Any] | None) -> str:
    """The ``formattedValue`` of an effective value under a numberFormat."""
    if "stringValue" in effective:
        return effective["stringValue"]
    if "boolValue" in effective:
        return "TRUE" if effective["boolValue"] else "FALSE"
    if "errorValue" in effective:
        return ERROR_CODES[effective["errorValue"]["type"]]
    number_format = number_format or {}
    return format_number(
        effective["numberValue"], number_format.get("type"), number_format.get("pattern", "")
    )


@functools.lru_cache(maxsize=65536)
def format_number(number: float, kind: str | None, pattern: str) -> str:
    """A number under a numberFormat's type and pattern. Cached: reads of big sheets format the
    same dates and amounts over and over."""
    if kind in DATE_KINDS and pattern:
        return format_date(from_serial(number), pattern)
    if pattern and kind in ("NUMBER", "PERCENT", "CURRENCY"):
        return _format_pattern(number, pattern)
    return format_automatic(number)


def format_automatic(number: float) -> str:
    """Sheets' "Automatic" format: integers plainly, up to 10 decimals, E notation at extremes."""
    if number != 0 and (abs(number) >= 1e15 or abs(number) < 1e-10):
        mantissa, exponent = f"{number:.9E}".split("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E{'+' if int(exponent) >= 0 else '-'}{abs(int(exponent)):02d}"
    text = f"{round(number, 10):.10f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _format_pattern(number: float, pattern: str) -> str:
    """Numeric patterns such as ``0``, ``0.00``, ``#,##0.00``, ``0.0%``, ``"$"#,##0``."""
    match = re.search(r"[#0][#0,]*(\.0+)?", pattern)
    if match is None:
        return format_automatic(number)
    if "%" in pattern:
        number *= 100
    decimals = len(match[1]) - 1 if match[1] else 0
    body = f"{abs(number):{',' if ',' in match[0] else ''}.{decimals}f}"
    sign = "-" if number < 0 and float(body.replace(",", "")) != 0 else ""
    prefix = pattern[: match.start()].replace('"', "")
    suffix = pattern[match.end() :].replace('"', "")
    return sign + prefix + body + suffix


_DATE_TOKEN = re.compile(r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|AM/PM|\"[^\"]*\"|.", re.I)
_DATE_FIELDS: dict[str, Callable[[dt.datetime], str]] = {
    "yyyy": lambda v: f"{v.year:04d}",
    "yy": lambda v: f"{v.year % 100:02d}",
    "mmmm": lambda v: v.strftime("%B"),
    "mmm": lambda v: v.strftime("%b"),
    "mm": lambda v: f"{v.month:02d}",
    "m": lambda v: f"{v.month}",
    "minutes:mm": lambda v: f"{v.minute:02d}",
    "minutes:m": lambda v: f"{v.minute}",
    "dddd": lambda v: v.strftime("%A"),
    "ddd": lambda v: v.strftime("%a"),
    "dd": lambda v: f"{v.day:02d}",
    "d": lambda v: f"{v.day}",
    "hh": lambda v: f"{v.hour:02d}",
    "h": lambda v: f"{v.hour}",
    "12:hh": lambda v: f"{v.hour % 12 or 12:02d}",
    "12:h": lambda v: f"{v.hour % 12 or 12}",
    "ss": lambda v: f"{v.second:02d}",
    "s": lambda v: f"{v.second}",
    "am/pm": lambda v: "AM" if v.hour < 12 else "PM",
}


@functools.lru_cache(maxsize=256)
def _date_pattern(pattern: str) -> tuple[tuple[str | None, str], ...]:
    """A date pattern as (field, literal) tokens, field None for literal text; ``m``/``mm``
    next to hours or seconds are minutes, and ``h``/``hh`` are 12-hour with ``am/pm``."""
    tokens = _DATE_TOKEN.findall(pattern)
    twelve_hour = any(t.lower() == "am/pm" for t in tokens)
    compiled: list[tuple[str | None, str]] = []
    for i, token in enumerate(tokens):
        field = token.lower()
        if field in ("m", "mm") and (
            any(t.lower() in ("h", "hh") for t in tokens[max(0, i - 2) : i])
            or any(t.lower() in ("s", "ss") for t in tokens[i + 1 : i + 3])
        ):
            field = "minutes:" + field
        elif field in ("h", "hh") and twelve_hour:
            field = "12:" + field
        compiled.append((field, "") if field in _DATE_FIELDS else (None, token.strip('"')))
    return tuple(compiled)


def format_date(value: dt.datetime, pattern: str) -> str:
    """Spreadsheet date patterns (``yyyy-mm-dd``, ``d/m/yyyy``, ``yyyy-mm-dd hh:mm:ss``)."""
    value = value + dt.timedelta(microseconds=500_000)  # round to the second
    return "".join(
        text if field is None else _DATE_FIELDS[field](value) for field, text in _date_pattern(pattern)
    )


def python_value(cell: dict[str, Any]) -> Any:
    """The user-entered value as Python (str/int/float/bool, formulas as their text), for tests."""
    entered = cell.get("userEnteredValue")
    if not entered:
        return None
    ((_, value),) = entered.items()
    return value
