"""``--json``: one JSON document on stdout, nothing else there, exit codes as without it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoolsheet.cli import app
from spoolsheet.cli.docs import JSON_SHAPES, NESTED, keys_match
from spoolsheet.sample import write_sample
from spoolsheet.workbook import ChangeSet, Workbook, XlsxBackend

CLEAN_ENV = {"SPOOLSHEET_WORKBOOK": None, "GOOGLE_SHEET_ID": None, "MIGRATION_DRY_RUN": None,
             "BACKUP_FOLDER_ID": None}


def run(path: Path, *args: str):
    return CliRunner().invoke(app, ["--workbook", str(path), *args], env=CLEAN_ENV)


def document(result, command: str, code: int = 0):
    """The one JSON document on stdout, checked against the shape docs/cli.md gives it."""
    assert result.exit_code == code, result.output
    doc = json.loads(result.stdout)
    kind, keys = JSON_SHAPES[command]
    assert isinstance(doc, list if kind == "list" else dict)
    for item in (doc if kind == "list" else [doc]):
        assert keys_match(item, keys), (command, list(item))
        for key, keys_inside in NESTED.get(command, {}).items():  # null or empty: nothing to check
            nested = item[key]
            for inner in nested if isinstance(nested, list) else [nested] if nested else []:
                assert keys_match(inner, keys_inside), (command, key, list(inner))
    return doc


def is_utc(text: str) -> bool:
    """A time for machines is UTC with its offset; a day alone (the sheet stores only a date)."""
    if "T" not in text:
        return dt.date.fromisoformat(text) is not None
    return dt.datetime.fromisoformat(text).utcoffset() == dt.timedelta(0)


@pytest.fixture
def workbook(tmp_path) -> Path:
    path = tmp_path / "Kronos.xlsx"
    write_sample(path, spools=30, seed=5)
    return path


def test_migrate_up_verify_and_status_print_one_document_even_with_v(workbook):
    plan = document(run(workbook, "migrate", "plan", "--json"), "migrate plan")
    assert [m["id"] for m in plan["migrations"]] == ["v3_0_occupation"]
    report = document(run(workbook, "-v", "migrate", "up", "--force", "--json"), "migrate up")
    assert report["action"] == "up" and report["applied"] == ["v3_0_occupation"]
    assert report["version_before"] == "v2.1" and report["version_after"] == "v3.0"
    assert report["backup_id"] and report["dry_run"] is False
    verified = document(run(workbook, "migrate", "verify", "--json"), "migrate verify")
    assert verified == {"version": "v3.0", "checked": verified["checked"], "problems": [], "ok": True}
    status = document(run(workbook, "migrate", "status", "--json"), "migrate status")
    assert status["version"] == "v3.0" and status["pending"] == []
    assert [e["migration_id"] for e in status["history"]] == ["v3_0_occupation"]
    assert status["last_backup"]["id"] == report["backup_id"]
    again = document(run(workbook, "migrate", "up", "--force", "--json"), "migrate up")
    assert again["applied"] == [] and again["version_after"] == "v3.0"
    down = document(run(workbook, "migrate", "down", "--force", "--json"), "migrate down")
    assert down["applied"] == ["v3_0_occupation"] and down["version_after"] == "v2.1"
    # the backup's own requests apart: its log line (on .xlsx it reads nothing of its own: the
    # workbook is held from the run's read, its copy is compared by bytes)
    assert down["requests"]["writes"] >= 1 and down["backup_requests"]["writes"] >= 1


def test_occupation_commands_and_history_in_json_with_their_exit_codes(workbook):
    document(run(workbook, "migrate", "up", "--force", "--json"), "migrate up")
    workers = document(run(workbook, "workers", "--json"), "workers")
    a, b = [w for w in workers if w["activo"] and "Armador" in w["roles"]][:2]
    spools = document(run(workbook, "spools", "--free", "--json"), "spools")
    tag = next(s["tag"] for s in spools if s["arm_stage"] == "pending")
    taken = document(run(workbook, "tomar", tag, "--worker", str(a["id"]), "--op", "arm", "--json"),
                     "tomar")
    assert taken["action"] == "TOMAR" and taken["tag"] == tag and taken["worker"] == a["ref"]
    assert (taken["version_before"], taken["version"]) == (0, 1)
    held = document(run(workbook, "spools", "--occupied", "--json"), "spools")
    assert [s["tag"] for s in held] == [tag] and is_utc(held[0]["since"])
    refused = run(workbook, "tomar", tag, "--worker", str(b["id"]), "--op", "arm", "--json")
    assert refused.exit_code == 3 and refused.stdout == "" and "is occupied by" in refused.stderr
    paused = document(run(workbook, "pausar", tag, "--worker", str(a["id"]), "--json"), "pausar")
    assert paused["action"] == "PAUSAR" and paused["version"] == 2
    history = document(run(workbook, "history", tag, "--json"), "history")
    assert len(history) == 1 and history[0]["worker"] == a["ref"]
    assert history[0]["ended_by"] == "PAUSAR" and history[0]["operation"] == "ARM"
    assert "T" in history[0]["start"] and is_utc(history[0]["start"]) and is_utc(history[0]["end"])
    assert history[0]["seconds"] >= 0
    document(run(workbook, "tomar", tag, "--worker", a["ref"], "--op", "arm", "--json"), "tomar")
    done = document(run(workbook, "completar", tag, "--worker", str(a["id"]), "--json"),
                    "completar")
    assert done["action"] == "COMPLETAR" and done["operation"] == "ARM" and done["version"] == 4
    again = run(workbook, "completar", tag, "--worker", str(a["id"]), "--json")
    assert again.exit_code == 3 and again.stdout == ""


def test_baseline_of_a_workbook_migrated_by_hand_prints_its_run(workbook):
    document(run(workbook, "migrate", "up", "--force", "--json"), "migrate up")
    with Workbook(XlsxBackend(workbook)) as wb:  # as if migrated by hand: no ledger
        wb.apply(ChangeSet().delete_sheet("spoolsheet_migrations"))
    report = document(run(workbook, "migrate", "baseline", "v3_0_occupation", "--force", "--json"),
                      "migrate baseline")
    assert report["action"] == "baseline" and report["applied"] == ["v3_0_occupation"]
    assert report["backup_id"] is None and report["requests"]["writes"] == 1


def test_prune_counts_in_words_a_person_reads(workbook):
    for _ in range(2):
        assert run(workbook, "backup", "create", "--verify").exit_code == 0
    result = run(workbook, "backup", "prune", "--keep-last", "1", "--max-age", "0", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "1 backup would be deleted"


def test_backup_commands_print_the_shapes_docs_cli_md_gives_them(workbook):
    made = document(run(workbook, "backup", "create", "--verify", "--json"), "backup create")
    assert made["dry_run"] is False and made["backup"]["verified"] is True
    assert is_utc(made["backup"]["created"]) and "path" in made["backup"]  # .xlsx: it has a path
    name = made["backup"]["name"]
    listed = document(run(workbook, "backup", "list", "--json"), "backup list")
    assert [b["name"] for b in listed] == [name]
    checked = document(run(workbook, "backup", "verify", name, "--json"), "backup verify")
    assert checked["ok"] is True and checked["backup"]["name"] == name
    assert run(workbook, "backup", "create", "--verify", "--label", "second").exit_code == 0
    pruned = document(run(workbook, "backup", "prune", "--keep-last", "1", "--max-age", "0",
                          "--dry-run", "--json"), "backup prune")
    assert pruned["dry_run"] is True and [b["name"] for b in pruned["removed"]] == [name]
    restored = document(run(workbook, "backup", "restore", name, "--force", "--json"),
                        "backup restore")
    assert restored["backup"]["name"] == name and restored["safety_backup"] is not None


def test_a_shape_check_refuses_a_missing_an_extra_or_a_reordered_key():
    assert keys_match({"a": 1, "b": 2}, ["a", "b?"]) and keys_match({"a": 1}, ["a", "b?"])
    assert not keys_match({"b": 2, "a": 1}, ["a", "b"])
    assert not keys_match({"a": 1, "c": 3}, ["a", "b?"]) and not keys_match({}, ["a"])


def test_a_held_lock_is_its_holder_and_utc_times_in_json_and_shop_time_on_the_terminal(
        workbook, monkeypatch):
    from spoolsheet.migrations.lock import acquire

    monkeypatch.setenv("SPOOLSHEET_TZ", "Asia/Tokyo")
    with Workbook(XlsxBackend(workbook)) as wb:
        lock = acquire(wb, wb.read(), actor="ana", purpose="migrate up", ttl=600)
        try:
            env = {**CLEAN_ENV, "SPOOLSHEET_TZ": "Asia/Tokyo"}
            runner = CliRunner()
            status = document(runner.invoke(app, ["-w", str(workbook), "migrate", "status",
                                                  "--json"], env=env), "migrate status")
            plan = document(runner.invoke(app, ["-w", str(workbook), "migrate", "plan",
                                                "--json"], env=env), "migrate plan")
            shown = runner.invoke(app, ["-w", str(workbook), "migrate", "status"],
                                  env={**env, "COLUMNS": "250"})
        finally:
            lock.close()
    held = status["lock"]
    assert plan["lock"] == held
    assert held["holder"].startswith("ana@") and held["purpose"] == "migrate up"
    acquired, expires = (dt.datetime.fromisoformat(held[k]) for k in ("acquired", "expires"))
    assert is_utc(held["acquired"]) and held["expires"].endswith("+00:00")
    assert expires - acquired == dt.timedelta(seconds=600)
    assert abs(dt.datetime.now(dt.UTC) - acquired) < dt.timedelta(minutes=5)
    tokyo = expires.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert shown.exit_code == 0 and f"expires {tokyo:%Y-%m-%d %H:%M:%S} +09 Asia/Tokyo" in \
        shown.stdout, shown.stdout


def test_a_free_lock_is_null_in_json(workbook):
    assert document(run(workbook, "migrate", "status", "--json"), "migrate status")["lock"] is None
    assert document(run(workbook, "migrate", "plan", "--json"), "migrate plan")["lock"] is None
