"""What the careful admin reads after the quick start and after a migration: a clean
``git status``, and a verify that says the backup is intact and how the workbook changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from spoolsheet.cli import app
from spoolsheet.sample import write_sample

ROOT = Path(__file__).resolve().parents[2]
CLEAN_ENV = {"SPOOLSHEET_WORKBOOK": None, "GOOGLE_SHEET_ID": None, "MIGRATION_DRY_RUN": None,
             "BACKUP_FOLDER_ID": None}


def run(*args: str):
    return CliRunner().invoke(app, list(args), env=CLEAN_ENV)


def test_git_status_is_clean_after_the_demo_in_a_checkout(tmp_path, monkeypatch):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", ".gitignore"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "ignore"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    done = run("demo", "--spools", "20")  # the demo's own default folder, as the README runs it
    assert done.exit_code == 0, done.output
    assert any(tmp_path.glob("*/*.xlsx")), "the demo wrote nothing here"
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=tmp_path, capture_output=True, text=True, check=True)
    assert status.stdout == ""


def test_verify_after_a_migration_says_intact_and_counts_what_it_lists(tmp_path):
    path = tmp_path / "Kronos.xlsx"
    write_sample(path, spools=30, seed=5)
    w = ("--workbook", str(path))
    made = run(*w, "backup", "create", "--json")
    assert made.exit_code == 0, made.output
    name = made.stdout.split('"name": "')[1].split('"')[0]
    assert run(*w, "migrate", "up", "--force").exit_code == 0
    checked = run(*w, "backup", "verify", name, "--against-source")
    assert checked.exit_code == 4
    last = checked.stderr.strip().splitlines()[-1]
    listed = [line for line in checked.stderr.splitlines() if line.startswith("  sheet ")]
    assert last == (f"error: backup {name} is intact (10 sheets match its manifest), but the "
                    f"live workbook has changed since it was taken: {len(listed)} sheets changed, "
                    "listed above with the first cells that differ")
    assert "failed verification" not in checked.output
    assert "audit rows added in the live workbook since the backup was taken" in checked.stdout
