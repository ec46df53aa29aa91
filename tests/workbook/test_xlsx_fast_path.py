"""The part-rewriting writer against openpyxl: same values, untouched cells byte-identical,
every file it writes read alike by openpyxl and calamine.

Batches are state-change-like edits (cells, appended log rows, grid changes) and the v3.0
migration's own change sets (up, and down again), in any order. The default run tries a few
examples (a few seconds); ``--hypothesis-profile=thorough`` tries many more.
"""

import datetime as dt
import functools
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from spoolsheet.errors import SpoolsheetError
from spoolsheet.migrations import MIGRATIONS
from spoolsheet.sample import generate, write_xlsx
from spoolsheet.values import Formula
from spoolsheet.workbook import ChangeSet, Workbook, XlsxBackend
from spoolsheet.workbook.xlsx import apply_in_memory, load_xlsx, mark_grid_corner
from spoolsheet.workbook.xlsx_read import normal

V3_0 = MIGRATIONS[0]  # the package's v3.0 revision, as the runner sees it
SHEETS = ("Operaciones", "Metadata", "Trabajadores")
CELL = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', re.S)

values = st.one_of(
    st.none(), st.integers(-10**6, 10**6), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32).filter(lambda f: abs(f) < 1e9),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=8),
    st.sampled_from(["=SUM(A1:A3)", "+56 9", "@x", "  "]),
    st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1)),
    st.just(Formula("=A2*2")))
change = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(SHEETS), st.integers(1, 40), st.integers(1, 12),
              st.lists(st.lists(values, min_size=1, max_size=3), min_size=1, max_size=3)),
    st.tuples(st.just("append"), st.sampled_from(SHEETS),
              st.lists(st.lists(values, min_size=1, max_size=4), min_size=1, max_size=2)),
    st.tuples(st.just("grow"), st.sampled_from(SHEETS), st.integers(1, 80), st.integers(1, 70)))
batch = st.one_of(st.lists(change, min_size=1, max_size=4), st.just("migrate"))
#: Few examples by default (each writes two workbooks several times); many when thorough.
EXAMPLES = 300 if settings.get_current_profile_name() == "thorough" else 6


def migration(backend):
    """The v3.0 migration's change set for the workbook as it is: up, or down when it is up.

    Edits may have broken the layout it needs (a header overwritten): then it refuses, as a
    real run would, and the batch writes nothing."""
    sheets = backend.read()
    header = sheets["Operaciones"].rows[0] if sheets["Operaciones"].rows else []
    try:
        if "Ocupado_Por" in header:
            return V3_0.downgrade(sheets, force=True)
        return V3_0.upgrade(sheets)
    except SpoolsheetError:
        return ChangeSet()


@functools.cache
def sample_bytes() -> bytes:
    """The 15-spool sample, written once for every example."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_xlsx(Path(tmp) / "sample.xlsx", generate(spools=15, seed=7)).read_bytes()


def change_set(steps):
    cs = ChangeSet()
    for step in steps:
        if step[0] == "set":
            cs.set_block(step[1], step[2], step[3], step[4])
        elif step[0] == "append":
            cs.append_rows(step[1], step[2])
        else:
            cs.resize(step[1], rows=step[2], cols=step[3])
    return cs


def openpyxl_values(path):
    """Every non-blank cell as openpyxl reads it (its read-only mode: the same values, faster)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: {(r, c): v for r, row in enumerate(ws.iter_rows(values_only=True), 1)
                           for c, v in enumerate(row, 1) if v not in (None, "")}
                for ws in wb.worksheets}
    finally:
        wb.close()


def cells_xml(path, part):
    return {m[1].decode(): m[0] for m in CELL.finditer(zipfile.ZipFile(path).read(part))}


