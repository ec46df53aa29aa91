"""One ``<c>`` element from one value, by the rules every spoolsheet writer of .xlsx follows.

``str`` is always text (an inline string, even when it starts with ``=``), only ``Formula``
becomes a formula, numbers are numbers, booleans booleans, dates serial numbers in a style that
shows them dd-mm-yyyy, ``None`` an empty cell (which keeps its style and the grid). Used by the
part-rewriting writer and by the sample writer.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from ..errors import DataError, UsageError
from ..values import Cell, Formula, datetime_to_serial

#: Characters an XML 1.0 document (so an .xlsx cell) cannot hold.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
#: Serial of 1904-01-01 in the 1900 system: what the 1904 date system counts from.
DAYS_1904 = 1462


def xml_escape(text: str, *, quotes: bool = False) -> str:
    """``text`` with ``&``, ``<`` and ``>`` (and, with ``quotes``, both quotes) as entities: what
    ``xml.sax.saxutils.escape`` gives, without its import of urllib.request and ssl (~15 ms)."""
    text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    return text.replace('"', "&quot;").replace("'", "&apos;") if quotes else text


def column_letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_xml(ref: str, value: Cell, *, style: int | None, date_style: int, date1904: bool = False,
             sheet: str = "", row: int = 0) -> str:
    """The element for ``value`` at ``ref``; ``style`` is kept (None: no style attribute)."""
    s = f' s="{style}"' if style else ""
    if value is None or (isinstance(value, str) and value == ""):
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, Formula):
        text = str(value)[1:] if value.startswith("=") else str(value)
        return f'<c r="{ref}"{s}><f>{xml_escape(text)}</f></c>'
    if isinstance(value, str):
        if ILLEGAL_CHARACTERS_RE.search(value):
            raise DataError(f"value {value!r} has characters an .xlsx cell cannot hold",
                            sheet=sheet or None, row=row or None, column=ref.rstrip("0123456789"))
        return (f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">'
                f'{xml_escape(value)}</t></is></c>')
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DataError(f"value {value!r} is not a number an .xlsx cell can hold",
                            sheet=sheet or None, row=row or None, column=ref.rstrip("0123456789"))
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, (dt.date, dt.datetime)):
        serial = datetime_to_serial(value) - (DAYS_1904 if date1904 else 0)
        return f'<c r="{ref}" s="{date_style}"><v>{serial!r}</v></c>'
    raise UsageError(f"sheet {sheet!r} row {row}: cannot write a {type(value).__name__} to a cell")


def as_read(value: Cell) -> Cell:
    """The value a read gives back for a value written by ``cell_xml`` (for keeping caches)."""
    if isinstance(value, str) and not isinstance(value, Formula):
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value
