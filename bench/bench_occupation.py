"""Requests per operation and operations per second of TOMAR / PAUSAR / COMPLETAR, both backends.

Run on demand:  python bench/bench_occupation.py [--ops 1000] [--spools 2500] [--latency 0.0]
                                                 [--backends xlsx,google]

One long-lived ``OccupationService`` per backend (the shape the HTTP API uses) runs the same
sequence on the migrated sample: per spool, TOMAR ARM, PAUSAR, TOMAR ARM by another Armador,
COMPLETAR, then the same for SOLD. It prints requests per operation (Google: the fake's request
log; the goal is at most 2), operations per second, and on .xlsx one operation's median time
against the goal (issue 10: <= 50 ms at 2,500 spools, <= 0.3 s at 50,000) and against its floor
(``floors.py``: one atomic write of the file's bytes, made right after each operation so both see
the same load on the machine), and the process's memory resident after the operations (what the
long-lived backend keeps). Google is the in-process
fake through gspread's HTTP client, so its wall time is mostly the fake's own; the request
counts are what matters there.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import floors  # bench/floors.py
from spoolsheet import migrations
from spoolsheet.fs import atomic_write_bytes
from spoolsheet.occupation import OccupationService, Operation, Stage
from spoolsheet.sample import write_sample
from spoolsheet.settings import Settings
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.workbook import Workbook, open_workbook

ENDPOINT = "http://fake-google.test"
Op = tuple[str, Callable[[], object]]


def sequence(svc: OccupationService, count: int) -> list[Op]:
    """``count`` operations that each succeed, in the order a shop floor would do them."""
    spools = [s for s in svc.spools() if s.free and s.materiales is not None
              and s.stage(Operation.ARM) is Stage.PENDING]
    workers = svc.directory.workers.values()
    arm = [w.id for w in workers if w.activo and w.has_role("Armador")][:2]
    sold = [w.id for w in workers if w.activo and w.has_role("Soldador")][:2]
    ops: list[Op] = []
    for spool in spools:
        for op, (first, second) in ((Operation.ARM, arm), (Operation.SOLD, sold)):
            tag = spool.tag
            ops += [("TOMAR", lambda t=tag, w=first, o=op: svc.tomar(t, worker=w, op=o)),
                    ("PAUSAR", lambda t=tag, w=first: svc.pausar(t, worker=w)),
                    ("TOMAR", lambda t=tag, w=second, o=op: svc.tomar(t, worker=w, op=o)),
                    ("COMPLETAR", lambda t=tag, w=second: svc.completar(t, worker=w))]
        if len(ops) >= count:
            return ops[:count]
    print(f"  (only {len(spools)} fresh spools: {len(ops)} operations)")
    return ops


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """Wall time and this process's CPU time of one call (CPU time is steadier on a busy box)."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(label: str, wb: Workbook, count: int, log: Callable[[], list] | None = None,
        paired: Callable[[], object] | None = None) -> tuple[list, list]:
    """Run the sequence; print ops/s and requests per operation.

    Returns each operation's (wall, CPU) times, and those of each call of ``paired``, made right
    after every operation so that both see the same load on the machine.
    """
    svc = OccupationService(wb)
    ops = sequence(svc, count)
    svc.directory.expire()  # the first operation pays the cold read, as a fresh process would
    logged = len(log()) if log else 0
    times, paired_times, per_op = [], [], Counter()
    for action, op in ops:
        before = wb.stats.snapshot()
        times.append(timed(op))
        after = wb.stats.snapshot()
        per_op[(action, after["reads"] - before["reads"], after["writes"] - before["writes"])] += 1
        if paired is not None:
            paired_times.append(timed(paired))
    walls = [wall for wall, _ in times]
    total = sum(walls)
    print(f"\n{label}: {len(ops)} operations in {total:.1f} s = {len(ops) / total:.2f} ops/s "
          f"(median {statistics.median(walls) * 1000:.0f} ms, max {max(walls) * 1000:.0f} ms)")
    print(f"  {'operation':<11}{'reads':>6}{'writes':>7}{'count':>7}")
    for (action, reads, writes), n in sorted(per_op.items()):
        print(f"  {action:<11}{reads:>6}{writes:>7}{n:>7}")
    if log is not None:
        print(f"  requests the fake answered: {len(log()) - logged} for {len(ops)} operations")
    return times, paired_times


def resident_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--spools", type=int, default=2500)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per fake request")
    parser.add_argument("--backends", default="xlsx,google")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = write_sample(Path(tmp) / "Kronos.xlsx", spools=args.spools, seed=1)
        with open_workbook(Settings(workbook=source, sheet_id=None)) as wb:
            migrations.up(wb, force=True)
        if "xlsx" in args.backends:
            path = Path(tmp) / "xlsx" / "Kronos.xlsx"
            path.parent.mkdir()
            shutil.copy(source, path)
            data = path.read_bytes()  # the floor: these bytes written once, atomically, beside it
            with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
                times, writes = run(f".xlsx ({args.spools:,} spools)", wb, args.ops,
                                    paired=lambda: atomic_write_bytes(path.with_name("floor.xlsx"),
                                                                      data))
                resident = resident_mb()  # with what the backend and the service keep
            goal = 0.05 if args.spools <= 2500 else 0.3
            for i, clock in enumerate(("wall", "CPU")):
                op = statistics.median(t[i] for t in times)
                p95 = statistics.quantiles([t[i] for t in times], n=20)[-1]
                floor = statistics.median(t[i] for t in writes)
                print(f"  {clock:>4} time: one operation {op * 1000:.1f} ms median, {p95 * 1000:.1f} ms "
                      f"p95; the floor {floor * 1000:.1f} ms, ratio {floors.ratio(op, floor).strip()}"
                      + (f"; goal <= {goal * 1000:.0f} ms: {'met' if op <= goal else 'NOT met'}"
                         if clock == "wall" else ""))
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  memory: {resident:.0f} MB resident after the operations (the process's "
                  f"peak {peak:.0f} MB, building and migrating the sample included)")
        if "google" in args.backends:
            fake = FakeGoogle(latency=args.latency)
            fake.load_xlsx(source, "bench")
            settings = Settings(sheet_id="bench", google_endpoint=ENDPOINT, workbook=None)
            with open_workbook(settings, transport=fake.adapter()) as wb:
                run(f"google (in-process fake, {args.latency * 1000:.0f} ms per request)", wb,
                    args.ops, log=lambda: [e for e in fake.log if e.kind in ("read", "write")])


if __name__ == "__main__":
    main()
