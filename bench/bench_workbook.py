"""Requests and wall time to open a workbook, read Operaciones and apply a one-row change.

Run on demand:  python bench/bench_workbook.py [--spools 2500] [--latency 0.05]
Google is the in-process fake reached through gspread's HTTP client, with an injected latency
per request; .xlsx is a real file on disk. Then the whole workbook's read (grid data) over a
loopback socket, gzip and chunked as from Google: our request edge, which streams the body in
64 KiB reads to report its bytes, against its floor, requests reading the same answer unstreamed
(``.content``, then ``.json()``), interleaved, best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import requests

from spoolsheet.sample import write_sample
from spoolsheet.schema import METADATA, OPERACIONES
from spoolsheet.settings import Settings
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.workbook import ChangeSet, GoogleBackend, Workbook, columns, open_workbook

ENDPOINT = "http://fake-google.test"


def measure(label: str, wb: Workbook) -> None:
    steps = []
    t0 = time.perf_counter()
    wb.sheets()
    steps.append(("open (sheet list)", time.perf_counter() - t0, wb.stats.snapshot()))
    t0 = time.perf_counter()
    ops = wb.read_sheet(OPERACIONES)
    steps.append(("read Operaciones", time.perf_counter() - t0, wb.stats.snapshot()))
    tag_col = columns(ops).index("TAG_SPOOL / CODIGO_BARRA")
    t0 = time.perf_counter()
    wb.apply(ChangeSet().put(OPERACIONES, 2, tag_col, ops.cell(2, tag_col))
             .append_rows(METADATA, [["bench"]]))
    steps.append(("one-row change + log row", time.perf_counter() - t0, wb.stats.snapshot()))
    prev = {"reads": 0, "writes": 0}
    print(f"\n{label}: {len(ops.rows) - 1} data rows x {ops.info.cols} columns")
    print(f"  {'step':<28}{'reads':>6}{'writes':>7}{'seconds':>10}")
    for name, seconds, stats in steps:
        print(f"  {name:<28}{stats['reads'] - prev['reads']:>6}{stats['writes'] - prev['writes']:>7}"
              f"{seconds:>10.3f}")
        prev = stats


def streamed_read(path: Path, repeat: int) -> None:
    """The full read through our edge (streamed, counted) against requests' own read of it."""
    fake = FakeGoogle()
    fake.load_xlsx(path, "bench")
    with fake.serve() as server:
        backend = GoogleBackend("bench", session=requests.Session(), endpoint=server.base_url)
        params = {"includeGridData": "true"}
        plain = requests.Session()
        ours, floor = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            body = backend.http.call("GET", backend.url, what="bench", params=params)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            same = plain.get(f"{server.base_url}/v4/spreadsheets/bench", params=params).json()
            floor.append(time.perf_counter() - t0)
        assert body == same
        size = fake.log[-1].response_bytes
    print(f"\nwhole read over loopback ({size / 1e6:.1f} MB of JSON, gzip, chunked), best of {repeat}")
    print(f"  ours (streamed)   {min(ours):8.3f} s")
    print(f"  floor (requests)  {min(floor):8.3f} s   ratio {min(ours) / min(floor):.2f} x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spools", type=int, default=2500)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per fake request")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the loopback read")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_sample(Path(tmp) / "Kronos.xlsx", spools=args.spools, seed=1)
        measure(".xlsx", open_workbook(Settings(workbook=path, sheet_id=None)))
        fake = FakeGoogle()
        fake.load_xlsx(path, "bench")
        fake.latency = args.latency
        wb = open_workbook(Settings(sheet_id="bench", google_endpoint=ENDPOINT, workbook=None),
                           transport=fake.adapter())
        measure(f"google (fake, {args.latency * 1000:.0f} ms per request)", wb)
        streamed_read(path, args.repeat)


if __name__ == "__main__":
    main()
