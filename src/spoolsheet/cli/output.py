"""Output a script can read: one JSON document on stdout per ``--json`` command.

Every ``--json`` command prints exactly one JSON value (an object, or a list for listings) and
nothing else on stdout; errors stay one line on stderr with the usual exit code. Times are for
machines: ISO 8601 in UTC with its offset (``2026-12-02T14:05:00+00:00``); a naive time read from
the sheet is the shop's local time (``values.shop_tz()``: SPOOLSHEET_TZ, default America/Santiago)
and is converted. Dates without a time stay ``YYYY-MM-DD``. What people read (tables, sentences)
is in shop time, with the zone shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..values import shop_tz

if TYPE_CHECKING:
    from rich.console import Console

JSON_HELP = "Print one JSON document on stdout (shape in docs/cli.md); times in UTC with offset."


def json_option() -> Any:
    """The ``--json`` flag, with the same help on every command."""
    return typer.Option(False, "--json", help=JSON_HELP)


def utc(value: dt.datetime) -> str:
    """A datetime for machines: aware, in UTC, ISO 8601 with the offset."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=shop_tz())
    return value.astimezone(dt.UTC).isoformat()


def plain(value: Any) -> Any:
    """``value`` as JSON-able data: dataclasses, enums, paths, dates and sets included."""
    if hasattr(value, "as_dict"):
        return plain(value.as_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, dt.datetime):
        return utc(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Path):
        return str(value)
    return value


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 backup``, ``2 backups``: the number with its noun in the right number."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def emit_json(value: Any) -> None:
    """Print ``value`` as one JSON document on stdout (UTF-8, no markup, no wrapping)."""
    typer.echo(json.dumps(plain(value), ensure_ascii=False, indent=2))


def print_table(console: Console, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Rows under headers, laid out as Rich's ``Table(box=None)`` lays them out.

    Piped, the lines are written as they are: Rich measures and wraps every cell, seconds for a
    listing of thousands of spools. On a terminal (bold header), or when a cell needs Rich's
    layout (the table is wider than the console, a cell is not plain printable ASCII), Rich's.
    """
    rows = [list(r) for r in rows]
    widths = [max(map(len, column)) for column in zip(headers, *rows, strict=True)]
    simple = (not console.is_terminal and sum(widths) + 2 * len(widths) <= console.width
              and all(c.isascii() and c.isprintable() for row in [headers, *rows] for c in row))
    if not simple:
        from rich.table import Table

        table = Table(*headers, box=None)
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    console.file.write("".join(
        "".join(f" {cell.ljust(width)} " for cell, width in zip(row, widths, strict=True)) + "\n"
        for row in [headers, *rows]))
