"""On Google: what the layout check on open costs occupation, against the same call without it.

Run on demand:  python bench/bench_layout_check.py [--spools 2500]
Google is the in-process fake reached through gspread's HTTP client; every figure is read from
the fake's request log. Each call runs on a fresh connection, as a CLI process does, once without
``layout_check`` (the floor, measured in the same run) and once with ``migrations.layout_check()``:
the check adds the header row of every sheet to the read the call makes anyway, so the requests
must be equal and the bytes down a little more.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench_google_bytes import logged  # bench/bench_google_bytes.py
from spoolsheet import migrations, occupation
from spoolsheet.occupation import LayoutCheck
from spoolsheet.occupation.rules import Operation, Stage
from spoolsheet.sample import write_sample
from spoolsheet.settings import Settings
from spoolsheet.testing import open_fake
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.workbook import Workbook, open_workbook

SHEET_ID = "bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, default=2500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_sample(Path(tmp) / "Kronos.xlsx", spools=args.spools, seed=7)
        with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
            migrations.up(wb, force=True)
        fake = FakeGoogle()
        fake.load_xlsx(path, SHEET_ID)
        setup = open_fake(fake, SHEET_ID)
        spool = next(s for s in occupation.spools(setup) if s.free and s.materiales is not None
                     and s.stage(Operation.ARM) is Stage.PENDING)
        worker = next(w for w in occupation.workers(setup) if w.activo and w.has_role("Armador"))
        check = migrations.layout_check()
        # tomar then pausar leave the spool free again for the run with the check
        calls: list[tuple[str, Callable[[Workbook, LayoutCheck | None], object]]] = [
            ("tomar", lambda wb, c: occupation.tomar(wb, spool.tag, worker=worker.id, op="ARM",
                                                     layout_check=c)),
            ("pausar", lambda wb, c: occupation.pausar(wb, spool.tag, worker=worker.id,
                                                       layout_check=c)),
            ("workers", lambda wb, c: occupation.workers(wb, layout_check=c)),
            ("spools", lambda wb, c: occupation.spools(wb, layout_check=c)),
        ]
        print(f"Google (fake), {args.spools:,} spools: one call on a fresh connection")
        print(f"  {'call':<10}{'requests':>9}{'with':>6}{'down KB':>10}{'with':>10}{'ratio':>8}")
        results = {}
        for given in (None, check):
            for name, work in calls:
                results[name, given is not None] = logged(
                    fake, lambda wb, work=work, given=given: work(wb, given))
        for name, _ in calls:
            (r0, d0, _), (r1, d1, _) = results[name, False], results[name, True]
            print(f"  {name:<10}{r0:>9}{r1:>6}{d0 / 1024:>10.1f}{d1 / 1024:>10.1f}"
                  f"{d1 / max(d0, 1):>8.3f}")


if __name__ == "__main__":
    main()
