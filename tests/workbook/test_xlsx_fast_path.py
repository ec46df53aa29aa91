"""The part-rewriting writer against openpyxl: same values, untouched cells byte-identical,
every file it writes read alike by openpyxl and calamine (and LibreOffice), and what the backend
keeps between writes (each sheet part's XML, row index and deflate segments) always what the
file holds, never written over an outside edit.

Batches are state-change-like edits (cells, appended log rows, grid changes) and the v3.0
migration's own change sets (up, and down again), in any order. The default run tries a few
examples (a few seconds); ``--hypothesis-profile=thorough`` tries many more.
"""

import datetime as dt
import functools
import re
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from spoolsheet import migrations
from spoolsheet.audit import read_events
from spoolsheet.errors import SpoolsheetError
from spoolsheet.migrations import MIGRATIONS
from spoolsheet.occupation import OccupationService, Operation, Stage
from spoolsheet.sample import generate, write_xlsx
from spoolsheet.settings import Settings
from spoolsheet.values import Formula
from spoolsheet.workbook import ChangeSet, Region, Workbook, XlsxBackend, open_workbook
from spoolsheet.workbook.xlsx import apply_in_memory, load_xlsx, mark_grid_corner
from spoolsheet.workbook.xlsx_part import SheetPart, column_index, crc32_combine
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
# log rows appended by consecutive writes, each starting from what the one before left
@example([[("append", "Metadata", [["a"]])], [("append", "Metadata", [["b"], [1, 2]])],
          [("set", "Metadata", 2, 1, [["c"]]), ("append", "Metadata", [["d"]])]])
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
    assert kept_parts_problems(backend.backend) == []
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


def kept_parts_problems(backend: XlsxBackend) -> list[str]:
    """Where what the backend kept of each sheet part differs from the file on disk: its XML,
    row index, grid, body, and for parts it wrote, its deflate segments (the member's bytes)."""
    package = backend._package
    assert package is not None and package.stamp == backend.revision()
    problems = []
    with zipfile.ZipFile(backend.path) as zf:
        raw = backend.path.read_bytes()
        for name, kept in package._sheet_parts.items():
            info = zf.getinfo(name)
            fresh = SheetPart(zf.read(name))
            for what, of in (("xml", lambda p: p.xml), ("grid", lambda p: p.grid),
                             ("rows", lambda p: [p.row(i) for i in range(len(p))]),
                             ("body", lambda p: (p.head(), p.body_end()))):
                if of(kept) != of(fresh):
                    problems.append(f"{name}: {what}")
            if "chunks" in kept.__dict__ and all(c.segment for c in kept.chunks):
                start = info.header_offset + 30 + int.from_bytes(
                    raw[info.header_offset + 26:info.header_offset + 28], "little") + int.from_bytes(
                    raw[info.header_offset + 28:info.header_offset + 30], "little")
                pieces, crc, size = kept.compressed()
                if raw[start:start + info.compress_size] != b"".join(pieces):
                    problems.append(f"{name}: segments")
                if (crc, size) != (info.CRC, info.file_size) or crc != zlib.crc32(fresh.xml):
                    problems.append(f"{name}: crc or size")
    return problems


