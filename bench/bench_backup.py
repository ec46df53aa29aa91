"""Requests and wall time of backup create --verify, verify --against-source and restore.

Run on demand:  python bench/bench_backup.py [--spools 2500 50000] [--latency 0.05]
                                            [--backends xlsx google]
Both backends: .xlsx is a real file on disk; Google is the in-process fake reached through
gspread's HTTP client, with an injected latency per request. For .xlsx it also prints restore's
cost against one plain openpyxl load-and-save of the same file, measured in the same run
(the goal: at most 1.5 times, the safety backup excluded).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import openpyxl
import requests as http

from spoolsheet import backup as B
from spoolsheet.progress import Step
from spoolsheet.sample import write_sample
from spoolsheet.schema import OPERACIONES
from spoolsheet.settings import Settings
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.workbook import ChangeSet, Workbook, open_workbook

ENDPOINT = "http://fake-google.test"
#: Restore's safety backup runs from the read of the live workbook to the end of its copy.
SAFETY_START, SAFETY_END = "reading the workbook", "copying to"


class Measured(http.adapters.BaseAdapter):
    """The fake's transport, noting each exchange's method, URL and bytes up and down."""

    def __init__(self, inner: http.adapters.BaseAdapter) -> None:
        super().__init__()
        self.inner, self.seen = inner, []

    def send(self, request, *args, **kwargs):
        response = self.inner.send(request, *args, **kwargs)
        self.seen.append((request.method, request.url, len(request.body or b""), len(response.content)))
        return response

    def close(self) -> None:
        self.inner.close()


def restore_bytes(seen: list, backup_id: str, writes: int) -> str:
    """The restore's own write (its last ``writes`` batchUpdates) against the floor: the bytes of
    the backup's values and formats as Google sends them (its read with formats)."""
    floor = [down for method, url, _, down in seen
             if method == "GET" and "/v4/" in url and backup_id in url][-1]  # the restore's read
    sent = [up for _, url, up, _ in seen if url.split("?")[0].endswith(":batchUpdate")]
    up = sum(sent[-writes:]) if writes else 0
    return (f"restore write: {writes} request(s), {up / 1e6:.3f} MB up; floor (the backup's "
            f"values+formats) {floor / 1e6:.3f} MB; ratio {up / floor:.4f}")


def requests(wb: Workbook, before: dict[str, int]) -> str:
    now = wb.stats.snapshot()
    return f"{now['reads'] - before['reads']}r+{now['writes'] - before['writes']}w"


def timed(wb: Workbook, call):
    before, t0 = wb.stats.snapshot(), time.perf_counter()
    result = call()
    return result, time.perf_counter() - t0, requests(wb, before)


def change(wb: Workbook) -> None:
    """A migration-like change to roll back: a cell edited, three columns added."""
    ops = wb.read([OPERACIONES])[OPERACIONES]
    wb.apply(ChangeSet().put(OPERACIONES, 2, 1, "changed")
             .set_row(OPERACIONES, 1, ops.info.cols + 1, ["Ocupado_Por", "Fecha_Ocupacion", "version"]))


def run(label: str, wb: Workbook, folder: str | None,
        measured: Measured | None = None) -> dict[str, float]:
    print(f"\n{label}")
    print(f"  {'operation':<34}{'requests':>10}{'seconds':>10}")
    backup, seconds, used = timed(wb, lambda: B.create(wb, folder=folder, verify=True))
    print(f"  {'create --verify':<34}{used:>10}{seconds:>10.2f}")
    _, seconds, used = timed(wb, lambda: B.verify(wb, backup.id, folder=folder, against_source=True))
    print(f"  {'verify --against-source':<34}{used:>10}{seconds:>10.2f}")
    change(wb)
    steps: list[tuple[float, Step]] = []
    report, seconds, used = timed(wb, lambda: B.restore(
        wb, backup.name, folder=folder, progress=lambda step: steps.append((time.perf_counter(), step))))
    start = next(t for t, s in steps if s.phase == SAFETY_START)
    end = next(t for t, s in steps if s.phase.startswith(SAFETY_END) and s.finished)
    safety = end - start
    print(f"  {'restore (with its safety backup)':<34}{used:>10}{seconds:>10.2f}"
          f"   {'one atomic write' if report.write_requests == 1 else f'{report.write_requests} writes'}")
    print(f"  {'  of which the safety backup':<34}{'':>10}{safety:>10.2f}")
    if measured is not None:
        print("  " + restore_bytes(measured.seen, backup.id, report.write_requests))
    return {"restore": seconds, "safety": safety}


def plain_load_save(path: Path) -> float:
    t0 = time.perf_counter()
    openpyxl.load_workbook(path).save(path.with_name("plain_" + path.name))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, nargs="+", default=[2500, 50000])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per fake request")
    parser.add_argument("--backends", nargs="+", choices=["xlsx", "google"], default=["xlsx", "google"])
    args = parser.parse_args()
    for spools in args.spools:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_sample(Path(tmp) / "Kronos.xlsx", spools=spools, seed=1)
            print(f"\n=== {spools:,} spools ({path.stat().st_size / 1e6:.1f} MB .xlsx) ===")
            if "xlsx" in args.backends:
                plain = plain_load_save(path)
                xlsx = run(".xlsx", open_workbook(Settings(workbook=path, sheet_id=None)), None)
                print(f"  plain openpyxl load+save: {plain:.2f} s; restore without its safety "
                      f"backup: {(xlsx['restore'] - xlsx['safety']) / plain:.2f}x, with it: "
                      f"{xlsx['restore'] / plain:.2f}x (goal: at most 1.5x)")
            if "google" not in args.backends:
                continue
            fake = FakeGoogle()
            fake.load_xlsx(path, "bench")
            folder = fake.create_folder("backups")
            fake.latency = args.latency
            measured = Measured(fake.adapter())
            wb = open_workbook(Settings(sheet_id="bench", google_endpoint=ENDPOINT, workbook=None),
                               transport=measured)
            run(f"google (fake, {args.latency * 1000:.0f} ms per request)", wb, folder, measured)


if __name__ == "__main__":
    main()
