"""``spoolsheet backup ...`` through the real CLI: exit codes, one-line errors, JSON, quiet output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoolsheet.cli import app
from spoolsheet.settings import Settings
from spoolsheet.workbook import ChangeSet, Workbook, XlsxBackend, open_workbook

CLEAN_ENV = {name: None for name in ("SPOOLSHEET_WORKBOOK", "GOOGLE_SHEET_ID", "BACKUP_FOLDER_ID",
                                     "SPOOLSHEET_GOOGLE_ENDPOINT", "GOOGLE_APPLICATION_CREDENTIALS",
                                     "GOOGLE_APPLICATION_CREDENTIALS_JSON")}


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env={**CLEAN_ENV, **(env or {})})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def path(tmp_path, sample_tiny) -> Path:
    target = tmp_path / "Kronos.xlsx"
    target.write_bytes(sample_tiny.read_bytes())
    return target


def test_every_backup_command_has_help():
    for command in ("create", "verify", "list", "prune", "restore"):
        result = run("backup", command, "--help")
        assert result.exit_code == 0 and "Usage" in result.stdout
    listing = run("backup", "--help").stdout
    assert all(c in listing for c in ("create", "verify", "list", "prune", "restore"))


def test_xlsx_create_list_verify_restore(path):
    w = ("-w", str(path))
    made = run(*w, "backup", "create", "--verify")
    assert made.exit_code == 0, made.output
    assert "created backup Kronos_v2.1_backup_" in made.stdout and "verified" in made.stdout
    assert "━" not in made.output and "\x1b[" not in made.output  # no bar, no colour off a terminal

    listed = run(*w, "backup", "list", "--json")
    [entry] = json.loads(listed.stdout)
    assert {"id", "name", "created", "label", "schema_version", "verified", "path"} <= set(entry)
    assert entry["verified"] is True and Path(entry["path"]).is_file()
    backup_id = entry["id"]

    ok = run(*w, "backup", "verify", backup_id, "--against-source")
    assert ok.exit_code == 0 and "matches its manifest and the live workbook" in ok.stdout
    assert "1 audit row added in the live workbook since the backup was taken" in ok.stdout

    Workbook(XlsxBackend(entry["path"])).apply(ChangeSet().put("Roles", 2, 2, "tampered"))
    bad = run(*w, "backup", "verify", backup_id)
    assert bad.exit_code == 4 and "failed verification" in bad.stderr and "'Roles'" in bad.stderr

    open_workbook(Settings(workbook=path, sheet_id=None)).apply(
        ChangeSet().put("Operaciones", 2, 1, "changed"))
    before = digest(path)
    refused = run(*w, "backup", "restore", backup_id)  # no terminal to confirm on
    assert refused.exit_code == 1 and "--force" in refused.stderr and digest(path) == before

    done = run(*w, "backup", "restore", backup_id, "--force")
    assert done.exit_code == 0, done.output
    assert "restored backup" in done.stdout and "forced past" in done.stderr
    assert "the state before the restore is in backup Kronos_pre-restore_backup_" in done.stdout
    live = open_workbook(Settings(workbook=path, sheet_id=None))
    assert live.read_sheet("Operaciones").cell(2, 1) != "changed"


def test_xlsx_bad_input_is_one_line_and_changes_nothing(path, tmp_path):
    w = ("-w", str(path))
    assert run(*w, "backup", "create").exit_code == 0
    before = digest(path)
    for args, message in (
        (("backup", "restore", "nope", "--force"), "no backup 'nope'"),
        (("backup", "verify", "nope"), "no backup 'nope'"),
        (("backup", "create", "--folder", str(tmp_path / "missing")), "does not exist"),
        (("backup", "create", "--label", "a/b"), "--label"),
        (("backup", "prune", "--keep-last", "-1"), "--keep-last"),
    ):
        result = run(*w, *args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert digest(path) == before


def test_xlsx_prune_dry_run_then_prune(path):
    w = ("-w", str(path))
    for label in ("one", "two", "three"):
        assert run(*w, "backup", "create", "--label", label).exit_code == 0
    dry = run(*w, "backup", "prune", "--keep-last", "1", "--max-age", "0", "--dry-run")
    assert dry.exit_code == 0 and dry.stdout.count("would be deleted:") == 2
    assert "2 backups would be deleted" in dry.stdout
    assert len(json.loads(run(*w, "backup", "list", "--json").stdout)) == 3
    done = run(*w, "backup", "prune", "--keep-last", "1", "--max-age", "0")
    assert done.exit_code == 0 and done.stdout.count("deleted:") == 2
    assert "2 backups deleted" in done.stdout
    [kept] = json.loads(run(*w, "backup", "list", "--json").stdout)
    assert kept["label"] == "three"


@pytest.mark.slow
def test_google_over_the_wire(fake_google, sample_tiny):
    """The whole loop against the fake served on a loopback port, configured by environment."""
    fake_google.load_xlsx(sample_tiny, "live")
    folder = fake_google.create_folder("backups")
    with fake_google.serve() as server:
        env = {"SPOOLSHEET_GOOGLE_ENDPOINT": server.base_url, "GOOGLE_SHEET_ID": "live",
               "BACKUP_FOLDER_ID": folder}
        made = run("backup", "create", "--verify", env=env)
        assert made.exit_code == 0, made.output
        [entry] = json.loads(run("backup", "list", "--json", env=env).stdout)
        assert "path" not in entry and entry["verified"] is True
        assert folder in fake_google.store.files[entry["id"]].parents
        done = run("backup", "restore", entry["id"], "--force", env=env)
        assert done.exit_code == 0, done.output
        foreign = run("--sheet-id", "nope", "backup", "list", env=env)
        assert foreign.exit_code == 1 and foreign.stderr.count("\n") == 1


def test_json_on_create_verify_prune_restore_one_document_each_exit_codes_kept(path):
    w = ("-w", str(path))
    made = run(*w, "backup", "create", "--verify", "--json")
    assert made.exit_code == 0, made.output
    backup = json.loads(made.stdout)["backup"]
    assert backup["verified"] is True and backup["name"] == backup["id"]
    checked = json.loads(run(*w, "backup", "verify", backup["name"], "--json").stdout)
    assert checked["intact"] is True and checked["ok"] is True

    wb = open_workbook(Settings(workbook=path, sheet_id=None))
    wb.apply(ChangeSet().put("Operaciones", 2, 1, "changed"))
    wb.close()
    changed = run(*w, "backup", "verify", backup["name"], "--against-source", "--json")
    assert changed.exit_code == 4
    data = json.loads(changed.stdout)
    assert data["intact"] is True and data["ok"] is False
    assert any("'Operaciones': 1 cell differ" in c for c in data["source_changes"])
    text = run(*w, "backup", "verify", backup["name"], "--against-source")
    assert text.exit_code == 4 and "is intact" in text.stderr and "failed verification" not in text.stderr

    restored = run(*w, "backup", "restore", backup["name"], "--force", "--json")
    assert restored.exit_code == 0, restored.output
    report = json.loads(restored.stdout)
    assert report["sheets_restored"] == ["Operaciones"] and report["sheets_kept"] == ["Metadata"]
    assert report["safety_backup"]["label"] == "pre-restore"
    pruned = json.loads(run(*w, "backup", "prune", "--keep-last", "0", "--max-age", "0",
                            "--dry-run", "--json").stdout)
    assert pruned["dry_run"] is True and pruned["removal"] == "deleted" and len(pruned["removed"]) == 1


def test_a_piped_listing_is_one_line_per_backup_and_grammar_is_right(path):
    w = ("-w", str(path))
    for label in ("a-rather-long-label-for-a-backup-name", "two"):
        assert run(*w, "backup", "create", "--label", label).exit_code == 0
    listing = run(*w, "backup", "list").stdout.splitlines()
    assert listing[0].split("\t")[:2] == ["name", "id"] and len(listing) == 3
    assert all(line.count("\t") == 6 for line in listing)
    assert any("a-rather-long-label-for-a-backup-name" in line.split("\t")[0] for line in listing)
    one = run(*w, "backup", "prune", "--keep-last", "1", "--max-age", "0", "--dry-run")
    assert "1 backup would be deleted" in one.stdout


@pytest.mark.parametrize("text", ["[/x]", "[bold]X", "[red]a[/]"])
def test_markup_in_a_backup_option_or_argument_is_one_literal_line(path, text):
    """Issue 12 item 5: Rich markup typed into an option once crashed with MarkupError."""
    before = digest(path)
    for args in (("backup", "create", "--label", text), ("backup", "verify", text),
                 ("backup", "restore", text, "--force"), ("backup", "create", "--folder", text)):
        result = run("-w", str(path), *args)
        assert result.exit_code in (1, 2), (args, result.output)
        assert "Traceback" not in result.output and "MarkupError" not in result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        if args[1] != "create" or args[2] == "--label":
            assert text in result.output, (args, result.output)  # shown as typed
        assert len(lines) <= 2, (args, result.output)
    assert digest(path) == before
