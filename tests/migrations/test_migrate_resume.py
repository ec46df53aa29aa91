"""A run killed at any step, then run again, ends at v3.0 with nothing duplicated or changed.

.xlsx: the real command in a subprocess, SIGKILLed (by itself) as it reports reaching the step.
Google: at the step, the fake starts failing every request (the process is as good as dead:
its lock stays, nothing more lands), then the faults clear and the admin runs it again with
--break-lock (the take-over after expiry is tested in test_migrate_lock). Also: a 429 storm
ridden out, and a change that fails without landing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from migration_helpers import assert_v3, changed_cells

from spoolsheet import backup, migrations
from spoolsheet.errors import TransientBackendError
from spoolsheet.ledger import read_ledger
from spoolsheet.migrations import LockHeld

STEPS = ["lock acquired", "backup done", "write done", "verify done", "record done"]


class Killed(Exception):
    """Stands for the process dying at a step."""


def google_dies_at(fake_google, step: str):
    """A progress callback under which, once the run reports ``step``, the process is as good
    as dead: every request to the fake fails from then on and the run stops there."""

    def die_at(reached) -> None:
        if reached.phase.startswith(step):
            fake_google.inject("any", nth=1, fault="500", times=10_000)
            raise Killed(step)

    return die_at


#: Runs the real command with its stderr watched from inside: the process SIGKILLs itself as it
#: writes "step: STEP", so it dies exactly there, however slow the machine (a kill sent by the
#: test on reading the line lands whenever it lands, and a late one finds the next step done).
DIE_AT_STEP = """
import os, signal, sys

class DieAtStep:
    def __init__(self, inner, step):
        self.inner, self.mark, self.line = inner, "step: " + step, ""

    def write(self, text):
        written = self.inner.write(text)
        self.line += text
        *done, self.line = self.line.split("\\n")
        if any(line.startswith(self.mark) for line in done):
            self.inner.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return written

    def __getattr__(self, name):
        return getattr(self.inner, name)

step = sys.argv.pop(1)
sys.stderr = DieAtStep(sys.stderr, step)
from spoolsheet.cli import app
app(prog_name="spoolsheet")
"""


def kill_cli_at(target: list[str], step: str, env: dict[str, str] | None = None) -> int:
    """Run `spoolsheet TARGET migrate up`, which dies by SIGKILL as it reports ``step``."""
    proc = subprocess.run(
        [sys.executable, "-c", DIE_AT_STEP, step, *target, "migrate", "up", "--force",
         "--verbose"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, timeout=60,
        env={**(os.environ if env is None else env), "COLUMNS": "200"})
    steps = [line for line in proc.stderr.splitlines() if line.startswith("step: ")]
    assert steps and steps[-1].startswith(f"step: {step}"), proc.stderr  # and nothing after
    return proc.returncode


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_xlsx_run_killed_at_each_step_is_finished_by_the_next(tmp_path, sample_tiny, step):
    import shutil

    from spoolsheet.settings import Settings
    from spoolsheet.workbook import open_workbook

    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_tiny, path)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        before = wb.read()

    assert kill_cli_at(["--workbook", str(path)], step) == -signal.SIGKILL

    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        report = migrations.up(wb, backups=backup, force=True)  # the dead run's lock is taken over at once
        after = wb.read()
    assert migrations.current_version(wb) == "v3.0"
    assert_v3(after)
    assert changed_cells(before, after) == []
    assert [e.status for e in read_ledger(after)] == ["verified"]
    assert report.changed == (step in ("lock acquired", "backup done"))


@pytest.mark.parametrize("step", STEPS)
def test_google_run_dying_at_each_step_is_finished_by_the_next(google_copy, sample_tiny,
                                                                fake_google, step):
    wb = google_copy(sample_tiny)
    before = wb.read()

    with pytest.raises(Killed):
        migrations.up(wb, backups=backup, force=True, progress=google_dies_at(fake_google, step))
    fake_google.faults.clear()
    if step != "record done":
        with pytest.raises(LockHeld):
            migrations.up(wb, backups=backup, force=True)

    report = migrations.up(wb, backups=backup, force=True, break_lock=True)

    after = wb.read()
    assert_v3(after)
    assert changed_cells(before, after) == []
    statuses = [e.status for e in read_ledger(after)]
    assert statuses == ["verified"]
    if step in ("write done", "verify done"):
        assert report.verified == ["v3_0_occupation"] and report.applied == []


def test_google_change_that_fails_without_landing_leaves_v21(google_copy, sample_tiny, fake_google):
    wb = google_copy(sample_tiny)
    before = wb.read()

    def fail_the_change(reached) -> None:
        if reached.phase.startswith("backup done"):
            fake_google.inject("write", nth=1, fault="500", times=1)

    with pytest.raises(TransientBackendError, match=r"v3_0_occupation: .* re-read: it did not "
                                                    r"land, nothing of it changed; run again"):
        migrations.up(wb, backups=backup, force=True, progress=fail_the_change)
    assert migrations.current_version(wb) == "v2.1"
    assert changed_cells(before, wb.read()) == []
    assert migrations.status(wb).lock is None  # released on the way out

    assert migrations.up(wb, backups=backup, force=True).applied == ["v3_0_occupation"]
    assert_v3(wb.read())


def test_a_429_storm_is_ridden_out(google_copy, sample_tiny, fake_google):
    wb = google_copy(sample_tiny)
    fake_google.inject("any", nth=2, fault="429", times=5)

    report = migrations.up(wb, backups=backup, force=True)

    assert report.applied == ["v3_0_occupation"]
    assert report.requests["retries"] + report.backup_requests["retries"] >= 5
    assert_v3(wb.read())
