"""What each .xlsx operation costs against its floor (bench/floors.py), measured in the same run.

Run on demand:  python bench/bench_cost.py [--spools 2500 50000] [--service-ops 40] [--no-demo]
                [--only up cli service demo]   (only those rows: ``migrate up``, the CLI
                commands, the long-lived service's changes, ``spoolsheet demo``; the workbook
                is always migrated first)

Per size it writes the sample with ``spoolsheet sample``, runs ``spoolsheet migrate up`` (with
its verified backup) on a copy, then runs each command as its own process, as a person would:
tomar, pausar, completar, ``migrate status``, ``spools``, ``history``. Each line shows the
command's wall time, its floor and the ratio (targets: <= 3 x for the commands, process start
included; <= 3 x the migration floor for up), and the process's own peak memory (target < 500
MB at 50,000 spools). Then state changes through one long-lived ``OccupationService`` (target
<= 50 ms at 2,500 spools, 0.3 s at 50,000) and ``spoolsheet demo`` (target < 5 s). The floors:
  commands that read   process start + calamine reading the sheets the command needs
  commands that write  that + one write of the file's bytes
  migrate up           process start + read Operaciones + one rewrite of it + one more write of
                       the file's bytes (the backup's copy)
  demo                 process start + the sample's bytes written + the migration floor
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import floors  # bench/floors.py
from spoolsheet.ledger import LEDGER_SHEET
from spoolsheet.occupation import OccupationService, Operation, Stage
from spoolsheet.schema import METADATA, OPERACIONES, ROLES, TRABAJADORES
from spoolsheet.settings import Settings
from spoolsheet.workbook import open_workbook

CLI = [sys.executable, "-m", "spoolsheet"]
STATE_SHEETS = [OPERACIONES, TRABAJADORES, ROLES, LEDGER_SHEET]
#: What each command needs to read at least (its floor's read).
NEEDS = {"tomar": STATE_SHEETS, "pausar": STATE_SHEETS, "completar": STATE_SHEETS,
         "migrate status": [LEDGER_SHEET, METADATA], "spools": [OPERACIONES, LEDGER_SHEET],
         "history": [METADATA]}
WRITES = {"tomar", "pausar", "completar"}
LIMIT_MB = 500


def cli(*args: str) -> floors.Process:
    done = floors.run_process([*CLI, *args], env={**os.environ, "COLUMNS": "200"})
    if done.returncode != 0:
        raise SystemExit(f"spoolsheet {' '.join(args)} failed ({done.returncode}):\n"
                         f"{done.stdout}{done.stderr}")
    return done


def show(label: str, cost: floors.Cost, floor: floors.Cost, peak: float | None,
         target: str) -> None:
    memory = f"{peak:7.0f} MB" if peak is not None else " " * 10
    print(f"  {label:<30}{cost.wall:8.3f} s{floor.wall:8.3f} s {floors.ratio(cost.wall, floor.wall)}"
          f" {cost.cpu:8.3f} s{floor.cpu:8.3f} s {floors.ratio(cost.cpu, floor.cpu)} {memory}"
          f"   [{target}]")


def choose(path: Path) -> tuple[str, str, list[str]]:
    """A spool ready for ARM, an active Armador, and fresh spools for the service's run."""
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        svc = OccupationService(wb)
        fresh = [s.tag for s in svc.spools() if s.free and s.materiales is not None
                 and s.stage(Operation.ARM) is Stage.PENDING]
        worker = next(w for w in svc.workers() if w.activo and w.has_role("Armador"))
    return fresh[0], str(worker.id), fresh[1:]


