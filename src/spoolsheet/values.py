"""The one codec for cell values: dates in every form the shop has, workers, integers, safe text.

Reading: a cell comes back typed (str, int, float, bool, datetime, ``Formula`` or None) from either
backend; ``parse_date`` turns every date form DOMAIN.md lists into a ``date``/``datetime``.
Writing: backends write ``str`` as literal text (never a formula), numbers as numbers, dates as
real dates shown ``dd-mm-yyyy``; only an explicit ``Formula`` becomes a formula.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import re
from dataclasses import dataclass
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from .errors import DataError, UsageError

#: Day zero of spreadsheet serial numbers (Google Sheets and Excel's 1900 system after 1900-03-01).
SERIAL_EPOCH = dt.datetime(1899, 12, 30)
#: How dates the backend writes are displayed (the shop's convention).
DATE_DISPLAY_FORMAT = "dd-mm-yyyy"

class Formula(str):
    """A cell's formula text (``=SUM(A1:A3)``), kept apart from text that merely starts with ``=``."""

    def __repr__(self) -> str:
        return f"Formula({str.__repr__(self)})"


#: A cell as either backend reads it and as a ``ChangeSet`` writes it (times and durations come
#: from cells formatted as such in a .xlsx; ``bool`` is listed apart from ``int`` for the reader).
Cell: TypeAlias = (str | Formula | bool | int | float | dt.datetime | dt.date | dt.time
                   | dt.timedelta | None)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_json(value: Cell) -> Any:
    """A cell holding JSON text → its value, ``{}`` when blank; ``ValueError`` when it is not."""
    if is_blank(value):
        return {}
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not JSON text")
    return json.loads(value)


# --- dates -----------------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        [("jan", "ene"), ("feb",), ("mar",), ("apr", "abr"), ("may",), ("jun",), ("jul",),
         ("aug", "ago"), ("sep", "set"), ("oct",), ("nov",), ("dec", "dic")],
        start=1,
    )
    for m in names
}
_DMY = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_D_MON_Y = re.compile(r"^(\d{1,2})[-/ ]([A-Za-z]{3})[a-z]*\.?[-/ ](\d{2}|\d{4})$")
_TIME = re.compile(r"^(.*?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def serial_to_datetime(serial: float) -> dt.date | dt.datetime:
    """Spreadsheet serial number (days since 1899-12-30) → date, or datetime if it has a time."""
    if isinstance(serial, bool) or not math.isfinite(serial) or not 1 <= serial < 2958466:
        raise ValueError(f"{serial!r} is not a plausible spreadsheet date serial")
    moment = SERIAL_EPOCH + dt.timedelta(days=float(serial))
    moment = moment.replace(microsecond=0) if moment.microsecond < 1000 else moment
    return moment.date() if float(serial).is_integer() else moment


def datetime_to_serial(value: dt.date | dt.datetime) -> float | int:
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - SERIAL_EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    return (value - SERIAL_EPOCH.date()).days


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 else year


def _parse_date_text(text: str) -> dt.date:
    if m := _YMD.match(text):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.match(text):
        return dt.date(_year(m[4]), int(m[3]), int(m[1]))
    if m := _D_MON_Y.match(text):
        month = _MONTHS.get(m[2].lower())
        if month is None:
            raise ValueError(f"unknown month {m[2]!r}")
        return dt.date(_year(m[3]), month, int(m[1]))
    raise ValueError("not a known date form")


def parse_date(value: object, *, sheet: str | None = None, row: int | None = None,
               column: str | None = None) -> dt.date | dt.datetime | None:
    """Any date form the workbook holds → ``date`` (or ``datetime`` when it carries a time).

    Blank → None. Anything else that is not a date raises ``DataError`` naming where it stands.
    """
    if is_blank(value):
        return None
    try:
        if isinstance(value, dt.datetime):
            return value.date() if value.time() == dt.time() else value
        if isinstance(value, dt.date):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return serial_to_datetime(value)
        if isinstance(value, str):
            text = value.strip()
            if m := _TIME.match(text):
                day = _parse_date_text(m[1].strip())
                return dt.datetime(day.year, day.month, day.day, int(m[2]), int(m[3]), int(m[4] or 0))
            return _parse_date_text(text)
        raise ValueError(f"unexpected type {type(value).__name__}")
    except ValueError as exc:
        raise DataError(f"cannot read {value!r} as a date ({exc})", sheet=sheet, row=row,
                        column=column) from None


def format_date(value: dt.date) -> str:
    """The shop's display form, DD-MM-YYYY."""
    return value.strftime("%d-%m-%Y")


def format_datetime(value: dt.datetime) -> str:
    """A moment as the shop's sheets hold it: DD-MM-YYYY HH:MM:SS, shop time, no zone."""
    return value.strftime("%d-%m-%Y %H:%M:%S")


def utc_iso(value: object) -> str | None:
    """A shop-time moment as a sheet holds it (any form ``parse_date`` reads) for machines: UTC,
    ISO 8601 with its offset. None when blank or not a moment (e.g. edited by hand)."""
    try:
        moment = parse_date(value)
    except DataError:
        return None
    if not isinstance(moment, dt.datetime):
        return None
    return moment.replace(tzinfo=shop_tz()).astimezone(dt.UTC).isoformat()


@functools.cache
def _zone(name: str | None) -> ZoneInfo:
    from .settings import Clock  # pydantic only when a time is first shown

    return ZoneInfo(Clock().tz if name is None else Clock(tz=name).tz)


def shop_tz() -> ZoneInfo:
    """The shop's time zone: SPOOLSHEET_TZ (or .env), default America/Santiago; a bad name is
    one ConfigurationError naming the variable."""
    return _zone(os.environ.get("SPOOLSHEET_TZ"))


def shop_time(moment: dt.datetime) -> str:
    """A moment as people read it: shop time with its offset and zone name
    (``2026-12-02 11:05:00 -03 America/Santiago``); a naive moment is taken as UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    local = aware.astimezone(shop_tz())
    offset = local.strftime("%z")
    offset = offset[:3] if offset.endswith("00") else f"{offset[:3]}:{offset[3:]}"
    return f"{local:%Y-%m-%d %H:%M:%S} {offset} {local.tzinfo}"


def shop_today() -> dt.date:
    return dt.datetime.now(shop_tz()).date()


def shop_now() -> dt.datetime:
    """Now in the shop's time zone, without tzinfo (spreadsheets store naive local times)."""
    return dt.datetime.now(shop_tz()).replace(tzinfo=None, microsecond=0)


# --- integers --------------------------------------------------------------------------------

def parse_int(value: object, *, sheet: str | None = None, row: int | None = None,
              column: str | None = None, blank: int | None = None) -> int | None:
    """An integer cell (``3``, ``3.0``, ``"3"``). Blank gives ``blank``; anything else is a DataError."""
    if is_blank(value):
        return blank
    if isinstance(value, bool):
        raise DataError(f"expected an integer, found {value!r}", sheet=sheet, row=row, column=column)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.0+)?\s*", value):
        return int(float(value))
    raise DataError(f"expected an integer, found {value!r}", sheet=sheet, row=row, column=column)


