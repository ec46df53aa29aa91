"""A revision whose write is over Google's per-request limit runs as a resumable sequence.

Google through the fake, with the backend's limit made small (``max_request_bytes``) so that a
30-spool revision needs several batchUpdates: the plan says so and counts them, ``up`` sends
them in order (each under the limit) and then the ledger row; a run stopped after part 1 or
part 2 (every request failing from there, or a 503 storm past the retry budget) is finished by
the next ``up`` through the operations' own checks, and the workbook ends cell for cell as an
uninterrupted run, split or atomic, leaves it. A revision that fits stays one atomic write.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from migration_helpers import MACHINERY
from rich.console import Console

from spoolsheet import backup, migrations
from spoolsheet.cli.migrate_views import plan_view
from spoolsheet.errors import TransientBackendError
from spoolsheet.ledger import read_ledger
from spoolsheet.schema import METADATA, OPERACIONES, ColumnMap
from spoolsheet.testing import open_fake
from spoolsheet.values import canonical

REVISION = '''"""v3.1: a priority inserted after the TAG, a long note per spool and its length."""

id = "v3_1_notas"
version = "v3.1"
revises = "v3.0"
description = "Prioridad_Taller after the TAG, Nota_Larga and Largo_Nota at the end"


def nota(row):
    return f"{row['TAG_SPOOL']}: " + "revisar soldadura, pintura y rotulado; " * 6


def upgrade(op):
    op.add_column("Operaciones", "Prioridad_Taller", "integer", after="TAG_SPOOL", default=3)
    op.add_column("Operaciones", "Nota_Larga", "text", backfill=nota)
    op.add_formula_column("Operaciones", "Largo_Nota", "=LEN({Nota_Larga})")
'''
#: Google's limit is 10 MB; this revision's batchUpdate on 30 spools is about 18 KB.
LIMIT = 6_000
SPOOLS = 30  # sample_tiny


class Killed(Exception):
    """Stands for the process dying at a step."""


@pytest.fixture
def shop(tmp_path) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "v3_1_notas.py").write_text(REVISION, encoding="utf-8")
    return folder


@pytest.fixture
def at_v30(fake_google, sample_tiny):
    """``at_v30(name, limit)``: a copy of the sample on the fake, migrated to v3.0 (atomic),
    then given a per-request limit of ``limit`` bytes (None: Google's)."""
    opened = []

    def _open(name: str, limit: int | None = LIMIT):
        fake_google.load_xlsx(sample_tiny, name)
        wb = open_fake(fake_google, name)
        opened.append(wb)
        migrations.up(wb, force=True)
        if limit is not None:
            wb.backend.max_request_bytes = limit
        return wb

    yield _open
    for wb in opened:
        wb.close()


def up(wb, shop, **kw):
    return migrations.up(wb, backups=backup, force=True, migrations_dir=shop, **kw)


def data(wb) -> dict:
    """Every sheet but the run's own (ledger, lock) and the log, in the canonical form."""
    return {t: [[canonical(v) for v in row] for row in s.rows]
            for t, s in wb.read().items() if t not in (*MACHINERY, METADATA)}


def batch_updates(fake_google) -> list:
    return [e for e in fake_google.log if e.path.endswith(":batchUpdate")]


def test_plan_says_how_many_writes_and_up_sends_them_in_order(at_v30, shop, fake_google):
    wb = at_v30("split")

    plan = migrations.plan(wb, migrations_dir=shop)
    (planned,) = plan.migrations
    assert planned.parts >= 3 and not planned.as_dict()["atomic"]
    line = next(r for r in plan.requests if "v3_1_notas" in r)
    assert line.startswith(f"{planned.parts + 1} writes (over Google's 10 MB per request: not "
                           "atomic; a killed run resumes)"), line

    console = Console(width=400, record=True)
    console.print(plan_view(plan))
    assert f"{planned.parts + 1} writes (over Google's 10 MB per request" in console.export_text()

    fake_google.reset_log()
    report = up(wb, shop)

    assert report.applied == ["v3_1_notas"]
    # the lock row, each part, the ledger row and event, the record and release
    assert report.requests["writes"] == planned.parts + 3
    sent = batch_updates(fake_google)
    assert all(e.request_bytes <= LIMIT for e in sent), [e.request_bytes for e in sent]
    ledger = read_ledger(wb.read())
    assert [e.status for e in ledger] == ["verified", "verified"]
    assert ledger[-1].details["parts"] == planned.parts and "parts" not in ledger[0].details


def test_a_split_run_leaves_what_one_atomic_write_leaves(at_v30, shop):
    split, atomic = at_v30("split"), at_v30("atomic", limit=None)
    assert migrations.plan(atomic, migrations_dir=shop).migrations[0].parts == 1

    up(split, shop)
    up(atomic, shop)

    assert data(split) == data(atomic)
    cmap = ColumnMap.from_row(OPERACIONES, split.read_sheet(OPERACIONES).row(1))
    assert cmap.index("Prioridad_Taller") == cmap.index("TAG_SPOOL") + 1
    assert migrations.verify(split, migrations_dir=shop).ok


@pytest.mark.parametrize("fault", ["dies", "503 storm"])
@pytest.mark.parametrize("after_part", [1, 2])
def test_a_run_stopped_between_parts_is_finished_by_the_next(at_v30, shop, fake_google,
                                                             after_part, fault):
    reference, wb = at_v30("reference"), at_v30("live")
    up(reference, shop)
    parts = migrations.plan(wb, migrations_dir=shop).migrations[0].parts
    assert parts >= 3

    def stop(reached) -> None:
        if reached.phase.startswith(f"part {after_part} of {parts} written"):
            if fault == "dies":  # the process is as good as dead: nothing more lands
                fake_google.inject("any", nth=1, fault="500", times=10_000)
                raise Killed(reached.phase)
            # the next part meets a 503 on every attempt the retry policy makes
            fake_google.inject("write", nth=1, fault="503", times=wb.backend.http.retry.max_attempts)

    with pytest.raises(Killed if fault == "dies" else TransientBackendError):
        up(wb, shop, progress=stop)
    fake_google.faults.clear()

    half = wb.read()
    assert [e.migration_id for e in read_ledger(half)] == ["v3_0_occupation"]  # no row: not done
    cmap = ColumnMap.from_row(OPERACIONES, half[OPERACIONES].row(1))
    new = [half[OPERACIONES].column(cmap.index(n), start=2)  # every header is there (part 1)
           for n in ("Prioridad_Taller", "Nota_Larga", "Largo_Nota")]
    done = sum(v is not None for column in new for v in column)
    assert 0 < done < SPOOLS * 3  # some of the cells, not all

    resumed = migrations.plan(wb, migrations_dir=shop).migrations[0]
    steps = [s.text for s in resumed.steps]
    assert any(s.startswith("keep column 'Prioridad_Taller'") for s in steps), steps
    assert any(s.startswith("keep column 'Nota_Larga'") for s in steps), steps
    report = up(wb, shop, break_lock=(fault == "dies"))

    assert report.applied == ["v3_1_notas"]
    assert data(wb) == data(reference)
    assert [e.status for e in read_ledger(wb.read())] == ["verified", "verified"]
    assert migrations.verify(wb, migrations_dir=shop).ok


def test_a_part_that_moves_columns_is_not_sent_twice_after_a_lost_reply(at_v30, shop,
                                                                        fake_google):
    """Part 1 inserts a column: its reply lost, it may have landed, so it is not sent again (a
    second insertDimension would add a second column); the run stops and the next finishes."""
    reference, wb = at_v30("reference"), at_v30("live")
    up(reference, shop)

    def lose_part_1(reached) -> None:
        if reached.phase.startswith("writing v3_1_notas: part 1 of") and not reached.done:
            fake_google.inject("write", nth=1, fault="reset", times=1)

    fake_google.reset_log()
    with pytest.raises(TransientBackendError, match="may have been applied"):
        up(wb, shop, progress=lose_part_1)
    assert len([e for e in batch_updates(fake_google) if e.fault == "reset"]) == 1

    assert up(wb, shop).applied == ["v3_1_notas"]
    assert data(wb) == data(reference)


def test_a_revision_that_fits_stays_one_atomic_write(at_v30, shop, fake_google):
    wb = at_v30("fits", limit=None)

    plan = migrations.plan(wb, migrations_dir=shop)
    assert plan.migrations[0].parts == 1
    assert any(r.startswith("1 write: one atomic batchUpdate for v3_1_notas") for r in plan.requests)
    fake_google.reset_log()
    report = up(wb, shop)

    assert report.requests == {"reads": 3, "writes": 3, "retries": 0}


def test_on_xlsx_any_size_is_one_atomic_save(tmp_path, sample_tiny, shop):
    import shutil

    from spoolsheet.settings import Settings
    from spoolsheet.workbook import open_workbook

    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_tiny, path)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        migrations.up(wb, force=True)
        plan = migrations.plan(wb, migrations_dir=shop)
        assert plan.migrations[0].parts == 1
        assert wb.split(plan.migrations[0].changes) == [plan.migrations[0].changes]
        assert any(r.startswith("1 atomic save: v3_1_notas") for r in plan.requests)


