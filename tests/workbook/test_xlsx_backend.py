"""The .xlsx backend on real files: atomic change sets, formulas kept apart from text, locks."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from spoolsheet.errors import CorruptWorkbook, SheetNotFound, WorkbookLocked, WorkbookNotFound
from spoolsheet.values import Formula
from spoolsheet.workbook import ChangeSet, Region, Workbook, XlsxBackend
from spoolsheet.workbook.xlsx import lock_path


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "Kronos.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Operaciones"
    ws.append(["NV", "TAG_SPOOL / CODIGO_BARRA", "Armador"])
    ws.append([1, "MK-1", "MR(93)"])
    ws.append([2, "MK-2", None])
    meta = wb.create_sheet("Metadata")
    meta.append(["id", "evento_tipo"])
    wb.save(path)
    return path


def test_reads_typed_values_trimmed(book):
    with Workbook(XlsxBackend(book)) as wb:
        sheet = wb.read_sheet("Operaciones")
        assert sheet.rows == [["NV", "TAG_SPOOL / CODIGO_BARRA", "Armador"], [1, "MK-1", "MR(93)"],
                              [2, "MK-2"]]
        assert [s.title for s in wb.sheets()] == ["Operaciones", "Metadata"]


def test_change_set_lands_whole_and_survives_reload(book):
    with Workbook(XlsxBackend(book)) as wb:
        wb.apply(ChangeSet()
                 .put("Operaciones", 3, 3, "=HYPERLINK(\"http://evil\")")
                 .put("Operaciones", 2, 4, Formula("=A2*2"))
                 .append_rows("Metadata", [["e1", "TOMAR_SPOOL"]])
                 .add_sheet("Extra", rows=40, cols=8))
    again = Workbook(XlsxBackend(book))
    ops = again.read_sheet("Operaciones")
    assert ops.cell(3, 3) == "=HYPERLINK(\"http://evil\")" and not isinstance(ops.cell(3, 3), Formula)
    assert isinstance(ops.cell(2, 4), Formula)
    assert again.read_sheet("Metadata").rows[-1] == ["e1", "TOMAR_SPOOL"]
    extra = {s.title: s for s in again.sheets()}["Extra"]
    assert (extra.rows, extra.cols) == (40, 8)
    raw = openpyxl.load_workbook(book)["Operaciones"]["C3"]
    assert raw.data_type == "s"  # stored as text, Excel will not evaluate it


def test_failed_change_set_changes_nothing(book):
    before = book.read_bytes()
    wb = Workbook(XlsxBackend(book))
    with pytest.raises(SheetNotFound):
        wb.apply(ChangeSet().put("Operaciones", 2, 3, "XX(1)").put("Nope", 1, 1, "x"))
    assert book.read_bytes() == before
    assert wb.read_sheet("Operaciones").cell(2, 3) == "MR(93)"  # the half-applied memory is gone


def test_shrink_and_delete(book):
    wb = Workbook(XlsxBackend(book))
    wb.apply(ChangeSet().resize("Operaciones", rows=2, cols=2).delete_sheet("Metadata"))
    assert wb.read_sheet("Operaciones").rows == [["NV", "TAG_SPOOL / CODIGO_BARRA"], [1, "MK-1"]]
    assert wb.sheet_titles() == ["Operaciones"]


def test_reloads_when_another_process_wrote(book):
    mine = Workbook(XlsxBackend(book))
    assert mine.read_sheet("Operaciones").cell(2, 2) == "MK-1"
    other = Workbook(XlsxBackend(book))
    other.apply(ChangeSet().put("Operaciones", 2, 2, "MK-1b"))
    assert mine.read_sheet("Operaciones").cell(2, 2) == "MK-1b"
    loads = mine.stats.reads
    mine.read_sheet("Operaciones")
    assert mine.stats.reads == loads  # unchanged file: no reload


def test_bad_inputs_are_named(tmp_path):
    with pytest.raises(WorkbookNotFound, match=r"missing\.xlsx"):
        XlsxBackend(tmp_path / "missing.xlsx")
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    with pytest.raises(CorruptWorkbook, match=r"notes\.xlsx"):
        XlsxBackend(text)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("hello.txt", "zip but not xlsx")
    with pytest.raises(CorruptWorkbook, match=r"broken\.xlsx"):
        XlsxBackend(broken).sheets()


def test_file_locked_by_another_process(book):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import filelock, sys, time
            with filelock.FileLock({str(lock_path(book))!r}):
                print("held", flush=True); time.sleep(30)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = book.read_bytes()
        with pytest.raises(WorkbookLocked, match="locked by another process"):
            XlsxBackend(book, lock_timeout=0.2).apply(ChangeSet().put("Operaciones", 2, 2, "X"))
        assert book.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


WRITER = """
import sys
from spoolsheet.workbook import ChangeSet, Region, Workbook, XlsxBackend
wb = Workbook(XlsxBackend(sys.argv[1]))
n = 0
while True:
    n += 1
    wb.apply(ChangeSet().put("Operaciones", 2, 1, n).set_block("Operaciones", 10, 1, [[n] * 20] * 200)
             .append_rows("Operaciones", [["log", n]]))
    print(n, flush=True)
