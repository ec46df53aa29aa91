"""No stretch of `migrate up` on .xlsx works under a still screen, measured without a clock.

A display stands still when the last step it was told is a finished count (``done == total``):
its line has no spinner and its clock stops, until the next step. The work done meanwhile is
counted in Python calls (``sys.setprofile``), which a busy machine does not change: every such
stretch must be a small share of the run's calls, so long work always runs inside a phase (a
spinner and a clock) or a count. The run is the real one, on a real .xlsx file, with its backup.
"""

from __future__ import annotations

import itertools
import shutil
import sys

from spoolsheet import backup, migrations
from spoolsheet.progress import Step
from spoolsheet.workbook import Workbook
from spoolsheet.workbook.xlsx import XlsxBackend

#: The most of the run's Python calls any still-screen stretch may take.
SHARE = 0.02


def test_no_long_work_after_a_finished_count(tmp_path, sample_small):
    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_small, path)
    calls = 0
    marks: list[tuple[int, Step]] = []

    def count(frame, event, arg) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        migrations.up(Workbook(XlsxBackend(path)), backups=backup, force=True,
                      progress=lambda step: marks.append((calls, step)))
    finally:
        sys.setprofile(None)
    still = [(b - a, f"{s.phase} {s.done}/{s.total}", n.phase)
             for (a, s), (b, n) in itertools.pairwise(marks) if s.finished]
    assert still, "no finished count: nothing to check"
    worst = max(still)
    assert worst[0] <= SHARE * calls, (
        f"{worst[0] / calls:.0%} of the run's calls under a still screen, after {worst[1]!r} "
        f"and before {worst[2]!r}")
    rows = [s for _, s in marks if s.unit == "rows" and s.finished]
    assert {s.phase for s in rows} >= {"fingerprinting",  # the backup's copy is compared by bytes
                                       "fingerprinting what v3_0_occupation must not change",
                                       "verifying v3_0_occupation"}