def test_the_shops_history_in_parts_killed_mid_v40_ends_as_one_atomic_run(fake_google,
                                                                          sample_tiny):
    """The real history (tests/migrations/history) from v2.1, every revision planned on the
    one before (sheets not made yet included) and split; the run dies after v4.0's first part;
    the next one finishes v4.0, runs v4.1, and the workbook is the uninterrupted atomic run's."""
    from test_migrate_history import CHAIN, HISTORY, same_workbook

    fake_google.load_xlsx(sample_tiny, "clean")
    fake_google.load_xlsx(sample_tiny, "live")
    with open_fake(fake_google, "clean") as clean, open_fake(fake_google, "live") as wb:
        up(clean, HISTORY)
        wb.backend.max_request_bytes = 8_000
        plan = migrations.plan(wb, migrations_dir=HISTORY)
        parts = {m.id: m.parts for m in plan.migrations}
        assert list(parts) == CHAIN and parts["v4_0_uniones"] >= 3, parts

        def dies(reached) -> None:
            if reached.phase.startswith("part 1 of") and reached.phase.endswith("v4_0_uniones"):
                fake_google.inject("any", nth=1, fault="500", times=10_000)
                raise Killed(reached.phase)

        with pytest.raises(Killed):
            up(wb, HISTORY, progress=dies)
        fake_google.faults.clear()
        assert migrations.current_version(wb) == "v3.1"

        report = up(wb, HISTORY, break_lock=True)
        assert report.applied == CHAIN[2:] and report.version_after == "v4.1"
        assert same_workbook(clean.read(), wb.read()) == []
        assert [e.status for e in read_ledger(wb.read())] == ["verified"] * len(CHAIN)