def parse_bool(value: object) -> bool:
    """TRUE/FALSE as the sheets hold it: a real boolean, or text like 'TRUE', 'si', '1'."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return str(value or "").strip().casefold() in {"true", "verdadero", "si", "sí", "1", "x", "yes"}


# --- workers ---------------------------------------------------------------------------------

#: ``INICIALES(ID)``: up to four letters of any alphabet (Ü, Ø, Ç...), possibly none, then the Id.
_WORKER = re.compile(r"^\s*([^\W\d_]{0,4})\((\d+)\)\s*$")


def _upper(letters: str) -> str:
    """Upper-case letter by letter, keeping a letter whose capital is two ("ß" → "SS")."""
    return "".join(ch.upper() if len(ch.upper()) == 1 else ch for ch in letters)


def _initial(name: str | None) -> str:
    """The first letter of a name, upper-cased; digits, brackets, ``=+-@`` and spaces skipped."""
    return _upper(next((ch for ch in (name or "") if ch.isalpha()), ""))


@dataclass(frozen=True)
class WorkerRef:
    """A worker in the sheet's ``INICIALES(ID)`` form, e.g. ``MR(93)``.

    ``of`` and ``parse`` are symmetric: whatever ``of`` makes from a name (Ümit Özil → ``ÜÖ(7)``,
    a blank Apellido → ``J(7)``, no letter at all → ``(7)``) ``parse`` reads back, so a name can
    never make a written spool unreadable. The text never starts with ``=``, ``+``, ``-`` or ``@``.
    """

    initials: str
    id: int

    def __str__(self) -> str:
        return f"{self.initials}({self.id})"

    @classmethod
    def of(cls, worker_id: int, nombre: str | None, apellido: str | None) -> WorkerRef:
        """First letter of the first given name + first letter of the first surname."""
        return cls(_initial(nombre) + _initial(apellido), int(worker_id))

    @classmethod
    def parse(cls, value: object, *, sheet: str | None = None, row: int | None = None,
              column: str | None = None) -> WorkerRef | None:
        if is_blank(value):
            return None
        m = _WORKER.match(str(value))
        if not m:
            raise DataError(f"expected a worker as INICIALES(ID), found {value!r}", sheet=sheet,
                            row=row, column=column)
        return cls(_upper(m[1]), int(m[2]))

    @classmethod
    def given(cls, text: object) -> tuple[int, str | None]:
        """What a person typed for a worker: ``93`` → (93, None), ``MR(93)`` → (93, "MR")."""
        if isinstance(text, int) and not isinstance(text, bool):
            return text, None
        value = str(text).strip()
        if value.isdigit():
            return int(value), None
        m = _WORKER.match(value)
        if not m:
            raise UsageError(f"a worker is given as its Id (93) or as INICIALES(ID) (MR(93)), "
                             f"got {value!r}")
        return int(m[2]), _upper(m[1])


def canonical(value: object) -> object:
    """One comparable form of a cell across reads and backends (used by fingerprints).

    Integral floats become ints, dates become ISO strings, formulas are tagged, blanks are None.
    """
    if value is None or value == "":
        return None
    if isinstance(value, Formula):
        return {"f": str(value)}
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
