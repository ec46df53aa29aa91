"""On Google: requests and bytes each command downloads and uploads, beside the floor.

Run on demand:  python bench/bench_google_bytes.py [--spools 2500]
Google is the in-process fake reached through gspread's HTTP client; every figure is read from
the fake's request log (``LogEntry.request_bytes`` / ``response_bytes``, the bodies as sent).
Each operation runs on a fresh connection, as a CLI process does. Its floor is one unformatted
``values:batchGet`` of only the ranges it needs, measured on the same fake in the same run (on a
fresh connection too, so any request the read itself needs first is counted in the floor), on
the sample migrated on the fake as a shop does it (so it has its lock sheet and a backup):

  migrate status       the ledger, the lock rows and Metadata's header row
  tomar / pausar       the TAG column, the spool's row, Trabajadores, Roles, the ledger (the
                       schema version), Metadata's header; "(CLI)": with the layout check the
                       CLI runs (``migrations.layout_check()``), which reads every header row
  spools               Operaciones and Trabajadores (every row is shown)
  history              Metadata (Sheets cannot filter rows server-side)
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

from spoolsheet import backup, migrations, occupation
from spoolsheet.ledger import LEDGER_SHEET
from spoolsheet.occupation.rules import Operation, Stage
from spoolsheet.sample import write_sample
from spoolsheet.schema import LOCK_SHEET, METADATA, OPERACIONES, ROLES, TAG_COLUMN, TRABAJADORES
from spoolsheet.testing import open_fake
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.workbook import Region, Workbook

SHEET_ID = "bench"


def logged(fake: FakeGoogle, work: Callable[[Workbook], object]) -> tuple[int, int, int]:
    """(requests, bytes down, bytes up) of ``work`` on a fresh connection."""
    wb = open_fake(fake, SHEET_ID)
    fake.reset_log()
    work(wb)
    log = list(fake.log)
    return len(log), sum(e.response_bytes for e in log), sum(e.request_bytes for e in log)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, default=2500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_sample(Path(tmp) / "Kronos.xlsx", spools=args.spools, seed=7)
        fake = FakeGoogle()
        fake.load_xlsx(path, SHEET_ID)
        setup = open_fake(fake, SHEET_ID)
        migrations.up(setup, backups=backup, force=True)  # as a shop migrates: lock, backup
        spool = next(s for s in occupation.spools(setup) if s.free and s.materiales is not None
                     and s.stage(Operation.ARM) is Stage.PENDING)
        worker = next(w for w in occupation.workers(setup) if w.activo and w.has_role("Armador"))
        [header] = setup.read_regions([Region(OPERACIONES, 1, 1)])
        tag_col = header[0].index(TAG_COLUMN) + 1
        [tags] = setup.read_regions([Region(OPERACIONES, first_col=tag_col, last_col=tag_col)])
        row = next(i for i, r in enumerate(tags, 1) if r and r[0] == spool.tag)
        change_floor = [Region(OPERACIONES, first_col=tag_col, last_col=tag_col),
                        Region(OPERACIONES, row, row), Region(TRABAJADORES), Region(ROLES),
                        Region(LEDGER_SHEET), Region(METADATA, 1, 1)]
        check = migrations.layout_check()  # what the CLI's occupation commands pass
        operations: list[tuple[str, Callable[[Workbook], object], list[Region]]] = [
            ("migrate status", migrations.status,
             [Region(LEDGER_SHEET), Region(LOCK_SHEET), Region(METADATA, 1, 1)]),
            ("tomar", lambda wb: occupation.tomar(wb, spool.tag, worker=worker.id, op="ARM"),
             change_floor),
            ("pausar", lambda wb: occupation.pausar(wb, spool.tag, worker=worker.id), change_floor),
            ("tomar (CLI)", lambda wb: occupation.tomar(wb, spool.tag, worker=worker.id, op="ARM",
                                                        layout_check=check), change_floor),
            ("pausar (CLI)", lambda wb: occupation.pausar(wb, spool.tag, worker=worker.id,
                                                          layout_check=check), change_floor),
            ("spools", occupation.spools, [Region(OPERACIONES), Region(TRABAJADORES)]),
            ("history", lambda wb: occupation.history(wb, spool.tag), [Region(METADATA)]),
        ]
        print(f"Google (fake), {args.spools:,} spools: bytes per operation on a fresh connection")
        print(f"  {'operation':<16}{'requests':>9}{'down KB':>11}{'up KB':>8}"
              f"{'floor KB':>10}{'ratio':>8}")
        for name, work, floor in operations:
            requests, down, up = logged(fake, work)
            _, floor_down, _ = logged(fake, lambda wb, regions=floor: wb.read_regions(regions))
            print(f"  {name:<16}{requests:>9}{down / 1024:>11.1f}{up / 1024:>8.1f}"
                  f"{floor_down / 1024:>10.1f}{down / max(floor_down, 1):>8.1f}")


if __name__ == "__main__":
    main()