def test_a_long_lived_backend_keeps_what_the_file_holds_through_many_writes(sample_small, tmp_path):
    """Writes that land in several deflate segments of a 200-spool sample: rows changed in the
    middle (longer and shorter), rows added past the end, the dimension growing a digit."""
    path = tmp_path / "kronos.xlsx"
    shutil.copy(sample_small, path)
    backend = XlsxBackend(path)
    wb = Workbook(backend)
    grid = {s.title: (s.rows, s.cols) for s in wb.sheets()}
    rows = grid["Operaciones"][0]
    assert len(zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")) > 3 * 128 * 1024
    edits = [(2, ["x" * 300]), (rows // 2, [None]), (rows - 1, ["=not a formula", 7]),
             (rows + 3, ["past the end"]), (rows // 3, [dt.date(2026, 3, 1), 1.5])]
    tops = [Region("Operaciones", 1, 3), Region("Metadata", 1, 1)]  # kept as read from the top
    wb.read_regions(tops)
    for k, (row, cells) in enumerate(edits * 2):
        cs = ChangeSet()
        cs.set_block("Operaciones", row, 5 + k, [cells])
        cs.append_rows("Metadata", [[f"event {k}", k]])
        wb.apply(cs)
        assert kept_parts_problems(backend) == [], k
        assert wb.read_regions(tops) == Workbook(XlsxBackend(path)).read_regions(tops), k
    chunks = backend._package.sheet_part("xl/worksheets/sheet1.xml").chunks
    assert len(chunks) >= 3 and all(c.segment for c in chunks)  # the part really is in chunks
    fresh = Workbook(XlsxBackend(path)).read()
    assert {t: s.rows for t, s in wb.read().items()} == {t: s.rows for t, s in fresh.items()}
    assert fresh["Operaciones"].rows[rows + 2][7] == fresh["Operaciones"].rows[rows + 2][12] == "past the end"
    assert openpyxl_values(path)["Operaciones"][(rows + 3, 5 + 8)] == "past the end"


def test_writes_after_a_whole_read_inflate_the_part_again_and_keep_it_packed(sample_small,
                                                                             tmp_path):
    """A sheet read whole keeps its typed rows, not its XML; a write then inflates the part
    again and keeps what it made packed (segments alone): every write lands as openpyxl reads
    it, and what the backend holds is the file."""
    path = tmp_path / "kronos.xlsx"
    shutil.copy(sample_small, path)
    backend = XlsxBackend(path)
    wb = Workbook(backend)
    rows = len(wb.read()["Operaciones"].rows)
    part = backend._package.entry("Operaciones").part
    assert part not in backend._package._sheet_parts  # typed whole: its XML let go
    for k, row in enumerate((2, rows // 2, rows - 1, rows + 2)):
        cs = ChangeSet()
        cs.set_block("Operaciones", row, 3, [[f"written {k}", k]])
        cs.append_rows("Metadata", [[f"event {k}", k]])
        wb.apply(cs)
        assert kept_parts_problems(backend) == [], k
        chunks = backend._package._sheet_parts[part].chunks
        assert len(chunks) >= 3 and all(c.segment for c in chunks)
    values = openpyxl_values(path)["Operaciones"]
    assert values[(rows // 2, 3)] == "written 1" and values[(rows + 2, 4)] == 3
    fresh = Workbook(XlsxBackend(path)).read()
    assert {t: s.rows for t, s in wb.read().items()} == {t: s.rows for t, s in fresh.items()}


def test_a_chunk_grown_by_appended_rows_is_cut_again_and_a_shrink_spans_chunks(sample_small,
                                                                               tmp_path):
    """Rows appended to the log land in its last chunk; once it holds more than twice a chunk's
    size it is cut at a row start, so later writes recompress a chunk, not the whole tail. A
    shrink then cuts rows off several chunks at once, and rows are edited on both sides of a cut."""
    path = tmp_path / "kronos.xlsx"
    shutil.copy(sample_small, path)
    backend = XlsxBackend(path)
    wb = Workbook(backend)
    wb.read_regions([Region("Metadata", 1, 1)])
    logged = len(wb.read_sheet("Metadata").rows)
    part = backend._package.entry("Metadata").part
    before = len(backend._package.sheet_part(part).chunks)
    for k in range(3):  # 3 x 2,000 rows of ~150 bytes: several times a chunk (128 KB)
        cs = ChangeSet()
        cs.append_rows("Metadata", [[f"event {k}.{i}", "x" * 100, i] for i in range(2000)])
        wb.apply(cs)
        assert kept_parts_problems(backend) == [], k
    sheet = backend._package.sheet_part(part)
    assert len(sheet.chunks) >= before + 3
    assert all(c.hi - c.lo < 2 * sheet.goal for c in sheet.chunks)
    cut = sheet.row(sheet.counts[2])[0]  # the first row of the third chunk
    cs = ChangeSet()
    cs.set_block("Metadata", cut - 1, 2, [["before the cut"], ["after the cut"]])
    wb.apply(cs)
    assert kept_parts_problems(backend) == []
    keep = logged + 2500
    cs = ChangeSet()
    cs.resize("Metadata", rows=keep)
    wb.apply(cs)
    assert kept_parts_problems(backend) == []
    values = openpyxl_values(path)["Metadata"]
    assert values[(cut - 1, 2)] == "before the cut" and values[(cut, 2)] == "after the cut"
    assert values[(logged + 2000, 1)] == "event 0.1999" and values[(keep, 1)] == "event 1.499"
    assert max(r for r, _ in values) == keep
    fresh = Workbook(XlsxBackend(path)).read()
    assert {t: s.rows for t, s in wb.read().items()} == {t: s.rows for t, s in fresh.items()}


def test_an_outside_edit_between_two_service_writes_is_seen(sample_small, tmp_path):
    """The office saves the file with another program between two state changes of the
    long-lived service: the service's next write starts from the edited file, not from what it
    kept, so the edit and both changes are in the file."""
    path = tmp_path / "kronos.xlsx"
    shutil.copy(sample_small, path)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        migrations.up(wb, force=True)
        service = OccupationService(wb)
        worker = next(w for w in service.workers() if w.activo and w.has_role("Armador"))
        first, second = [s for s in service.spools() if s.free and s.materiales is not None
                         and s.stage(Operation.ARM) is Stage.PENDING][:2]
        service.tomar(first.tag, worker=worker.id, op="ARM")
        office = openpyxl.load_workbook(path)  # a hand edit: another program saves the file
        notes = [c.value for c in office["Operaciones"][1]].index("Notas") + 1
        office["Operaciones"].cell(row=second.row, column=notes, value="hand edit")
        office["Metadata"].append(["hand", "appended"])
        office.save(path)
        service.tomar(second.tag, worker=worker.id, op="ARM")
        assert service.get(first.tag).holder is not None
    with open_workbook(Settings(workbook=path, sheet_id=None)) as fresh:
        ops = fresh.read_sheet("Operaciones")
        assert ops.rows[second.row - 1][notes - 1] == "hand edit"
        events = [e for e in read_events(fresh.read_sheet("Metadata"))
                  if e.tag_spool in (first.tag, second.tag)]
        assert sum(e.evento_tipo == "TOMAR_SPOOL" for e in events) == 2
        assert any(r[:2] == ["hand", "appended"] for r in fresh.read_sheet("Metadata").rows)
        holders = OccupationService(fresh)
        assert holders.get(first.tag).holder is not None and holders.get(second.tag).holder is not None


def test_crc32_combine_is_zlibs():
    data = bytes(range(256)) * 1000 + b"<row r=1/>" * 77
    for cut in (0, 1, 255, 4096, len(data) - 1, len(data)):
        a, b = data[:cut], data[cut:]
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(data)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="no soffice (CI installs it: .ci/run)")
def test_libreoffice_reads_a_file_written_in_segments(sample_small, tmp_path):
    path = tmp_path / "kronos.xlsx"
    shutil.copy(sample_small, path)
    wb = Workbook(XlsxBackend(path))
    for k in range(3):
        cs = ChangeSet()
        cs.set_block("Operaciones", 3 + 40 * k, 2, [[f"segment {k}"]])
        cs.append_rows("Metadata", [[f"event {k}"]])
        wb.apply(cs)
    out = tmp_path / "lo"
    subprocess.run([shutil.which("soffice"), f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=300)
    theirs = Workbook(XlsxBackend(out / path.name)).read()
    for title, sheet in Workbook(XlsxBackend(path)).read().items():
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if not isinstance(value, Formula):  # LibreOffice computes what has no result
                    assert same_cell(theirs[title].cell(r, c), value), (title, r, c)
    assert theirs["Metadata"].rows[-1][0] == "event 2"
    assert theirs["Operaciones"].cell(83, 2) == "segment 2"


_TAG = re.compile(rb"<(/?)([A-Za-z][\w.-]*)(?=[\s/>])")  # an unprefixed element's tag


def _prefixed(sample: Path, tmp_path: Path, title: str) -> Path:
    """A copy of ``sample`` whose ``title`` part uses a namespace prefix (``<x:sheetData>``),
    as some programs save it: not the plain form the fast paths scan."""
    source = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(sample) as zin, zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as out:
        part = Workbook(XlsxBackend(sample)).backend._current().entry(title).part
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == part:
                data = _TAG.sub(rb"<\1x:\2", data).replace(b' xmlns="', b' xmlns:x="', 1)
                assert not SheetPart(data).plain  # the case under test, not a plain part
            out.writestr(info, data)
    return source


@pytest.mark.parametrize("title", ["Metadata", "Operaciones"])
def test_a_sheet_part_not_in_plain_form_is_written_by_openpyxl(sample_small, tmp_path, title):
    """A part another program saved with a namespace prefix (``<x:sheetData>``): rows appended
    to it, and cells set in it and in a plain sheet, go through openpyxl's whole-workbook
    model, with the values openpyxl gives on its own; the file reads alike in both readers."""
    source = _prefixed(sample_small, tmp_path, title)
    fast, model = tmp_path / "fast.xlsx", tmp_path / "model.xlsx"
    shutil.copy(source, fast)
    shutil.copy(source, model)
    other = "Trabajadores"
    cs = ChangeSet()
    cs.append_rows(title, [["appended", 7, dt.date(2026, 3, 1)], ["second", None, 2.5]])
    cs.set_block(title, 2, 3, [["set in it"]])
    cs.set_block(other, 2, 2, [["set in a plain sheet"]])
    before = Workbook(XlsxBackend(sample_small)).read_sheet(title).rows  # the same, plain
    Workbook(XlsxBackend(fast)).apply(cs)
    whole = load_xlsx(model)
    apply_in_memory(whole, cs, model.name)
    for ws in whole.worksheets:
        mark_grid_corner(ws, ws.max_row, ws.max_column)
    whole.save(model)
    got, want = openpyxl_values(fast), openpyxl_values(model)
    assert got.keys() == want.keys()
    for name in want:
        assert got[name].keys() == want[name].keys(), name
        assert all(same_cell(got[name][k], v) for k, v in want[name].items()), name
    rows = Workbook(XlsxBackend(fast)).read_sheet(title).rows
    assert rows[:len(before)][2:] == before[2:] and rows[1][2] == "set in it"
    assert rows[len(before):] == [["appended", 7, dt.datetime(2026, 3, 1)], ["second", None, 2.5]]
    calamine = CalamineWorkbook.from_path(str(fast))
    for name, cells in got.items():
        seen = calamine.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for (r, c), v in cells.items():
            if not (isinstance(v, str) and v.startswith("=")):  # calamine reads no formulas
                assert same_cell(normal(seen[r - 1][c - 1]), v), (name, r, c, v)


def test_a_sheet_part_not_in_plain_form_reads_its_formulas(sample_small, tmp_path):
    """Operaciones saved with a namespace prefix (``<x:c><x:f>``) reads as the plain sample
    does, its formulas as ``Formula``: the byte scan knows only unprefixed tags."""
    title = "Operaciones"
    source = _prefixed(sample_small, tmp_path, title)
    want = Workbook(XlsxBackend(sample_small)).read_sheet(title).rows
    assert any(isinstance(v, Formula) for row in want for v in row)  # the case under test
    assert Workbook(XlsxBackend(source)).read_sheet(title).rows == want


_ROW_OPEN = re.compile(rb'<row r="(\d+)"')


def test_cells_appended_past_each_rows_end_keep_its_old_cells_as_they_were(sample_small,
                                                                              tmp_path):
    """The migration's shape (cells written past the last stored cell of every row) keeps each
    row's old cells byte for byte, as one run, and follows the row's ``spans`` (Excel writes
    them); a row written inside its cells still goes the general way. Values read back."""
    source = tmp_path / "spans.xlsx"
    part = "xl/worksheets/sheet1.xml"  # Operaciones
    with zipfile.ZipFile(sample_small) as zin, zipfile.ZipFile(source, "w",
                                                               zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == part:
                data = _ROW_OPEN.sub(rb'<row r="\1" spans="1:3"', data)
            out.writestr(info, data)
    wb = Workbook(XlsxBackend(source))
    before = wb.read_sheet("Operaciones").rows
    width = max(len(r) for r in before)
    with zipfile.ZipFile(source) as zf:
        old = {int(m[1]): m[0] for m in re.finditer(rb'<row r="(\d+)".*?</row>', zf.read(part),
                                                      re.S)}
    cs = ChangeSet()
    cs.set_block("Operaciones", 1, width + 1, [["new", r] for r in range(1, len(before) + 1)])
    cs.set_block("Operaciones", 3, 2, [["inside"]])
    wb.apply(cs)
    with zipfile.ZipFile(source) as zf:
        new = {int(m[1]): m[0] for m in re.finditer(rb'<row r="(\d+)".*?</row>', zf.read(part),
                                                      re.S)}
    for number, row in old.items():
        if number == 3:
            continue
        first = column_index(re.search(rb'<c r="([A-Z]+)', row)[1])
        kept = row[row.index(b">") + 1:-len(b"</row>")]
        assert new[number].startswith(
            f'<row r="{number}" spans="{first}:{width + 2}">'.encode() + kept), number
    rows = Workbook(XlsxBackend(source)).read_sheet("Operaciones").rows
    for r, row in enumerate(rows, start=1):
        assert row[width:] == ["new", r], r
        want = list(before[r - 1]) + [None] * (width - len(before[r - 1]))
        if r == 3:
            want[1] = "inside"
        assert row[:width] == want, r
