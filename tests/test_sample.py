"""The sample workbook: realistic v2.1 content, deterministic, written to .xlsx and to Google."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoolsheet.audit import EVENT_TYPES, read_events
from spoolsheet.cli import app
from spoolsheet.errors import UsageError
from spoolsheet.sample import (
    REFERENCE_DAY,
    SampleSheet,
    fill_workbook,
    generate,
    summary,
    write_sample,
    write_xlsx,
)
from spoolsheet.schema import (
    METADATA,
    METADATA_HEADERS,
    OPERACIONES,
    ROLES,
    TAG_COLUMN,
    TRABAJADORES,
    V2_1_HEADERS,
)
from spoolsheet.settings import Settings
from spoolsheet.testing import open_fake
from spoolsheet.values import (
    Formula,
    WorkerRef,
    canonical,
    datetime_to_serial,
    is_blank,
    parse_bool,
    parse_date,
)
from spoolsheet.workbook import Workbook, columns, open_workbook
from spoolsheet.workbook.base import trim

SHEETS = ["Operaciones", "Trabajadores", "Roles", "Metadata", "Param", "Ponderaciones",
          "FluorReporte", "NoConformidad", "Resumen", "Listas"]
V21_EVENTS = {f"{verb}_{op}" for verb in ("INICIAR", "COMPLETAR", "CANCELAR")
              for op in ("ARM", "SOLD", "METROLOGIA")}
DATE_COLUMNS = [h for h in V2_1_HEADERS if h.startswith("Fecha")]


def open_xlsx(path: Path) -> Workbook:
    return open_workbook(Settings(workbook=path, sheet_id=None))


@pytest.fixture(scope="module")
def default(sample_2500):
    """The 2,500-spool default sample as read back from its .xlsx file."""
    with open_xlsx(sample_2500) as wb:
        yield wb.read()


def spool_rows(ops):
    """(row number, {header: value}) for every row of Operaciones with a TAG."""
    index = columns(ops).require(V2_1_HEADERS)
    for r in range(2, len(ops.rows) + 1):
        row = {h: ops.cell(r, c) for h, c in index.items()}
        if not is_blank(row[TAG_COLUMN]):
            yield r, row


def qualified(sheets, rol):
    """Worker ids that are active and hold ``rol`` on an active role row."""
    active = {int(r[0]) for r in sheets[TRABAJADORES].rows[1:] if parse_bool(r[3])}
    return {int(r[0]) for r in sheets[ROLES].rows[1:] if r[1] == rol and parse_bool(r[2])} & active


# --- layout ----------------------------------------------------------------------------------

def test_ten_sheets_and_operaciones_has_exactly_the_63_v21_headers(default):
    assert list(default) == SHEETS
    ops = default[OPERACIONES]
    assert tuple(ops.rows[0]) == V2_1_HEADERS and len(ops.rows[0]) == 63
    assert ops.info.cols == 63  # v3.0 columns must grow the grid: the lesson production taught
    for title in SHEETS[4:]:
        assert len(default[title].rows) > 1, f"{title} has no content"


def test_spools_have_unique_realistic_tags(default):
    tags = [row[TAG_COLUMN] for _, row in spool_rows(default[OPERACIONES])]
    assert len(tags) == 2500 and len(set(tags)) == 2500
    assert all(re.fullmatch(r"MK-\d{4}-[A-Z]{2}-\d{5}-\d{3}", t) for t in tags)


def test_grid_has_blank_rows_below_the_data_and_some_rows_without_tag(default):
    ops = default[OPERACIONES]
    data_rows = len(ops.rows)
    assert ops.info.rows >= data_rows + 2500 // 20 + 50
    tagless = [r for r in range(2, data_rows + 1)
               if is_blank(ops.cell(r, 6)) and any(not is_blank(v) for v in ops.row(r))]
    assert len(tagless) >= 2
    assert max(tagless) < data_rows  # among the data, not only at its end


def test_every_date_cell_parses_and_the_legacy_forms_are_all_there(default):
    ops = default[OPERACIONES]
    cmap = columns(ops)
    forms = Counter()
    for name in DATE_COLUMNS:
        col = cmap.index(name)
        for r in range(2, len(ops.rows) + 1):
            value = ops.cell(r, col)
            if is_blank(value):
                continue
            day = parse_date(value, sheet=ops.title, row=r, column=name)
            assert dt.date(2025, 1, 1) <= (day if type(day) is dt.date else day.date()) <= dt.date(2027, 1, 1)
            if isinstance(value, str):
                forms[next(f for f, rx in LEGACY.items() if re.fullmatch(rx, value))] += 1
            else:
                forms[type(value).__name__] += 1
    assert set(forms) == {"datetime", "float", *LEGACY}, forms
    assert forms["datetime"] > sum(forms.values()) * 0.7  # mostly real dates
    assert any(isinstance(v, float) and not v.is_integer() for v in ops.column(cmap.index("Fecha_GD"), 2)
               + ops.column(cmap.index("Fecha_Armado"), 2))


LEGACY = {"DD-MM-YYYY": r"\d\d-\d\d-\d{4}", "DD/MM/YYYY": r"\d\d/\d\d/\d{4}",
          "DD/MM/YY": r"\d\d/\d\d/\d\d", "YYYY-MM-DD": r"\d{4}-\d\d-\d\d",
          "DD-Mon-YYYY": r"\d\d-[A-Z][a-z]{2}-\d{4}"}


# --- workers and progress --------------------------------------------------------------------

def test_workers_roles_and_who_may_work(default):
    trab, roles = default[TRABAJADORES], default[ROLES]
    assert trab.rows[0] == ["Id", "Nombre", "Apellido", "Activo"] and roles.rows[0] == ["Id", "Rol", "Activo"]
    assert 20 <= len(trab.rows) - 1 <= 25
    assert all(isinstance(r[3], bool) for r in trab.rows[1:])
    assert all(isinstance(r[2], bool) for r in roles.rows[1:])
    ids = {int(r[0]) for r in trab.rows[1:]}
    assert {int(r[0]) for r in roles.rows[1:]} <= ids
    assert {r[1] for r in roles.rows[1:]} == {"Armador", "Soldador", "Ayudante", "Metrologia",
                                             "Revestimiento", "Pintura", "Despacho"}
    armadores, soldadores = qualified(default, "Armador"), qualified(default, "Soldador")
    assert len(armadores) >= 10 and len(soldadores) >= 10
    active = {int(r[0]) for r in trab.rows[1:] if r[3]}
    assert ids - active, "no inactive worker"
    may_fit_or_weld = {int(r[0]) for r in roles.rows[1:] if r[1] in ("Armador", "Soldador")}
    assert active - may_fit_or_weld, "no active worker without an Armador or Soldador role"


def test_progress_is_consistent_and_mixed(default):
    refs = {int(r[0]): WorkerRef.of(r[0], r[1], r[2]) for r in default[TRABAJADORES].rows[1:]}
    may = {rol: qualified(default, rol) for rol in ("Armador", "Soldador")}
    states = Counter()
    for r, row in spool_rows(default[OPERACIONES]):
        arm, sold = row["Armador"], row["Soldador"]
        for value, rol, done in ((arm, "Armador", row["Fecha_Armado"]),
                                 (sold, "Soldador", row["Fecha_Soldadura"])):
            if value is not None:
                ref = WorkerRef.parse(value, sheet=OPERACIONES, row=r, column=rol)
                assert refs[ref.id] == ref, f"row {r}: {value} is not a real worker"
                if done is None:  # in progress: held by someone who may do it today
                    assert ref.id in may[rol], f"row {r}: {value} cannot hold {rol}"
            else:
                assert done is None, f"row {r}: {rol} done without a worker"
        if arm is not None:
            assert row["Fecha_Materiales"] is not None, f"row {r}: ARM without materials"
        if sold is not None:
            assert arm is not None, f"row {r}: SOLD before ARM started"
        if row["Fecha_Soldadura"] is not None:
            assert row["Fecha_Armado"] is not None
        if row["Fecha_QC_Metrología"] is not None:
            assert row["Fecha_Soldadura"] is not None
        state = lambda who, when: "pending" if who is None else "done" if when else "in progress"  # noqa: E731
        states["ARM " + state(arm, row["Fecha_Armado"])] += 1
        states["SOLD " + state(sold, row["Fecha_Soldadura"])] += 1
        states["materials"] += row["Fecha_Materiales"] is not None
        states["metrologia"] += row["Fecha_QC_Metrología"] is not None
    for key in ("ARM pending", "ARM in progress", "ARM done", "SOLD pending", "SOLD in progress",
                "SOLD done", "metrologia"):
        assert states[key] >= 25, states
    assert 0.8 * 2500 < states["materials"] < 2500  # most, not all


def test_metadata_log_is_valid_and_matches_the_spools(default):
    meta = default[METADATA]
    assert [h.lower() for h in meta.rows[0]] == list(METADATA_HEADERS)
    assert meta.rows[0] != list(METADATA_HEADERS)  # production's capitalisation
    assert meta.info.cols == len(METADATA_HEADERS)
    events = list(read_events(meta))  # valid JSON in every row, or it raises
    assert len(events) > 1000
    assert {e.evento_tipo for e in events} == V21_EVENTS and V21_EVENTS <= EVENT_TYPES
    assert len({e.id for e in events}) == len(events)
    stamps = [e.timestamp for e in events]
    assert stamps == sorted(stamps) and max(stamps).date() <= REFERENCE_DAY
    for r in range(2, len(meta.rows) + 1):
        json.loads(meta.cell(r, 10))
    spools = {row[TAG_COLUMN]: row for _, row in spool_rows(default[OPERACIONES])}
    refs = {int(r[0]): WorkerRef.of(r[0], r[1], r[2]) for r in default[TRABAJADORES].rows[1:]}
    last: dict[tuple[str, str], str] = {}
    for e in events:
        assert e.tag_spool in spools and e.operacion == e.evento_tipo.split("_", 1)[1]
        assert e.metadata["worker"] == str(refs[e.worker_id])
        last[(e.tag_spool, e.operacion)] = e.accion
        if e.evento_tipo == "COMPLETAR_ARM":
            assert spools[e.tag_spool]["Armador"] == e.metadata["worker"]
    for (tag, op), accion in last.items():
        worker, done = {"ARM": ("Armador", "Fecha_Armado"), "SOLD": ("Soldador", "Fecha_Soldadura"),
                        "METROLOGIA": (None, "Fecha_QC_Metrología")}[op]
        row = spools[tag]
        if accion == "COMPLETAR":
            assert row[done] is not None, (tag, op)
        elif accion == "INICIAR":
            assert row[worker] is not None and row[done] is None, (tag, op)
        else:
            assert row[worker] is None, (tag, op)


def test_formulas_are_formulas_and_text_that_looks_like_one_stays_text(default):
    resumen = default["Resumen"]
    formulas = [v for r in resumen.rows for v in r if isinstance(v, Formula)]
    assert any(f.startswith("=COUNTA(Operaciones!F2:F") for f in formulas) and len(formulas) >= 5
    ops = default[OPERACIONES]
    assert isinstance(ops.cell(2, 63), Formula)
    notas = [v for v in ops.column(columns(ops).index("Notas"), 2) if isinstance(v, str)]
    risky = [v for v in notas if v[0] in "=+-@"]
    assert risky and not any(isinstance(v, Formula) for v in risky)
    assert "=oficina.tecnica" in [v for r in default["Param"].rows for v in r]


# --- determinism -----------------------------------------------------------------------------

def test_same_seed_same_content_and_bytes_other_seed_differs(tmp_path):
    assert generate(60, seed=5) == generate(60, seed=5)
    assert generate(60, seed=5) != generate(60, seed=6)
    a = write_sample(tmp_path / "a.xlsx", spools=60, seed=5)
    b = write_sample(tmp_path / "b.xlsx", spools=60, seed=5)
    assert a.read_bytes() == b.read_bytes()


def test_spool_count_scales_and_small_samples_keep_every_case():
    sheets = generate(12, seed=1)
    assert summary(sheets)["spools"] == 12
    ops = next(s for s in sheets if s.title == OPERACIONES)
    assert sum(1 for r in ops.rows[1:] if r[5] is None) >= 2
    with pytest.raises(UsageError, match="spools"):
        generate(0)


# --- writing ---------------------------------------------------------------------------------

def test_xlsx_holds_exactly_what_was_generated_with_its_grid(tmp_path):
    sheets = generate(80, seed=2)
    with open_xlsx(write_xlsx(tmp_path / "k.xlsx", sheets)) as wb:
        infos = {i.title: i for i in wb.sheets()}
        read = wb.read()
    for sheet in sheets:
        assert (infos[sheet.title].rows, infos[sheet.title].cols) == (sheet.grid_rows, sheet.grid_cols)
        assert comparable(read[sheet.title].rows) == comparable(sheet.rows), sheet.title


def test_grid_corner_when_the_data_reaches_the_last_row(tmp_path):
    sheets = [SampleSheet("Full", [["a", "b", "c"], [1, 2, 3]], 2, 3),
              SampleSheet("Short", [["a", "b", "c"], [1]], 2, 5),
              SampleSheet("Tall", [["a"], [None, "=x"]], 9, 4)]
    with open_xlsx(write_xlsx(tmp_path / "g.xlsx", sheets)) as wb:
        assert [(i.title, i.rows, i.cols) for i in wb.sheets()] == [("Full", 2, 3), ("Short", 2, 5),
                                                                  ("Tall", 9, 4)]
        assert wb.read_sheet("Tall").rows == [["a"], [None, "=x"]]
    with pytest.raises(UsageError, match="cannot hold"):
        SampleSheet("Small", [["a", "b"]], 1, 1)


def test_refuses_to_overwrite_unless_asked(tmp_path):
    path = tmp_path / "Kronos.xlsx"
    path.write_bytes(b"precious")
    with pytest.raises(UsageError, match=r"already exists.*--force"):
        write_sample(path, spools=10)
    assert path.read_bytes() == b"precious"
    write_sample(path, spools=10, overwrite=True)
    with open_xlsx(path) as wb:
        assert wb.sheet_titles() == SHEETS
    with pytest.raises(UsageError, match=r"\.xlsx"):
        write_sample(tmp_path / "k.csv", spools=10)
    with pytest.raises(UsageError, match="does not exist"):
        write_sample(tmp_path / "no" / "k.xlsx", spools=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Kronos.xlsx"]  # no temp files left


def comparable(rows):
    """Cells as both backends give them back: dates as serial numbers, then canonical."""
    return [[canonical(datetime_to_serial(v) if isinstance(v, (dt.date, dt.datetime)) else v)
             for v in r] for r in trim(rows)]


def test_fill_an_empty_google_spreadsheet_in_one_write(fake_google, tmp_path):
    sheets = generate(150, seed=4)
    sid = fake_google.create_spreadsheet("Kronos")
    with open_fake(fake_google, sid) as wb:
        fake_google.reset_log()
        fill_workbook(wb, sheets)
        assert fake_google.count(kind="read") == 1 and fake_google.count(kind="write") == 1
        assert wb.stats.reads == 1 and wb.stats.writes == 1
    with open_fake(fake_google, sid) as wb:
        on_google = wb.read()
        infos = {i.title: i for i in wb.sheets()}
    with open_xlsx(write_xlsx(tmp_path / "k.xlsx", sheets)) as wb:
        on_xlsx = wb.read()
        xlsx_infos = {i.title: i for i in wb.sheets()}
    assert list(on_google) == SHEETS  # Sheet1 is gone
    for title in SHEETS:
        assert comparable(on_google[title].rows) == comparable(on_xlsx[title].rows), title
        assert (infos[title].rows, infos[title].cols) == (xlsx_infos[title].rows, xlsx_infos[title].cols)


def test_fill_refuses_a_spreadsheet_with_data(fake_google):
    sid = fake_google.create_spreadsheet("Produccion")
    with open_fake(fake_google, sid) as wb:
        fill_workbook(wb, generate(5, seed=1))
        fake_google.reset_log()
        with pytest.raises(UsageError, match="not empty"):
            fill_workbook(wb, generate(5, seed=2))
    other = fake_google.create_spreadsheet("Otra")
    fake_google.add_sheet(other, OPERACIONES)
    refused = pytest.raises(UsageError, match=r"already has sheet.*Operaciones")
    with open_fake(fake_google, other) as wb, refused:
        fill_workbook(wb, generate(5, seed=2))
    assert fake_google.count(kind="write") == 0


# --- CLI -------------------------------------------------------------------------------------

def test_cli_writes_the_sample_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    path = tmp_path / "Kronos.xlsx"
    result = runner.invoke(app, ["sample", str(path), "--spools", "40", "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert "10 sheets, 40 spools, 22 workers" in result.output
    first = path.read_bytes()
    assert first == write_sample(tmp_path / "lib.xlsx", spools=40, seed=9).read_bytes()

    result = runner.invoke(app, ["sample", str(path), "--spools", "41"])
    assert result.exit_code == 1 and "already exists" in result.stderr and "--force" in result.stderr
    assert path.read_bytes() == first
    result = runner.invoke(app, ["sample", str(path), "--spools", "41", "--force"])
    assert result.exit_code == 0 and "41 spools" in result.output

    result = runner.invoke(app, ["sample"], env={"GOOGLE_SHEET_ID": "", "SPOOLSHEET_WORKBOOK": ""})
    assert result.exit_code == 1 and "PATH" in result.stderr


def test_cli_fills_a_google_spreadsheet(fake_google):
    sid = fake_google.create_spreadsheet("Kronos")
    with fake_google.serve() as server:
        result = CliRunner().invoke(app, ["--sheet-id", sid, "sample", "--spools", "30"],
                                    env={"SPOOLSHEET_GOOGLE_ENDPOINT": server.base_url})
    assert result.exit_code == 0, result.output
    assert f"spreadsheet {sid}" in result.output and "30 spools" in result.output
    assert fake_google.count(kind="write") == 1
    tags = [r[5] for r in fake_google.values(sid, OPERACIONES)[1:] if len(r) > 5 and r[5]]
    assert len(tags) == 30


# --- the one library call --------------------------------------------------------------------

def test_sample_writes_a_file_and_reports_what_it_made(tmp_path):
    from spoolsheet.sample import sample

    report = sample(tmp_path / "Kronos.xlsx", spools=25, seed=4)
    assert report.where == str(tmp_path / "Kronos.xlsx")
    assert (report.sheets, report.spools, report.workers) == (10, 25, 22)
    assert report.events == len(read_events_of(tmp_path / "Kronos.xlsx"))
    assert (tmp_path / "Kronos.xlsx").read_bytes() == write_sample(tmp_path / "b.xlsx", 25, 4).read_bytes()


def test_sample_fills_an_empty_workbook(fake_google):
    from spoolsheet.sample import sample

    sid = fake_google.create_spreadsheet("Kronos")
    with open_fake(fake_google, sid) as wb:
        report = sample(workbook=wb, spools=12, seed=1)
    assert report.where == f"spreadsheet {sid}" and report.spools == 12
    assert fake_google.count(kind="write") == 1


def test_sample_needs_exactly_one_target(tmp_path, fake_google):
    from spoolsheet.sample import sample

    with pytest.raises(UsageError, match=r"give PATH\.xlsx"):
        sample()
    sid = fake_google.create_spreadsheet("Kronos")
    with open_fake(fake_google, sid) as wb, pytest.raises(UsageError, match=r"give PATH\.xlsx"):
        sample(tmp_path / "k.xlsx", workbook=wb)
    assert not (tmp_path / "k.xlsx").exists() and fake_google.count(kind="write") == 0


def test_the_writer_types_values_by_the_one_rule_of_every_xlsx_writer(tmp_path):
    """workbook.xlsx_cells.cell_xml decides: a value no .xlsx cell can hold is refused by name."""
    from spoolsheet.errors import DataError

    bad = SampleSheet("Param", [["Parametro", "Valor"], ["Tolerancia", float("nan")]], 2, 2)
    with pytest.raises(DataError, match="sheet 'Param', row 2, column 'B'"):
        write_xlsx(tmp_path / "bad.xlsx", [bad])
    assert list(tmp_path.iterdir()) == []


def read_events_of(path: Path) -> list:
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        return list(read_events(wb.read_sheet(METADATA)))
