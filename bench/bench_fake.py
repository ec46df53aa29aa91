"""Wall time of the fake Google on the 2,500-spool sample: load, reads, writes.

Run on demand:  python bench/bench_fake.py [--spools 2500] [--repeat 3]
"client" is what a test pays: spoolsheet's Google backend (gspread + requests) on the in-process
adapter, JSON encoding and decoding on the client's side included. "fake" is the fake's own share
of it: the same requests, replayed straight into the fake (answer + JSON body). Each figure is the
best of ``--repeat`` runs; targets in brackets.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from spoolsheet.sample import write_sample
from spoolsheet.schema import OPERACIONES
from spoolsheet.testing import FakeGoogle, open_fake
from spoolsheet.testing.fake_google.messages import ApiRequest
from spoolsheet.workbook import ChangeSet

try:  # the parse cache, when this version of the fake has one
    from spoolsheet.testing.fake_google.xlsx import clear_cache
except ImportError:  # pragma: no cover - measuring an older fake

    def clear_cache() -> None:
        pass


def best(repeat: int, run: Callable[[], object], before: Callable[[], object] = lambda: None) -> float:
    times = []
    for _ in range(repeat):
        before()
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


def requests_of(fake: FakeGoogle, run: Callable[[], object]) -> list[ApiRequest]:
    """The requests ``run`` sends to the fake."""
    seen: list[ApiRequest] = []
    begin = fake.begin
    fake.begin = lambda req: (seen.append(req), begin(req))[1]  # type: ignore[method-assign]
    try:
        run()
    finally:
        del fake.begin
    return seen


def answering(fake: FakeGoogle, sent: list[ApiRequest]) -> Callable[[], object]:
    """``sent`` straight into the fake: its answers and their JSON, no client."""
    return lambda: [fake.begin(req).respond().content() for req in sent]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, default=2500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_sample(Path(tmp) / "Kronos.xlsx", spools=args.spools, seed=1)
        print(f"fake Google, {args.spools}-spool sample, best of {args.repeat}")
        print(f"  {'':<40}{'client':>9}{'fake':>9}")

        def show(label: str, target: float | None, client: float | None, fake_only: float) -> None:
            shown = f"{client:>9.3f}" if client is not None else " " * 9
            goal = f"  [< {target:g} s]" if target else ""
            print(f"  {label:<40}{shown}{fake_only:>9.3f}{goal}")

        loader = FakeGoogle()

        def forget() -> None:
            clear_cache()
            loader.store.spreadsheets.clear()
            loader.store.files.clear()

        show(
            "load_xlsx, first (parse)",
            3.0,
            None,
            best(args.repeat, lambda: loader.load_xlsx(path, "x"), forget),
        )
        show(
            "load_xlsx, again (cached)",
            0.3,
            None,
            best(args.repeat, lambda: FakeGoogle().load_xlsx(path, "x")),
        )

        fake = FakeGoogle()
        fake.load_xlsx(path, "x")
        fake.set_quota(read_per_user=None, write_per_user=None, read_per_project=None, write_per_project=None)
        wb = open_fake(fake, "x")
        wb.sheets()
        ops = wb.read([OPERACIONES], formulas=False)[OPERACIONES]
        height, width = len(ops.rows), max(map(len, ops.rows))
        block = [list(row) + [None] * (width - len(row)) for row in ops.rows]
        steps: list[tuple[str, float | None, Callable[[], object]]] = [
            ("read(): includeGridData, all sheets", 1.0, wb.read),
            ("values:batchGet Operaciones", 0.5, lambda: wb.read([OPERACIONES], formulas=False)),
            (
                "batchUpdate, one cell",
                0.05,
                lambda: wb.apply(ChangeSet().set(OPERACIONES, 2, 1, ops.cell(2, 1))),
            ),
            (
                f"batchUpdate, {height} x {width} block",
                None,
                lambda: wb.apply(ChangeSet().set_block(OPERACIONES, 1, 1, block)),
            ),
        ]
        for label, target, run in steps:
            sent = requests_of(fake, run)
            fake_only = best(args.repeat, answering(fake, sent))
            show(label, target, best(args.repeat, run), fake_only)


if __name__ == "__main__":
    main()
