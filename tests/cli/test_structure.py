"""The command line's shape: global options anywhere, one --dry-run rule, data printed literally,
and ``--help`` without the heavy libraries."""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from spoolsheet.cli import app
from spoolsheet.cli.common import RootGroup
from spoolsheet.sample import write_sample
from spoolsheet.schema import TAG_COLUMN
from spoolsheet.workbook import ChangeSet, Workbook, XlsxBackend, columns

CLEAN_ENV = {"SPOOLSHEET_WORKBOOK": None, "GOOGLE_SHEET_ID": None, "MIGRATION_DRY_RUN": None,
             "BACKUP_FOLDER_ID": None, "SPOOLSHEET_TZ": None}
#: the piped ledger's header: `when` names the shop's zone (default America/Santiago)
LEDGER_HEADER = "\t".join(("migration", "version", "status", "when (America/Santiago)", "who",
                           "seconds", "backup"))


def run(*args: str):
    return CliRunner().invoke(app, list(args), env=CLEAN_ENV)


def leaves(command, path=()):
    subs = getattr(command, "commands", None)
    if subs is None:
        yield path, command
        return
    for name, sub in subs.items():
        yield from leaves(sub, (*path, name))


@pytest.fixture
def migrated(tmp_path) -> Path:
    path = tmp_path / "Kronos.xlsx"
    write_sample(path, spools=30, seed=5)
    assert run("--workbook", str(path), "migrate", "up", "--force").exit_code == 0
    return path


def test_every_command_takes_the_global_options_and_says_so():
    root = typer.main.get_command(app)
    found = list(leaves(root))
    assert len(found) >= 15
    for path, command in found:
        opts = {o for p in command.params for o in p.opts}
        assert {"--workbook", "-w", "--sheet-id", "--verbose", "-v", "--dry-run"} <= opts, path
        text = run(*path, "--help").stdout
        assert "--workbook" in text and "--dry-run" in text, path
    top = " ".join(run("--help").stdout.split())
    assert "work before or after the command name" in top and "2 usage" in top


def test_global_options_before_and_after_the_command_mean_the_same(migrated):
    before = run("--workbook", str(migrated), "-v", "spools", "--occupied")
    after = run("spools", "--occupied", "--workbook", str(migrated), "-v")
    nested = run("migrate", "status", "-w", str(migrated))
    assert before.exit_code == after.exit_code == nested.exit_code == 0
    assert before.stdout == after.stdout and "0 occupied" in before.stdout
    assert "xlsx requests:" in before.stderr and "xlsx requests:" in after.stderr
    assert "v3.0" in nested.stdout


def test_workbook_and_sheet_id_together_is_a_usage_error(migrated):
    result = run("--workbook", str(migrated), "spools", "--sheet-id", "x")
    assert result.exit_code == 2 and "give --workbook or --sheet-id, not both" in result.stderr


def test_dry_run_before_or_after_writes_nothing_and_a_writer_without_one_refuses(migrated):
    before = migrated.read_bytes()
    tag = "MK-1"  # any tag: the refusal comes before the workbook is opened
    for args in (["--dry-run", "tomar", tag, "--worker", "1", "--op", "arm"],
                 ["tomar", tag, "--worker", "1", "--op", "arm", "--dry-run"]):
        result = run("--workbook", str(migrated), *args)
        assert result.exit_code == 2, result.output
        assert "`spoolsheet tomar` has no dry run" in result.stderr
    for args in (["--dry-run", "backup", "create"], ["backup", "create", "--dry-run"]):
        result = run("--workbook", str(migrated), *args)
        assert result.exit_code == 0 and result.stdout.startswith("[dry run] would create backup")
    assert run("--dry-run", "--workbook", str(migrated), "migrate", "status").exit_code == 0
    assert migrated.read_bytes() == before
    assert [p.name for p in (migrated.parent / "backups").iterdir()
            if "pre-up" not in p.name] == []


def test_a_command_cannot_redeclare_a_global_option():
    rogue = typer.Typer(cls=RootGroup)

    @rogue.callback()
    def main() -> None:
        """Root."""

    @rogue.command()
    def thing(verbose: bool = typer.Option(False, "-v")) -> None:
        """Declares -v itself."""

    with pytest.raises(RuntimeError, match="declares a global option"):
        typer.main.get_command(rogue)


@pytest.mark.parametrize("text", ["[/x]", "[bold]X", "[ver nota]"])
def test_data_with_markup_is_printed_literally(migrated, text):
    with Workbook(XlsxBackend(migrated)) as wb:
        ops = wb.read(["Operaciones"])["Operaciones"]
        wb.apply(ChangeSet().put("Operaciones", 2, columns(ops).index(TAG_COLUMN), text))
    listing = run("--workbook", str(migrated), "spools")
    assert listing.exit_code == 0, listing.output
    assert text in listing.stdout
    refused = run("--workbook", str(migrated), "history", f"{text}-missing")
    assert f"{text}-missing" in refused.stdout + refused.stderr


def test_migrate_tables_show_markup_in_data_as_typed_without_backslashes(tmp_path):
    from rich.console import Console

    from spoolsheet import backup, migrations
    from spoolsheet.cli.migrate_views import plan_view, status_view

    path = tmp_path / "Kronos.xlsx"
    write_sample(path, spools=30, seed=5)
    with Workbook(XlsxBackend(path)) as wb:
        plan = migrations.plan(wb, backups=backup)
        migrations.up(wb, backups=backup, force=True, actor="[bold]ana[/bold]")
        status = migrations.status(wb)
    plan.migrations[0].steps.append(migrations.Step("rename [bold]X"))
    screen = Console(width=240, markup=False, highlight=False, record=True, file=io.StringIO())
    screen.print(plan_view(plan), status_view(status))
    text = screen.export_text()
    assert "[bold]ana[/bold]" in text and "rename [bold]X" in text
    assert "\\[" not in text


