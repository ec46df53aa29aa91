"""A piped table is written line by line, byte-for-byte as Rich's Table(box=None) prints it."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from spoolsheet.cli.output import print_table

#: mostly plain ASCII (the path written directly), some of any text (the path left to Rich)
cells = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12) | st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def piped(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, highlight=False, markup=False, emoji=False), out


@settings(max_examples=300, deadline=None)
@given(width=st.integers(10, 120), ncols=st.integers(1, 6), data=st.data())
def test_piped_table_is_what_rich_prints(width, ncols, data):
    headers = data.draw(st.lists(cells.filter(bool), min_size=ncols, max_size=ncols))
    rows = data.draw(st.lists(st.lists(cells, min_size=ncols, max_size=ncols), max_size=8))
    ours, mine = piped(width)
    print_table(ours, headers, rows)
    theirs, rich = piped(width)
    table = Table(*headers, box=None)
    for row in rows:
        table.add_row(*row)
    theirs.print(table)
    assert mine.getvalue() == rich.getvalue()
