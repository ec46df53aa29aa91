"""Formula references moved by text, as Sheets and Excel move them: only real references
change; strings, function names that look like cells and other sheets' references do not."""

from __future__ import annotations

import pytest

from spoolsheet.formula_refs import ColumnMove, mentions, move_cells, quote_title, rename_sheet

DELETE_C = ColumnMove("Ops", 3, 1, delete=True)
INSERT_2_AT_C = ColumnMove("Ops", 3, 2, delete=False)


@pytest.mark.parametrize(("formula", "here", "move", "want"), [
    ('=D2&"D2"&LOG10(D2)', "Ops", DELETE_C, '=C2&"D2"&LOG10(C2)'),
    ("=SUM($B$2:$E$9)", "Ops", DELETE_C, "=SUM($B$2:$D$9)"),
    ("=SUM(C:C)+C2", "Ops", DELETE_C, "=SUM(#REF!)+#REF!"),
    ("=SUM(A2:C2)", "Ops", DELETE_C, "=SUM(A2:B2)"),
    ("=SUM(2:5)", "Ops", DELETE_C, "=SUM(2:5)"),
    ("=D2", "Uniones", DELETE_C, "=D2"),  # another sheet's own cell
    ("=COUNTIF(Ops!D:D,A2)", "Uniones", DELETE_C, "=COUNTIF(Ops!C:C,A2)"),
    ("='ops'!D2", "Uniones", DELETE_C, "='ops'!C2"),  # sheet names match case-insensitively
    ("=SUM(B2:D2)", "Ops", INSERT_2_AT_C, "=SUM(B2:F2)"),  # spans the insertion: grows
    ("=SUM(C2:D2)+B2", "Ops", INSERT_2_AT_C, "=SUM(E2:F2)+B2"),  # starts at it: moves
])
def test_move_columns(formula, here, move, want):
    assert move_cells(formula, here, move) == want


def test_rename_quotes_a_title_only_when_it_must():
    text = "=COUNTIF(Uniones!B:B,A2)+'Uniones'!A1+B2+\"Uniones!A1\""
    assert rename_sheet(text, "Ops", "Uniones", "Juntas") == \
        "=COUNTIF(Juntas!B:B,A2)+Juntas!A1+B2+\"Uniones!A1\""
    assert quote_title("Las Uniones") == "'Las Uniones'" and quote_title("A1") == "'A1'"
    assert quote_title("it's") == "'it''s'"
    assert mentions("=SUM(Ops!A:A)", "X", "ops") and not mentions('="Ops!A1"', "X", "Ops")