def test_piped_migrate_status_gives_the_ledger_whole_as_tab_separated_lines(migrated):
    result = run("--workbook", str(migrated), "migrate", "status")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines.index(LEDGER_HEADER)
    [entry] = [line.split("\t") for line in lines[header + 1:]]
    assert entry[:3] == ["v3_0_occupation", "v3.0", "verified"]
    backups = list((migrated.parent / "backups").glob("*pre-up*.xlsx"))
    assert [entry[6]] == [b.stem for b in backups]  # the whole id, on one line
    utc = CliRunner().invoke(app, ["--workbook", str(migrated), "migrate", "status"],
                             env={**CLEAN_ENV, "SPOOLSHEET_TZ": "UTC"})
    assert LEDGER_HEADER.replace("America/Santiago", "UTC") in utc.stdout.splitlines()


def test_the_demo_piped_gives_its_ledger_whole_as_tab_separated_lines(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", *CLEAN_ENV)}
    out = subprocess.run([sys.executable, "-m", "spoolsheet", "demo", "--dir", str(tmp_path / "demo"),
                          "--spools", "30"], capture_output=True, text=True, env=env, check=True)
    lines = out.stdout.splitlines()
    header = lines.index(LEDGER_HEADER)
    [entry] = [line.split("\t") for line in lines[header + 1:header + 2]]
    assert entry[:3] == ["v3_0_occupation", "v3.0", "verified"]
    backups = list((tmp_path / "demo" / "backups").glob("*pre-up*.xlsx"))
    assert [entry[6]] == [b.stem for b in backups]  # the whole name, on one line


def imported_by(args: list[str], cwd: Path | None = None) -> set[str]:
    """Every module ``python ARGS`` imported (``-X importtime``, in a fresh process)."""
    out = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                         text=True, check=True, cwd=cwd)
    found = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert "spoolsheet" in found
    return found


#: What the Google backend, the .xlsx writer and the service need; no cheap command does.
REMOTE = {"gspread", "google.auth", "requests", "openpyxl", "fastapi", "uvicorn", "starlette"}
#: What only some commands need: reading settings or a workbook, drawing tables and progress.
WORK = {"pydantic_settings", "python_calamine", "lxml", "rich.table", "rich.progress"}
#: What no command on .xlsx needs: Google's retry loop; urllib.request and ssl (xml.sax.saxutils
#: imported them for its escape); the file lock only a write takes.
WRITES = {"filelock"}
NEVER_ON_XLSX = {"tenacity", "urllib.request", "ssl", "http.client", "xml.sax.saxutils"}


@pytest.mark.parametrize("args", [["-m", "spoolsheet", "--help"],
                                  ["-m", "spoolsheet", "migrate", "--help"],
                                  ["-m", "spoolsheet", "backup", "list", "--help"],
                                  ["-c", "import spoolsheet.cli"]])
def test_help_does_not_import_the_heavy_libraries(args):
    # pydantic itself is not on the list: Typer uses it to convert option values
    assert not (REMOTE | WORK | WRITES | NEVER_ON_XLSX) & imported_by(args)


@pytest.mark.parametrize("command", [["workers", "--json"], ["migrate", "status"],
                                     ["spools"], ["workers"]])
def test_a_cheap_command_on_xlsx_imports_none_of_google_openpyxl_or_the_service(migrated, command):
    found = imported_by(["-m", "spoolsheet", "--workbook", str(migrated), *command])
    assert "python_calamine" in found and not (REMOTE | WRITES | NEVER_ON_XLSX) & found
    assert "pydantic_settings" not in found  # settings.py reads the environment itself
    if command == ["workers", "--json"]:  # JSON: no table, and nothing to show progress of
        assert not {"rich.table", "rich.progress"} & found


def test_a_change_on_xlsx_takes_the_file_lock_and_imports_nothing_else_it_does_not_need(migrated):
    from spoolsheet.testing.race import contenders

    [free] = contenders(migrated, 1)  # a spool ready for ARM and an active Armador
    found = imported_by(["-m", "spoolsheet", "--workbook", str(migrated), "tomar", free.tag,
                         "--worker", str(free.worker), "--op", "arm"])
    assert found >= WRITES and not (REMOTE | NEVER_ON_XLSX) & found


def test_a_command_process_runs_without_the_cyclic_collector_and_in_process_runs_keep_it(migrated):
    report = "import atexit, gc; atexit.register(lambda: print('collector', gc.isenabled()))"
    out = subprocess.run([sys.executable, "-c", f"{report}; from spoolsheet.cli import app; "
                          f"app(['--workbook', {str(migrated)!r}, 'workers', '--json'])"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.endswith("collector False\n")
    assert run("--workbook", str(migrated), "workers", "--json").exit_code == 0
    assert gc.isenabled()


def test_the_demo_library_reports_and_never_prints(tmp_path, capfd):
    from spoolsheet.demo import run_demo

    steps = []
    report = run_demo(tmp_path / "demo", spools=30, progress=steps.append)
    assert capfd.readouterr() == ("", "")
    assert report.status_before.version == "v2.1" and report.status_after.version == "v3.0"
    assert report.run.applied == ["v3_0_occupation"] and report.verified.ok
    assert steps and report.path.exists()
