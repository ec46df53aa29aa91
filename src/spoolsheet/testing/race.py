"""Many processes changing one .xlsx workbook at once, each TOMAR then PAUSAR of its own spool.

What a shop with one shared file and no service sees when twenty tablets run the CLI at the
same moment: every change waits for the file lock (``LOCK_TIMEOUT_SECONDS``) behind the others,
so all of them land only if each holds it briefly. The suite runs it on a small sample
(tests/workbook/test_xlsx_processes.py); ``bench/bench_processes.py`` on the 2,500-spool one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from ..audit import read_events
from ..occupation import OccupationService, Operation, Stage
from ..schema import METADATA
from ..settings import Settings
from ..workbook import open_workbook

#: One process: everything imported, then it waits for the starting gun and takes and releases.
CHILD = textwrap.dedent("""
    import json, os, sys, time
    path, go, tag, worker = sys.argv[1:]
    from spoolsheet.occupation import OccupationService, Operation
    from spoolsheet.settings import Settings
    from spoolsheet.workbook import open_workbook
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.002)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        service = OccupationService(wb)
        taken = service.tomar(tag, worker=int(worker), op=Operation.ARM)
        released = service.pausar(tag, worker=int(worker))
    print(json.dumps([taken.version_after, released.version_after]))
""")


@dataclass(frozen=True)
class Contender:
    """One process of the race: its spool (as it was before) and the Armador who takes it."""

    tag: str
    version: int
    worker: int


@dataclass(frozen=True)
class Finish:
    """How one process ended: its exit code, the versions its two changes left, its error."""

    contender: Contender
    returncode: int
    versions: list[int] | None
    error: str


def logged(path: Path) -> int:
    """Events in the workbook's log (before a race, to check it grew by what the race did)."""
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        return len(list(read_events(wb.read_sheet(METADATA))))


def lost_updates(path: Path, entrants: list[Contender], before: int) -> list[str]:
    """What a race that lost nothing leaves, checked: each spool free and two versions up, and
    the log grown by one TOMAR_SPOOL and one PAUSAR_SPOOL per spool, nothing else. Empty: all
    there."""
    problems = []
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        service = OccupationService(wb)
        for c in entrants:
            after = service.get(c.tag)
            if not after.free or after.version != c.version + 2:
                problems.append(f"{c.tag}: version {after.version} (expected {c.version + 2}), "
                                f"{'free' if after.free else 'held'}")
        events = list(read_events(wb.read_sheet(METADATA)))[before:]
    tags = {c.tag for c in entrants}
    kinds = sorted((e.tag_spool, e.evento_tipo) for e in events)
    expected = sorted((t, k) for t in tags for k in ("PAUSAR_SPOOL", "TOMAR_SPOOL"))
    if kinds != expected:
        problems.append(f"the log grew by {len(events)} events, not the {len(expected)} expected")
    return problems


def contenders(path: Path, count: int) -> list[Contender]:
    """``count`` free spools of a migrated workbook that can be taken for ARM, each with an
    active Armador (taken in turn)."""
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        service = OccupationService(wb)
        spools = [s for s in service.spools() if s.free and s.materiales is not None
                  and s.stage(Operation.ARM) is Stage.PENDING][:count]
        armadores = [w.id for w in service.workers() if w.activo and w.has_role("Armador")]
    if len(spools) < count or not armadores:
        raise ValueError(f"{path.name} has {len(spools)} free ARM spools and {len(armadores)} "
                         f"active Armadores; the race needs {count} and one")
    return [Contender(s.tag, s.version, armadores[i % len(armadores)])
            for i, s in enumerate(spools)]


def race(path: Path, entrants: list[Contender], *, env: dict[str, str] | None = None,
         timeout: float = 300) -> tuple[list[Finish], float]:
    """Start one process per contender, wait until every interpreter is up, then let them all
    go at once; how each ended and the seconds from the start to the last one's end."""
    go = path.with_name(f".{path.name}.go")
    go.unlink(missing_ok=True)
    environment = {k: v for k, v in (env if env is not None else os.environ).items()
                   if k != "GOOGLE_SHEET_ID"}
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(go), c.tag,
                                  str(c.worker)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=environment) for c in entrants]
    try:
        for child in children:  # every interpreter started: the race is between the writes
            assert child.stdout is not None
            child.stdout.readline()
        started = time.monotonic()
        go.touch()
        ended = [child.communicate(timeout=timeout) for child in children]
        seconds = time.monotonic() - started
    finally:
        for child in children:  # one that hung (or the start failed) is not left running
            if child.poll() is None:
                child.kill()
        go.unlink(missing_ok=True)
    return [Finish(c, child.returncode, json.loads(out) if child.returncode == 0 else None,
                   err.strip().splitlines()[-1] if err.strip() else "")
            for c, child, (out, err) in zip(entrants, children, ended, strict=True)], seconds
