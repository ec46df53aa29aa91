"""Who holds the migration lock: a dead holder on this host holds nothing (both backends), and
a held lock says when ``--break-lock`` is safe. Google: the real command, SIGKILLed over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from migration_helpers import assert_v3, changed_cells
from test_migrate_lock import plant_lock
from test_migrate_resume import STEPS, kill_cli_at

from spoolsheet import migrations
from spoolsheet.fs import this_host
from spoolsheet.ledger import read_ledger
from spoolsheet.migrations.lock import LOCK_HEADERS, LOCK_SHEET, LockHeld, sheet_records
from spoolsheet.testing import open_fake
from spoolsheet.testing.fake_google.server import FakeServer

RELEASED = LOCK_HEADERS.index("released")


def dead_pid() -> int:
    """The pid of a process of this host that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


@pytest.fixture
def sleeper():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc.pid
    proc.kill()
    proc.wait(30)


def test_a_lock_whose_holder_died_on_this_host_is_taken_over_at_once(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    plant_lock(wb, owner=f"ana@{this_host()}:{dead_pid()}", expires_in=600)
    assert migrations.status(wb).lock is None  # nobody holds it: its process is gone

    report = migrations.up(wb, force=True)

    assert report.applied == ["v3_0_occupation"]
    if wb.kind == "google":  # the sheet says why the row stopped counting
        rows = wb.read([LOCK_SHEET])[LOCK_SHEET].rows
        assert rows[1][RELEASED].startswith("holder process gone; released by")


def test_a_live_holder_on_this_host_is_named_and_break_lock_called_unsafe(open_copy, sample_tiny,
                                                                        sleeper):
    wb = open_copy(sample_tiny)
    plant_lock(wb, owner=f"ana@{this_host()}:{sleeper}", expires_in=600)

    with pytest.raises(LockHeld) as caught:
        migrations.up(wb, force=True)

    message = str(caught.value)
    assert f"ana@{this_host()}:{sleeper}" in message
    assert "still runs on this host" in message and "--break-lock is NOT safe" in message
    assert migrations.current_version(wb) == "v2.1"


def test_a_holder_on_another_host_names_its_expiry_and_when_break_lock_is_safe(open_copy,
                                                                              sample_tiny):
    wb = open_copy(sample_tiny)
    held = plant_lock(wb, owner="ana@office-pc:4242", expires_in=600)

    with pytest.raises(LockHeld) as caught:
        migrations.up(wb, force=True)

    message = str(caught.value)
    assert held.expires.strftime("%Y-%m-%dT%H:%M:%SZ") in message
    assert "another host" in message
    assert "use --break-lock once you know that run is no longer running" in message


def kill_google_cli_at(server: FakeServer, sheet_id: str, step: str) -> int:
    """Run `spoolsheet migrate up` on the fake over HTTP and SIGKILL it once it reports ``step``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOOGLE_", "SPOOLSHEET_"))}
    return kill_cli_at(["--sheet-id", sheet_id], step,
                       {**env, "SPOOLSHEET_GOOGLE_ENDPOINT": server.base_url})


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_google_run_killed_at_each_step_is_finished_by_the_next_without_break_lock(
        fake_google, sample_tiny, step):
    fake_google.load_xlsx(sample_tiny, "live")
    with open_fake(fake_google, "live") as wb:
        before = wb.read()
    with FakeServer(fake_google) as server:
        assert kill_google_cli_at(server, "live", step) == -signal.SIGKILL
    with open_fake(fake_google, "live") as wb:  # a new process, as far as it knows
        dead = [r for r in sheet_records(wb.read([LOCK_SHEET])) if r.live()]
        assert all(r.alive() is False for r in dead)  # the killed run's own row, if unreleased
        report = migrations.up(wb, force=True)  # no --break-lock: its holder is known dead
        after = wb.read()
    assert_v3(after)
    assert changed_cells(before, after) == []
    assert [e.status for e in read_ledger(after)] == ["verified"]
    if step in ("lock acquired", "backup done"):
        assert report.applied == ["v3_0_occupation"]
    elif step in ("write done", "verify done"):
        assert report.verified == ["v3_0_occupation"] and report.applied == []
