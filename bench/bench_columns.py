"""What a column moved mid-sheet costs on .xlsx, as a ratio to a floor measured in the same run.

Run on demand:  python bench/bench_columns.py [--spools 2500] [--repeat 3]

The floor is the part writer's cheapest real write on the same file: one cell of Operaciones.
A column delete or insert re-renders every row of Operaciones and every formula cell of the
other sheets, so it is expected to cost a multiple of that; the figures say how many. Best of
``--repeat`` runs each, on a fresh copy of the sample.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from spoolsheet.sample import write_sample
from spoolsheet.schema import OPERACIONES
from spoolsheet.settings import Settings
from spoolsheet.workbook import ChangeSet, open_workbook


def best(source: Path, folder: Path, change: ChangeSet, repeat: int) -> float:
    times = []
    for n in range(repeat):
        path = folder / f"run{n}.xlsx"
        shutil.copy(source, path)
        with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
            wb.sheets()  # the load is not the write
            t0 = time.perf_counter()
            wb.apply(change)
            times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, default=2500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = write_sample(folder / "Kronos.xlsx", spools=args.spools, seed=7)
        floor = best(source, folder, ChangeSet().put(OPERACIONES, 2, 1, 1), args.repeat)
        print(f"{args.spools} spools, {source.stat().st_size / 2**20:.1f} MB; floor (one cell): "
              f"{floor * 1000:.0f} ms")
        for label, change in (
                ("delete column C of Operaciones", ChangeSet().delete_columns(OPERACIONES, 3)),
                ("insert 2 columns at C", ChangeSet().insert_columns(OPERACIONES, 3, 2)),
                ("rename sheet Resumen", ChangeSet().rename_sheet("Resumen", "R2"))):
            took = best(source, folder, change, args.repeat)
            print(f"{label:38} {took * 1000:7.0f} ms  {took / floor:5.1f} x floor")


if __name__ == "__main__":
    main()
