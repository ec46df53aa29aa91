"""Requests and wall time of `migrate up` (v2.1 → v3.0) on both backends, its backup apart.

Run on demand:  python bench/bench_migrate.py [--spools 2500 50000] [--latency 0.05]
.xlsx is a real file on disk; Google is the in-process fake reached through gspread's HTTP
client, with an injected latency per request. The backup's share is measured from the run's
own progress steps (from "lock acquired" to "backup done") and from its request counts. For
.xlsx it also prints up's cost (backup excluded) against one plain openpyxl load-and-save of
the same file, measured in the same run: the goal is at most 1.5 times.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import openpyxl

from spoolsheet import backup, migrations
from spoolsheet.sample import write_sample
from spoolsheet.settings import Settings
from spoolsheet.testing import FakeGoogle, open_fake
from spoolsheet.workbook import Workbook, open_workbook


def plain_openpyxl(path: Path, scratch: Path) -> float:
    t0 = time.perf_counter()
    openpyxl.load_workbook(path).save(scratch)
    return time.perf_counter() - t0


def migrate(wb: Workbook) -> tuple[migrations.RunReport, float, float]:
    """Run up; returns the report, its wall time, and the wall time of its backup step."""
    marks: dict[str, float] = {}
    t0 = time.perf_counter()
    report = migrations.up(wb, backups=backup, force=True,
                           progress=lambda step: marks.setdefault(step.phase.split(":")[0],
                                                                  time.perf_counter()))
    total = time.perf_counter() - t0
    return report, total, marks["backup done"] - marks["lock acquired"]


def line(label: str, report: migrations.RunReport, total: float, backup: float) -> str:
    r, b = report.requests, report.backup_requests
    return (f"{label:<26} up {total:7.2f} s | without backup {total - backup:7.2f} s, "
            f"{r['reads']} reads + {r['writes']} writes ({r['retries']} retries) | backup "
            f"{backup:6.2f} s, {b['reads']} reads + {b['writes']} writes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, nargs="+", default=[2500, 50000])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per fake request")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for spools in args.spools:
            source = Path(tmp) / f"Kronos_{spools}.xlsx"
            write_sample(source, spools=spools, seed=7)
            path = Path(tmp) / f"work_{spools}.xlsx"
            shutil.copy(source, path)
            plain = plain_openpyxl(path, Path(tmp) / "plain.xlsx")
            with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
                report, total, backup = migrate(wb)
            print(line(f"xlsx {spools:,} spools", report, total, backup))
            print(f"{'':<26} one openpyxl load+save {plain:.2f} s; up without backup / that = "
                  f"{(total - backup) / plain:.2f} (goal <= 1.5)")
            fake = FakeGoogle()
            fake.load_xlsx(source, "live")
            fake.latency = args.latency
            with open_fake(fake, "live") as wb:
                report, total, backup = migrate(wb)
            print(line(f"google {spools:,} spools", report, total, backup)
                  + f" | latency {args.latency * 1000:.0f} ms/request")


if __name__ == "__main__":
    main()
