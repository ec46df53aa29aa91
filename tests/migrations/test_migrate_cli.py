"""The `spoolsheet migrate` commands and `spoolsheet demo`: thin layers, exit codes, environment."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from migration_helpers import assert_v3
from typer.testing import CliRunner

from spoolsheet import migrations
from spoolsheet.cli import app
from spoolsheet.cli.migrate import migrate_app
from spoolsheet.demo import DEMO_WORKBOOK
from spoolsheet.ledger import LEDGER_SHEET, read_ledger
from spoolsheet.schema import OPERACIONES
from spoolsheet.settings import Settings
from spoolsheet.workbook import ChangeSet, open_workbook

runner = CliRunner()


@pytest.fixture
def book(tmp_path, sample_tiny):
    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_tiny, path)
    return path


def cli(book, *args, env=None):
    return runner.invoke(app, ["--workbook", str(book), "migrate", *args],
                         env={"COLUMNS": "200", **(env or {})})


def version(book) -> str:
    with open_workbook(Settings(workbook=book, sheet_id=None)) as wb:
        return migrations.current_version(wb)


def test_every_migrate_command_has_help():
    names = [c.name or c.callback.__name__ for c in migrate_app.registered_commands]
    assert sorted(names) == ["baseline", "check", "down", "new", "plan", "stamp", "status", "up",
                            "verify"]
    docs = (Path(__file__).parents[2] / "docs" / "migrations.md").read_text(encoding="utf-8")
    for command in migrate_app.registered_commands:
        name = command.name or command.callback.__name__
        assert command.callback.__doc__, f"migrate {name} has no help text"
        assert f"`migrate {name}" in docs, f"migrate {name} is not in docs/migrations.md"
        result = runner.invoke(app, ["migrate", name, "--help"])
        summary = command.callback.__doc__.split(".")[0][:40]
        assert result.exit_code == 0 and summary in " ".join(result.output.split())
    assert runner.invoke(app, ["demo", "--help"]).exit_code == 0 and "`demo [--dir DIR]`" in docs


def test_status_plan_up_verify_down(book):
    status = cli(book, "status", "--json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["version"] == "v2.1"

    plan = cli(book, "plan")
    assert plan.exit_code == 0 and "BL (64)" in plan.stdout and "BN (66)" in plan.stdout
    assert version(book) == "v2.1"

    up = cli(book, "up", "--force", "--verbose")
    assert up.exit_code == 0, up.output
    assert "step: write done" in up.stderr and "v2.1 → v3.0" in up.stdout
    assert version(book) == "v3.0"

    assert cli(book, "verify").exit_code == 0
    assert cli(book, "down", "--force").exit_code == 0
    assert version(book) == "v2.1"


def test_up_without_a_terminal_or_force_refuses_and_changes_nothing(book):
    result = cli(book, "up")
    assert result.exit_code == 1
    assert "add --force" in result.stderr
    assert version(book) == "v2.1"


def test_migration_dry_run_env_turns_up_into_a_dry_run(book):
    result = cli(book, "up", "--force", env={"MIGRATION_DRY_RUN": "true"})
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was written." in result.stdout
    assert version(book) == "v2.1"
    with open_workbook(Settings(workbook=book, sheet_id=None)) as wb:
        assert LEDGER_SHEET not in wb.sheet_titles()


def test_a_held_lock_exits_3_naming_the_holder(book):
    from spoolsheet.migrations.lock import lock_file

    with open_workbook(Settings(workbook=book, sheet_id=None)) as wb:
        path = lock_file(wb)
    assert path is not None
    path.write_text(json.dumps({
        "owner": "ana@office-pc:4242", "token": "t", "purpose": "migrate up",
        "acquired": "2026-01-01T00:00:00Z", "expires": "2999-01-01T00:00:00Z",
        "heartbeat": "2026-01-01T00:00:00Z", "released": ""}))
    result = cli(book, "up", "--force")
    assert result.exit_code == 3
    assert "ana@office-pc:4242" in result.stderr and "2999-01-01T00:00:00Z" in result.stderr

    assert cli(book, "up", "--force", "--break-lock").exit_code == 0
    assert version(book) == "v3.0"


def test_verify_exits_4_when_the_workbook_does_not_hold_its_version(book):
    assert cli(book, "up", "--force").exit_code == 0
    with open_workbook(Settings(workbook=book, sheet_id=None)) as wb:
        wb.apply(ChangeSet().put(OPERACIONES, 2, 66, "x"))
    result = cli(book, "verify")
    assert result.exit_code == 4
    assert "Verification failed" in result.stdout


def test_baseline_of_a_workbook_not_migrated_exits_4(book):
    result = cli(book, "baseline", "v3_0_occupation", "--force")
    assert result.exit_code == 4
    assert "not in place" in result.stderr


def test_the_demo_runs_twice_in_the_same_folder(tmp_path):
    for _ in range(2):
        result = runner.invoke(app, ["demo", "--dir", str(tmp_path / "demo"), "--spools", "30"],
                               env={"COLUMNS": "120"})
        assert result.exit_code == 0, result.output
        text = result.stdout
        assert "v2.1 → v3.0" in text and "OK: the workbook holds what v3.0 promises" in text
        path = tmp_path / "demo" / DEMO_WORKBOOK
        with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
            sheets = wb.read()
            assert_v3(sheets)
            assert [e.status for e in read_ledger(sheets)] == ["verified"]
