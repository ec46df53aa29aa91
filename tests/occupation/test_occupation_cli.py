"""The occupation commands: thin layers, one line per refusal, exit codes 0 / 1 / 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoolsheet.cli import app
from spoolsheet.occupation.rules import Operation, Stage

pytestmark = pytest.mark.parametrize("backend_kind", ["xlsx"])  # Google's CLI: see processes


@pytest.fixture
def cli(shop):
    runner = CliRunner(env={"SPOOLSHEET_WORKBOOK": None, "GOOGLE_SHEET_ID": None})

    def run(*args: str):
        return runner.invoke(app, ["--workbook", str(shop.wb.backend.path), *args])

    return run


def test_tomar_pausar_completar_and_their_exit_codes(shop, cli):
    a, b = shop.qualified("Armador")[:2]
    tag = shop.fresh_spool().tag
    done = cli("tomar", tag, "--worker", str(a.id), "--op", "arm")
    assert done.exit_code == 0 and done.stdout == f"TOMAR ARM {tag}: {a.ref} (version 0 → 1)\n"
    for args, code, words in [
        (("tomar", tag, "--worker", str(b.id), "--op", "ARM"), 3, f"is occupied by {a.ref} since"),
        (("pausar", tag, "--worker", str(b.id)), 3, f"{b.ref} does not hold it"),
        (("pausar", tag, "--worker", str(a.id), "--expect-version", "0"), 3,
         "expected version 0, it is at version 1"),
        (("tomar", "MK-NADA", "--worker", str(a.id), "--op", "ARM"), 1, "spool MK-NADA not found"),
        (("completar", tag, "--worker", "99999"), 1, "no worker with Id 99999"),
    ]:
        result = cli(*args)
        assert (result.exit_code, result.stdout) == (code, ""), result.output
        assert result.stderr.startswith("error: ") and words in result.stderr
        assert result.stderr.count("\n") == 1
    assert cli("pausar", tag, "--worker", str(a.id), "--expect-version", "1").exit_code == 0
    assert cli("tomar", tag, "--worker", str(b.id), "--op", "ARM").exit_code == 0
    completed = cli("completar", tag, "--worker", str(b.id))
    assert completed.stdout == f"COMPLETAR ARM {tag}: {b.ref} (version 3 → 4)\n"
    assert shop.service.get(tag).stage(Operation.ARM) is Stage.DONE


def test_spools_lists_who_has_what(shop, cli):
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    cli("tomar", tag, "--worker", str(a.id), "--op", "ARM")
    held = json.loads(cli("spools", "--occupied", "--json").stdout)
    assert [(s["tag"], s["holder"], s["version"], s["arm_stage"]) for s in held] == [
        (tag, str(a.ref), 1, "in progress")]
    assert held[0]["row_hash"] == shop.service.get(tag).row_hash
    free = json.loads(cli("spools", "--free", "--json").stdout)
    assert tag not in {s["tag"] for s in free} and len(free) == len(shop.spools()) - 1
    table = cli("spools", "--occupied").stdout
    assert tag in table and str(a.ref) in table and "1 spools, 1 occupied" in table
    both = cli("spools", "--free", "--occupied")
    assert both.exit_code == 1 and "exclude each other" in both.stderr


def test_history_shows_who_held_it_and_for_how_long(shop, cli):
    a, b = shop.qualified("Armador")[:2]
    tag = shop.fresh_spool().tag
    assert "never taken" in cli("history", tag).stdout
    cli("tomar", tag, "--worker", str(a.id), "--op", "ARM")
    cli("pausar", tag, "--worker", str(a.id))
    cli("tomar", tag, "--worker", str(b.id), "--op", "ARM")
    lines = cli("history", tag).stdout.splitlines()
    assert lines[0].split() == ["worker", "op", "from", "to", "for", "ended", "by"]
    assert str(a.ref) in lines[1] and "ARM" in lines[1] and "PAUSAR" in lines[1] and "0h 00m" in lines[1]
    assert str(b.ref) in lines[2] and "(holds it now)" in lines[2]
    assert cli("history", "MK-NADA").exit_code == 1


def test_verbose_counts_requests(shop, cli):
    a = shop.qualified("Armador")[0]
    result = cli("--verbose", "tomar", shop.fresh_spool().tag, "--worker", str(a.id), "--op", "ARM")
    assert "xlsx requests: 1 reads, 1 writes" in result.stderr


def test_every_command_has_help_and_a_docs_section(cli):
    docs = (Path(__file__).parents[2] / "docs" / "occupation.md").read_text(encoding="utf-8")
    for command in ("tomar", "pausar", "completar", "spools", "history"):
        registered = next(c for c in app.registered_commands if c.name == command)
        assert registered.callback.__doc__, f"{command} has no help text"
        assert f"`spoolsheet {command} " in docs, f"{command} is not in docs/occupation.md"
        result = cli(command, "--help")
        assert result.exit_code == 0
        assert registered.callback.__doc__.split("(")[0].strip()[:40] in " ".join(result.stdout.split())


def test_workers_lists_ids_refs_roles_and_a_worker_may_be_given_as_initials(shop, cli):
    listed = cli("workers", "--json")
    assert listed.exit_code == 0
    records = json.loads(listed.stdout)
    everyone = shop.workers(lambda w: True)
    assert [(r["id"], r["ref"], r["activo"]) for r in records] == [
        (w.id, str(w.ref), w.activo) for w in everyone]
    table = cli("workers")
    assert table.exit_code == 0 and all(str(w.ref) in table.stdout for w in everyone)
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    done = cli("tomar", tag, "--worker", str(a.ref), "--op", "ARM")
    assert done.exit_code == 0 and str(a.ref) in done.stdout
    wrong = cli("pausar", tag, "--worker", f"XQ({a.id})")
    assert wrong.exit_code == 1 and f"is {a.ref}" in wrong.stderr
