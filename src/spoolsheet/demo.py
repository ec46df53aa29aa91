"""``spoolsheet demo``: the whole migration story on a fresh sample workbook, in one call.

It creates the 2,500-spool v2.1 sample (recreated on every run), reads its status and the plan,
migrates it to v3.0 (taking and verifying a backup first), verifies it, and reads the status
again. It returns what each step found; the CLI (``cli/demo.py``) shows it. It never prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from . import backup, migrations
from .progress import Progress
from .sample import write_sample
from .settings import Settings
from .workbook import open_workbook

DEMO_WORKBOOK = "Kronos_Registro_Piping.xlsx"


@dataclass
class DemoReport:
    """What the demo did, step by step, for a person (or a test) to read."""

    path: Path
    spools: int
    status_before: migrations.Status
    plan: migrations.Plan
    run: migrations.RunReport
    verified: migrations.VerifyReport
    status_after: migrations.Status
    seconds: float


def run_demo(folder: Path, *, spools: int = 2500, seed: int = 7,
             progress: Progress | None = None) -> DemoReport:
    """Run the demo in ``folder`` (created if needed) and say what each step found."""
    started = time.monotonic()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DEMO_WORKBOOK
    write_sample(path, spools=spools, seed=seed, overwrite=True)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        before = migrations.status(wb)
        plan = migrations.plan(wb, backups=backup)
        run = migrations.up(wb, backups=backup, force=True, actor="demo", progress=progress)
        verified = migrations.verify(wb)
        after = migrations.status(wb)
    return DemoReport(path, spools, before, plan, run, verified, after, time.monotonic() - started)
