"""Time of the fake Google on the 2,500-spool sample: load, reads, writes.

Run on demand:  python bench/bench_fake.py [--spools 2500] [--repeat 3]

"client" is what a test pays: spoolsheet's Google backend (gspread + requests) on the in-process
adapter, the client's JSON encoding and decoding included. "fake" is the fake's own share: the
same requests replayed straight into it (answer and JSON body). Each figure is the best of
``--repeat`` runs, in wall seconds and, for the fake, CPU seconds too (steadier on a busy
machine). Targets in brackets.
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
except ImportError:  # measuring an older fake

    def clear_cache() -> None:
        pass


def best(
    repeat: int, run: Callable[[], object], before: Callable[[], object] = lambda: None
) -> tuple[float, float]:
    """Best (wall, cpu) seconds of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        before()
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


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


def show(label: str, target: float, fake: tuple[float, float], client: float | None = None) -> None:
    shown = "" if client is None else f"{client:.3f}"
    print(f"  {label:<38}{shown:>9}{fake[0]:>9.3f}{fake[1]:>9.3f}   [< {target:g} s]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, default=2500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_sample(Path(tmp) / "Kronos.xlsx", spools=args.spools, seed=1)
        print(f"fake Google, {args.spools}-spool sample, best of {args.repeat}, seconds")
        print(f"  {'':<38}{'client':>9}{'fake':>9}{'fake cpu':>9}")

        loader = FakeGoogle()

        def forget() -> None:
            clear_cache()
            loader.store.spreadsheets.clear()
            loader.store.files.clear()

        show("load_xlsx, first (parse)", 3.0, best(args.repeat, lambda: loader.load_xlsx(path, "x"), forget))
        show("load_xlsx, again", 0.3, best(args.repeat, lambda: FakeGoogle().load_xlsx(path, "x")))

        fake = FakeGoogle()
        fake.load_xlsx(path, "x")
        fake.set_quota(read_per_user=None, write_per_user=None, read_per_project=None, write_per_project=None)
        wb = open_fake(fake, "x")
        wb.sheets()
        ops = wb.read([OPERACIONES], formulas=False)[OPERACIONES]
        width = max(map(len, ops.rows))
        block = [list(row) + [None] * (width - len(row)) for row in ops.rows]
        steps: list[tuple[str, float, Callable[[], object]]] = [
            ("read(): includeGridData, all sheets", 1.0, wb.read),
            ("values:batchGet Operaciones", 0.5, lambda: wb.read([OPERACIONES], formulas=False)),
            (
                "batchUpdate, one cell",
                0.05,
                lambda: wb.apply(ChangeSet().put(OPERACIONES, 2, 1, ops.cell(2, 1))),
            ),
            (
                f"batchUpdate, {len(block)} x {width} cells",
                3.0,
                lambda: wb.apply(ChangeSet().set_block(OPERACIONES, 1, 1, block)),
            ),
        ]
        for label, target, run in steps:
            fake_only = best(args.repeat, answering(fake, requests_of(fake, run)))
            show(label, target, fake_only, best(args.repeat, run)[0])


if __name__ == "__main__":
    main()
