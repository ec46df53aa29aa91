"""``spoolsheet demo``: the whole migration story on a fresh sample workbook, in one command.

It creates the 2,500-spool v2.1 sample (recreated on every run), shows its status and the plan,
migrates it to v3.0 (taking and verifying a backup first), verifies it, and shows the ledger.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from . import backup, migrations
from .cli import migrate_views as render
from .sample import write_sample
from .workbook import Workbook, XlsxBackend

DEMO_WORKBOOK = "Kronos_Registro_Piping.xlsx"


def run_demo(folder: Path, console: Console, *, spools: int = 2500, seed: int = 7) -> Path:
    """Run the demo in ``folder`` (created if needed); returns the demo workbook's path."""
    started = time.monotonic()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DEMO_WORKBOOK
    console.rule("1. A fresh v2.1 workbook")
    write_sample(path, spools=spools, seed=seed, overwrite=True)
    console.print(f"Wrote {path} ({spools:,} spools, the shop's 63 v2.1 columns).")
    with Workbook(XlsxBackend(path)) as wb:
        console.rule("2. Status")
        console.print(render.status_view(migrations.status(wb)))
        console.rule("3. The plan (nothing written yet)")
        console.print(render.plan_view(migrations.plan(wb, backups=backup)))
        console.rule("4. Back up, migrate to v3.0, verify, record")
        report = migrations.up(wb, backups=backup, force=True, actor="demo",
                               progress=lambda step: console.print(f"  · {step.phase}"))
        console.print(render.report_view(report))
        console.rule("5. Verify again, from the workbook as it is now")
        console.print(render.verify_view(migrations.verify(wb)))
        console.rule("6. Status and ledger")
        console.print(render.status_view(migrations.status(wb)))
    console.print(f"Done in {time.monotonic() - started:.1f} s. Try: spoolsheet --workbook {path} "
                  "migrate status")
    return path
