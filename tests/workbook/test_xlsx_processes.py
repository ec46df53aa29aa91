"""Twenty processes at once on one .xlsx file, each TOMAR then PAUSAR of its own spool.

Each change holds the file lock for its read and its part rewrite only, so every process gets
its turn within the 30 s lock wait and none of the forty changes is lost: every spool ends two
versions up and free, with its two events in the log. The 200-spool sample keeps the test
short; on the 2,500-spool one the same forty changes need about 0.3 s of CPU each under the
lock, which fits the wait on a quiet machine but not at a load average of 12 (measured: some
processes refused with WorkbookLocked), so the test does not claim it there:
``bench/bench_processes.py`` measures it.
"""

from __future__ import annotations

import shutil

from spoolsheet import migrations
from spoolsheet.settings import Settings
from spoolsheet.testing.race import contenders, logged, lost_updates, race
from spoolsheet.workbook import open_workbook

PROCESSES = 20


def test_twenty_processes_take_and_release_twenty_spools_with_no_lost_update(sample_small, tmp_path):
    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_small, path)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        migrations.up(wb, force=True)
    entrants, before = contenders(path, PROCESSES), logged(path)
    finishes, seconds = race(path, entrants, timeout=120)
    failed = [(f.returncode, f.error) for f in finishes if f.returncode]
    assert not failed, failed
    assert [f.versions for f in finishes] == [[c.version + 1, c.version + 2] for c in entrants]
    assert lost_updates(path, entrants, before) == []
    assert seconds < 60  # forty writes, each holding the lock a fraction of a second