def same_cell(a, b):
    if isinstance(a, (dt.date, dt.datetime)) or isinstance(b, (dt.date, dt.datetime)):
        return a == b
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    return a == b


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(batch, min_size=1, max_size=3))
# several resizes of one sheet in one change set: each shrink cuts, the last one sets the grid
@example([[("grow", "Operaciones", 5, 50), ("grow", "Operaciones", 60, 3)]])
@example([[("grow", "Operaciones", 60, 3), ("grow", "Operaciones", 5, 50)]])
@example([[("set", "Operaciones", 40, 12, [[None, 0]]), ("grow", "Operaciones", 1, 1)]])
# the migration up, a state-change-like edit of its columns and a log row, then down
@example(["migrate", [("set", "Operaciones", 3, 64, [["MR(93)", dt.date(2026, 3, 1), 1]]),
                      ("append", "Metadata", [["id", "2026-03-01", "TOMAR_SPOOL"]])], "migrate"])
def test_fast_writes_match_openpyxl_and_leave_the_rest_as_it_was(tmp_path_factory, batches):
    folder = tmp_path_factory.mktemp("fast")
    fast = folder / "fast.xlsx"
    fast.write_bytes(sample_bytes())
    model = folder / "model.xlsx"
    shutil.copyfile(fast, model)
    backend = Workbook(XlsxBackend(fast))
    for steps in batches:
        before = {t: cells_xml(fast, f"xl/worksheets/sheet{i}.xml")
                  for t, i in (("Operaciones", 1), ("Trabajadores", 2), ("Metadata", 4))}
        cs = migration(backend) if steps == "migrate" else change_set(steps)
        backend.apply(cs)
        wb = load_xlsx(model)
        apply_in_memory(wb, cs, model.name)
        for ws in wb.worksheets:
            mark_grid_corner(ws, ws.max_row, ws.max_column)
        wb.save(model)
        touched = {(b.sheet, r, c) for b in cs.blocks for r in range(b.row, b.last_row + 1)
                   for c in range(b.col, b.last_col + 1)}
        for title, part_cells in before.items():
            i = {"Operaciones": 1, "Trabajadores": 2, "Metadata": 4}[title]
            after = cells_xml(fast, f"xl/worksheets/sheet{i}.xml")
            for ref, xml in part_cells.items():
                col = openpyxl.utils.cell.coordinate_from_string(ref)
                key = (title, col[1], openpyxl.utils.cell.column_index_from_string(col[0]))
                if key in touched or title in {a[0] for a in cs.appends}:
                    continue
                if ref not in after or after[ref] != xml:
                    # cut off by a shrink, the only way a cell goes, or made the new grid corner
                    assert title in {rs.sheet for rs in cs.resizes}, (title, ref)
                    assert ref not in after or b"<v>" not in after[ref], (title, ref)
                    continue
                assert after[ref] == xml, (title, ref)
    got, want = openpyxl_values(fast), openpyxl_values(model)
    for title in want:
        assert got[title].keys() == want[title].keys(), title
        for k, v in want[title].items():
            assert same_cell(got[title][k], v), (title, k, got[title][k], v)
    grids = {s.title: (s.rows, s.cols) for s in Workbook(XlsxBackend(fast)).sheets()}
    model_wb = openpyxl.load_workbook(model)
    assert grids == {ws.title: (ws.max_row, ws.max_column) for ws in model_wb.worksheets}
    cached = backend.read()  # what the backend kept after its own writes is what the file holds
    fresh = Workbook(XlsxBackend(fast)).read()
    assert {t: s.rows for t, s in cached.items()} == {t: s.rows for t, s in fresh.items()}
    calamine = CalamineWorkbook.from_path(str(fast))
    for title, cells in got.items():
        rows = calamine.get_sheet_by_name(title).to_python(skip_empty_area=False)
        for (r, c), v in cells.items():
            if isinstance(v, str) and v.startswith("=") and isinstance(fresh[title].cell(r, c), Formula):
                continue  # a formula: calamine reads its (absent) cached value
            seen = normal(rows[r - 1][c - 1]) if r <= len(rows) and c <= len(rows[r - 1]) else None
            blank_text = isinstance(v, str) and not v.strip() and seen == v
            assert same_cell(seen, v) or blank_text, (title, r, c, seen, v)