"""


@pytest.mark.slow
def test_killed_mid_write_leaves_old_or_new_workbook(book):
    """SIGKILL the part-rewriting writer at random moments: the file always opens, whole, at some
    version, and openpyxl and calamine read the same values from it."""
    rng = random.Random(1)
    last_seen = 0
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(book)], stdout=subprocess.PIPE,
                                text=True)
        proc.stdout.readline()  # at least one write completed
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        ops = openpyxl.load_workbook(book)["Operaciones"]
        n = ops["A2"].value
        assert isinstance(n, int) and n >= 1
        assert all(ops.cell(row=r, column=c).value == n for r in (10, 209) for c in (1, 20))
        assert ops["B2"].value == "MK-1"
        rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Operaciones").to_python()
        assert [[v if v != "" else None for v in row] for row in rows] == [
            [c.value for c in row] for row in ops.iter_rows(max_col=len(rows[0]))]
        last_seen = n
    assert last_seen >= 1
    leftovers = [p.name for p in book.parent.iterdir() if p.suffix == ".tmp"]
    assert len(leftovers) <= 1  # the next writer sweeps what a killed one left


def test_a_sheet_whose_cells_start_away_from_a1_reads_them_where_they_are(tmp_path):
    """A clerk's sheet with an empty first row and column (a title in B2): calamine's range
    starts at its first used cell; every cell must still read at its own address, read whole,
    as a header region and as columns (the partial readers) and after a write."""
    path = tmp_path / "Resumen.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Resumen"
    ws["B2"], ws["C4"], ws["D4"], ws["B7"] = "Resumen semanal", "spools", 12, "nota"
    ws["E5"] = "=D4*2"
    wb.save(path)
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Resumen").start == (1, 1)
    expected = [[], [None, "Resumen semanal"], [], [None, None, "spools", 12],
                [None, None, None, None, Formula("=D4*2")], [], [None, "nota"]]
    with Workbook(XlsxBackend(path)) as book:
        assert book.backend.read_regions([Region("Resumen", 1, 4)]) == [expected[:4]]
        assert book.backend.read_regions([Region("Resumen", 2, None, 3, 5)]) == [
            [r[2:5] for r in expected[1:5]]]  # rows 6 and 7 have nothing in C:E
        assert book.read_sheet("Resumen").rows == expected
        book.apply(ChangeSet().put("Resumen", 4, 4, 13))
    with Workbook(XlsxBackend(path)) as book:
        assert book.read_sheet("Resumen").rows == [*expected[:3], [None, None, "spools", 13],
                                                   *expected[4:]]
    assert openpyxl.load_workbook(path)["Resumen"]["B2"].value == "Resumen semanal"
