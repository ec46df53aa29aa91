"""A revision over Google's 10 MB per request: its parts, requests and bytes against one write.

Run on demand:  python bench/bench_bigrev.py [--spools 20000] [--note 600]
On the in-process fake at Google's real limit: the sample migrated to v3.0, then a shop revision
backfilling a note of ``--note`` characters on every spool (over 10 MB at the defaults). Prints
the plan's line, the batchUpdates `up` sent (each under the limit) and their bytes against the
floor measured in the same run: the same change as the one batchUpdate Google would refuse
(its body's bytes, and the time to build it), so the ratios are what splitting costs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from spoolsheet import migrations
from spoolsheet.sample import write_sample
from spoolsheet.testing import FakeGoogle, open_fake

REVISION = '''id = "v3_1_nota"
version = "v3.1"
revises = "v3.0"
description = "a long note per spool"

def upgrade(op):
    op.add_column("Operaciones", "Nota_Larga", "text",
                  backfill=lambda row: f"{{row['TAG_SPOOL']}}: " + "x" * {note})
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, default=20_000)
    parser.add_argument("--note", type=int, default=600, help="characters per note")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = write_sample(Path(tmp) / "Kronos.xlsx", spools=args.spools, seed=7)
        shop = Path(tmp) / "shop"
        shop.mkdir()
        (shop / "v3_1_nota.py").write_text(REVISION.format(note=args.note), encoding="utf-8")
        fake = FakeGoogle()
        fake.load_xlsx(source, "live")
        with open_fake(fake, "live") as wb:
            migrations.up(wb, force=True)
            t0 = time.perf_counter()
            plan = migrations.plan(wb, migrations_dir=shop)
            plan_s = time.perf_counter() - t0
            (planned,) = plan.migrations
            t0 = time.perf_counter()
            whole = wb.backend._translate(planned.changes)[0]  # the floor: one batchUpdate
            floor_bytes = len(json.dumps({"requests": whole}).encode())
            floor_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            wb.split(planned.changes)
            split_s = time.perf_counter() - t0
            print(f"{args.spools:,} spools, a {args.note}-character note each; limit "
                  f"{wb.backend.max_request_bytes:,} bytes per request")
            print("plan: " + next(r for r in plan.requests if "v3_1_nota" in r)[:120] + " ...")
            print(f"plan {plan_s:.2f} s; split {split_s:.2f} s against building the one "
                  f"batchUpdate {floor_s:.2f} s: {split_s / floor_s:.1f} x")
            fake.reset_log()
            t0 = time.perf_counter()
            report = migrations.up(wb, force=True, migrations_dir=shop)
            up_s = time.perf_counter() - t0
            sent = [e.request_bytes for e in fake.log if e.path.endswith(":batchUpdate")]
            print(f"up {up_s:.2f} s: {report.requests['reads']} reads + "
                  f"{report.requests['writes']} writes; batchUpdates of "
                  + ", ".join(f"{b:,}" for b in sent) + " bytes")
            print(f"uploaded {sum(sent):,} bytes against the one batchUpdate's {floor_bytes:,}: "
                  f"{sum(sent) / floor_bytes:.3f} x (the lock, ledger and release included); "
                  f"largest {max(sent):,} <= {wb.backend.max_request_bytes:,}")
            print(f"verified: {migrations.verify(wb, migrations_dir=shop).ok}")


if __name__ == "__main__":
    main()
