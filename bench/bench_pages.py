"""What the board costs the service: one board fragment (``/pages/board``) as every open board
polls it, served from the cached board vs rebuilt after a write landed, on the .xlsx sample.

    python bench/bench_pages.py [--spools 2500] [--polls 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from serving import migrated_sample, serve_xlsx  # bench/serving.py


def ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {1000 * statistics.median(ordered):6.1f} ms, p95 {1000 * p95:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, default=2500)
    parser.add_argument("--polls", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Kronos.xlsx"
        armadores, fresh = migrated_sample(path, args.spools)
        with serve_xlsx(path) as client:
            worker = armadores[0]
            client.get("/pages/board")  # the first read of the whole sheet
            cached, rebuilt, size = [], [], 0
            for i in range(args.polls):
                action = "tomar" if i % 2 == 0 else "pausar"
                body = {"worker": worker.id, "op": "ARM"} if action == "tomar" else {"worker": worker.id}
                client.post(f"/spools/{fresh[0].tag}/{action}", json=body).raise_for_status()
                for bucket in (rebuilt, cached):  # the first poll after a write, then one more
                    start = time.perf_counter()
                    response = client.get("/pages/board")
                    bucket.append(time.perf_counter() - start)
                    size = len(response.content)
    print(f"board fragment on {args.spools:,} spools: {size:,} bytes")
    print(f"  after a write (rebuilt): {ms(rebuilt)}")
    print(f"  any other poll (cached): {ms(cached)}")
    print(f"  ratio rebuilt / cached:  {statistics.median(rebuilt) / statistics.median(cached):.0f}x")


if __name__ == "__main__":
    main()
