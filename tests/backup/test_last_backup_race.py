"""Backups at once: the last-backup note (Google: developer metadata ``spoolsheet.last_backup``;
.xlsx keeps none, ``migrate status`` scans the log) must name the newest by its time, whichever
writes last, and every backup must land."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import threading
from typing import Any

import pytest

from spoolsheet import backup, migrations
from spoolsheet.audit import LAST_BACKUP_NOTE
from spoolsheet.progress import Step
from spoolsheet.settings import Settings
from spoolsheet.testing import fake_settings, open_fake
from spoolsheet.workbook import open_workbook

EARLY = dt.datetime(2026, 12, 3, 12, 0, 0, tzinfo=dt.UTC)
LATE = EARLY + dt.timedelta(seconds=30)


@pytest.mark.parametrize("backend_kind", ["google"])
@pytest.mark.parametrize("order", ["newer-lands-first", "newer-lands-last"])
def test_two_first_backups_at_once_both_land_and_the_note_names_the_newer(
        live, folder, fake_google, order):
    other = open_fake(fake_google, "live")
    assert live.note(LAST_BACKUP_NOTE) is None and other.note(LAST_BACKUP_NOTE) is None
    first_now, second_now = (LATE, EARLY) if order == "newer-lands-first" else (EARLY, LATE)
    made = {}

    def meanwhile(step: Step) -> None:  # between the second's read and its write
        if step.phase.startswith("copying") and "first" not in made:
            made["first"] = backup.create(other, folder=folder, now=first_now)

    made["second"] = backup.create(live, folder=folder, now=second_now, progress=meanwhile)
    newer = made["first" if order == "newer-lands-first" else "second"]
    fresh = open_fake(fake_google, "live")
    note = json.loads(fresh.note(LAST_BACKUP_NOTE) or "{}")
    assert note.get("backup_id") == newer.id, note
    assert migrations.status(fresh).last_backup.id == newer.id
    listed = {b.id for b in backup.list_backups(fresh, folder=folder)}
    assert {made["first"].id, made["second"].id} <= listed



@pytest.fixture
def elsewhere(live, backend_kind, request) -> Settings:
    """How another process opens ``live``: Google over the fake's loopback HTTP server,
    .xlsx on the same file."""
    if backend_kind == "xlsx":
        return Settings(workbook=live.id, sheet_id=None)
    return fake_settings("live", endpoint=request.getfixturevalue("fake_google_server").base_url)


def named(elsewhere: Settings, backend_kind: str) -> str:
    """The backup ``migrate status`` names as a fresh process sees it (Google: its note's)."""
    with open_workbook(elsewhere) as fresh:
        last = migrations.status(fresh).last_backup
        assert last is not None
        if backend_kind == "google":
            assert json.loads(fresh.note(LAST_BACKUP_NOTE) or "{}").get("backup_id") == last.id
        return last.id


@pytest.mark.parametrize("order", ["newer-lands-first", "newer-lands-last"])
def test_a_backup_made_while_another_runs_never_leaves_the_older_named(
        live, elsewhere, folder, backend_kind, order):
    """After an earlier backup left its note, another backup is made while one runs. Google:
    it lands whole between the outer's read and its write (here in the outer's thread: in one
    process the two would queue on ``exclusive()``, as two processes do not). .xlsx: the file
    lock makes it wait, so it logs after the outer, whatever its time."""
    backup.create(live, folder=folder, now=EARLY - dt.timedelta(minutes=5))
    outer_now, inner_now = (EARLY, LATE) if order == "newer-lands-first" else (LATE, EARLY)
    made: dict[str, backup.Backup] = {}
    with open_workbook(elsewhere) as other:
        inner = threading.Thread(target=lambda: made.setdefault(
            "inner", backup.create(other, folder=folder, now=inner_now)))

        def meanwhile(step: Step) -> None:
            if step.phase.startswith("copying") and inner.ident is None and "inner" not in made:
                if backend_kind == "google":
                    made["inner"] = backup.create(other, folder=folder, now=inner_now)
                else:
                    inner.start()

        made["outer"] = backup.create(live, folder=folder, now=outer_now, progress=meanwhile)
        if inner.ident is not None:
            inner.join()
    newer = made["inner" if order == "newer-lands-first" else "outer"]
    assert named(elsewhere, backend_kind) == newer.id
    assert {b.id for b in made.values()} <= {b.id for b in backup.list_backups(live, folder=folder)}


def _back_up_in_a_process(settings: Settings, folder: str | None, now: dt.datetime,
                          start: Any, made: Any) -> None:
    """A forked process's backup (its own Workbook; on Google its own HTTP connections), begun
    when every process is ready; its id, or its error, goes to ``made``."""
    try:
        with open_workbook(settings) as mine:
            mine.title  # noqa: B018  (opened before the start: the race is the backups')
            start.wait()
            made.put(backup.create(mine, folder=folder, now=now).id)
    except BaseException as exc:  # the test names it
        made.put(f"failed: {exc!r}")


def test_two_backups_in_two_processes_at_once_leave_the_newer_named(
        live, elsewhere, folder, backend_kind):
    """Two processes back up at the same moment (their times not in the order they start):
    both land and the newer is named, on either backend."""
    backup.create(live, folder=folder, now=EARLY - dt.timedelta(minutes=5))
    context = multiprocessing.get_context("fork")  # the modules are loaded already: no import
    start, made = context.Barrier(2), context.Queue()
    processes = [context.Process(target=_back_up_in_a_process,
                                 args=(elsewhere, folder, now, start, made))
                 for now in (LATE, EARLY)]
    for p in processes:
        p.start()
    ids = [made.get(timeout=60) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    assert not [i for i in ids if i.startswith("failed")], ids
    by_id = {b.id: b for b in backup.list_backups(live, folder=folder)}
    assert set(ids) <= set(by_id)
    assert named(elsewhere, backend_kind) == max(ids, key=lambda i: by_id[i].created)
    assert by_id[named(elsewhere, backend_kind)].created == LATE
