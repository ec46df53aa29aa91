"""Backups fingerprint grid sizes, so an .xlsx write must keep every sheet's grid on disk.

Regression: a grid corner saved as an empty string loaded as an empty cell that the next save
dropped, and a shrunk grid lost its corner; the file then disagreed with the workbook in memory.
"""

from __future__ import annotations

from spoolsheet.settings import Settings
from spoolsheet.workbook import ChangeSet, open_workbook


def grids(wb) -> dict[str, tuple[int, int]]:
    return {i.title: (i.rows, i.cols) for i in wb.sheets()}


def test_grids_survive_writes_and_reloads(sample_tiny, tmp_path):
    path = tmp_path / "Kronos.xlsx"
    path.write_bytes(sample_tiny.read_bytes())
    wb = open_workbook(Settings(workbook=path, sheet_id=None))
    before = grids(wb)
    assert before["Roles"][0] > 20 and before["Param"][1] == 26
    for _ in range(2):  # each write is a load and a save
        wb.apply(ChangeSet().put("Param", 1, 1, "x").resize("Roles", rows=20))
    expected = {**before, "Roles": (20, before["Roles"][1])}
    assert grids(wb) == expected
    assert grids(open_workbook(Settings(workbook=path, sheet_id=None))) == expected
