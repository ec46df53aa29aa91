"""Twenty CLI-like processes at once on one .xlsx: TOMAR then PAUSAR each, all succeed?

Run on demand:  python bench/bench_processes.py [--spools 2500] [--processes 20] [--runs 1]

Issue 10: twenty processes each doing TOMAR then PAUSAR on twenty different spools of one
2,500-spool .xlsx at once all succeed, with no lost update. Each run races the processes
(``spoolsheet.testing.race``) on a fresh copy of the migrated sample and prints how many
succeeded, whether an update was lost (``lost_updates``: each spool free and two versions up,
one TOMAR_SPOOL and one PAUSAR_SPOOL each in the log), the seconds from the start to the last
one's end, the seconds per change (all of them wait in turn for the file lock, which holds each
change's read and write), the floor of one change measured in the same run (as
``bench_cost.py`` has it: calamine reading the sheets a state change needs, and one atomic write
of the file's bytes) and their ratio, the share of the lock wait (``LOCK_TIMEOUT_SECONDS``) the
last process used, and the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import floors  # bench/floors.py
from bench_cost import STATE_SHEETS  # bench/bench_cost.py
from serving import migrated_sample  # bench/serving.py
from spoolsheet.testing.race import contenders, logged, lost_updates, race
from spoolsheet.workbook.xlsx import LOCK_TIMEOUT_SECONDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, default=2500)
    parser.add_argument("--processes", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.xlsx"
        migrated_sample(sample, args.spools)
        for run in range(1, args.runs + 1):
            path = Path(tmp) / f"run{run}.xlsx"
            shutil.copy(sample, path)
            entrants, before = contenders(path, args.processes), logged(path)
            finishes, seconds = race(path, entrants)
            lost = lost_updates(path, entrants, before)
            floor = (floors.read(path, STATE_SHEETS) + floors.write(path)).wall
            done = sum(1 for f in finishes if f.returncode == 0)
            changes = 2 * len(entrants)
            print(f"{args.spools:,} spools, run {run}: {done}/{len(entrants)} succeeded in "
                  f"{seconds:.1f} s, {seconds / changes:.3f} s per change against a floor of "
                  f"{floor:.3f} s ({floors.ratio(seconds / changes, floor).strip()}), "
                  f"{seconds / LOCK_TIMEOUT_SECONDS:.0%} of the lock wait; load average "
                  f"{os.getloadavg()[0]:.1f}; " + (f"LOST: {lost}" if lost else "no update lost"))
            for f in finishes:
                if f.returncode:
                    print(f"    {f.contender.tag}: exit {f.returncode}: {f.error[:160]}")


if __name__ == "__main__":
    main()