def service_changes(path: Path, tags: list[str], worker: str,
                    count: int) -> list[floors.Cost]:
    """TOMAR then PAUSAR on fresh spools through one long-lived service: each change's time."""
    times = []
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        svc = OccupationService(wb)
        svc.spools()  # the service's first read, as at start-up
        for tag in tags[:max(1, count // 2)]:
            for call in (lambda t=tag: svc.tomar(t, worker=int(worker), op=Operation.ARM),
                         lambda t=tag: svc.pausar(t, worker=int(worker))):
                times.append(floors.best(call, 1))
    return times


def run_size(spools: int, tmp: Path, service_ops: int, rows: set[str]) -> None:
    """One size: the rows named in ``rows`` (up, cli, service) after migrating the sample."""
    source = tmp / f"sample_{spools}.xlsx"
    made = cli("sample", str(source), "--spools", str(spools), "--seed", "1")
    path = tmp / f"Kronos_{spools}.xlsx"
    shutil.copy(source, path)
    start = floors.process_start()
    print(f"\n=== {spools:,} spools: {path.stat().st_size / 1e6:.1f} MB .xlsx (sample written in "
          f"{made.cost.wall:.1f} s); process start {start.wall * 1000:.0f} ms; load {os.getloadavg()[0]:.1f}")
    print(f"  {'':<30}{'wall time':>10}{'floor':>10}{'ratio':>9}{'CPU time':>10}{'floor':>10}"
          f"{'ratio':>9}{'peak':>11}")
    write = floors.write(path)
    (tmp / f"backups_{spools}").mkdir()
    up = cli("-w", str(path), "migrate", "up", "--force",
             "--backup-folder", str(tmp / f"backups_{spools}"))
    up_floor = start + floors.migration(source) + floors.write(source)
    if "up" in rows:
        show("migrate up (verified backup)", up.cost, up_floor, up.peak_mb, "<= 3 x")
    if not rows & {"cli", "service"}:
        return
    tag, worker, fresh = choose(path)
    if "cli" in rows:
        run_cli(path, start, write, tag, worker)
    if "service" in rows:
        run_service(path, write, spools, fresh, worker, service_ops)


def run_cli(path: Path, start: floors.Cost, write: floors.Cost, tag: str, worker: str) -> None:
    """Each CLI command as its own process against its floor."""
    for action, extra in (("tomar", ["--op", "arm"]), ("pausar", []), ("tomar", ["--op", "arm"]),
                          ("completar", [])):
        done = cli("-w", str(path), action, tag, "--worker", worker, *extra)
        floor = start + floors.read(path, NEEDS[action]) + write
        show(f"{action} (CLI)", done.cost, floor, done.peak_mb, "<= 3 x")
    for label, args in (("migrate status", ["migrate", "status"]), ("spools", ["spools"]),
                        ("history", ["history", tag])):
        done = cli("-w", str(path), *args)
        show(f"{label} (CLI)", done.cost, start + floors.read(path, NEEDS[label]),
             done.peak_mb, "<= 3 x")


def run_service(path: Path, write: floors.Cost, spools: int, fresh: list[str], worker: str,
                service_ops: int) -> None:
    """State changes through one long-lived service against the write alone."""
    times = service_changes(path, fresh, worker, service_ops)
    goal = 0.05 if spools <= 2500 else 0.3
    median = floors.Cost(statistics.median(t.wall for t in times),
                         statistics.median(t.cpu for t in times))
    # the service keeps what it read: its floor is the write alone
    show(f"state change (service, n={len(times)})", median, write, None,
         f"<= {goal * 1000:.0f} ms wall; max {max(t.wall for t in times) * 1000:.0f} ms")


def run_demo(tmp: Path) -> None:
    folder = tmp / "demo"
    done = cli("demo", "--dir", str(folder))
    path = next(folder.glob("*.xlsx"))
    start = floors.process_start()
    floor = start + floors.write(path) + floors.migration(path) + floors.write(path)
    print("\n=== spoolsheet demo (2,500 spools) ===")
    show("demo (CLI)", done.cost, floor, done.peak_mb, "< 5 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, nargs="+", default=[2500, 50000])
    parser.add_argument("--service-ops", type=int, default=40)
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--only", nargs="+", choices=["up", "cli", "service", "demo"],
                        help="only these rows (per size: migrate up, the CLI commands, the "
                             "service's changes; and the demo)")
    args = parser.parse_args()
    only = set(args.only or ())
    rows = only - {"demo"} if only else {"up", "cli", "service"}
    floors.byte_compile()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        for spools in args.spools if rows else []:
            run_size(spools, Path(tmp), args.service_ops, rows)
        if not args.no_demo and (not only or "demo" in only):
            run_demo(Path(tmp))


if __name__ == "__main__":
    main()
