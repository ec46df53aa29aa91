"""N tablets over HTTP against ``spoolsheet serve``'s app: throughput, latency, cost, correctness.

Run on demand:  python bench/bench_service.py [--backends google,xlsx] [--tablets 30]
                    [--duration 120] [--spools 2500] [--pool 200] [--latency 0.2]
                    [--writes-per-minute 60] [--rate 0]

This process runs the service (the real app on uvicorn, loopback) and, for Google, the fake over
real HTTP with ``--latency`` seconds per request and the real per-user quotas (60 reads and 60
writes a minute). The tablets run in a child process (asyncio + httpx, one connection each) so
that they do not share this process's CPU: each takes a random spool of a shared pool of
``--pool`` spools ready for ARM (so tablets collide), then releases it (PAUSAR), each request with
its own Idempotency-Key, retrying 503s with the same key after Retry-After. By default each
tablet sends its next request as soon as it has the answer (the most the service can take);
``--rate R`` paces them to R requests a second together (a shop's load: latency at that rate).

It prints state changes/s, p50/p95/p99 latency, statuses, writes/min, requests and bytes per
state change (Google: counted on the service's own HTTP transport), and from the Metadata log
afterwards: lost events (answered 200, not logged), duplicated events, double wins (a TOMAR of
a spool someone held), broken version chains. Goals (issue 9): Google >= 10 changes/s, p95 <
1.5 s, p99 < 3 s, no 429 to a caller; .xlsx >= 20/s, p95 < 0.5 s; 0 lost, 0 duplicated, 0
double wins.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import requests
import uvicorn
from requests.adapters import HTTPAdapter

from spoolsheet import migrations
from spoolsheet.audit import read_events
from spoolsheet.fs import atomic_write_bytes
from spoolsheet.occupation import OccupationService, Operation, Stage
from spoolsheet.sample import write_sample
from spoolsheet.schema import METADATA
from spoolsheet.service import create_app
from spoolsheet.service.auth import Tokens
from spoolsheet.settings import Settings
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.workbook import Region, Workbook, open_workbook

SECRET = "bench-tablet-secret-0123456789"


class CountingAdapter(HTTPAdapter):
    """requests' own adapter, counting the bytes sent and received (bodies, as on the wire)."""

    def __init__(self) -> None:
        super().__init__(pool_maxsize=4)
        self.sent = self.received = self.requests = 0
        self._lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().send(request, **kwargs)
        body = request.body or b""
        with self._lock:
            self.requests += 1
            self.sent += len(body.encode() if isinstance(body, str) else body)
            self.received += len(response.content)
        return response


@contextmanager
def running(app: Any) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(60)


# --- the tablets (child process) --------------------------------------------------------------

async def tablet(client: httpx.AsyncClient, worker: int, pool: list[str], end: float,
                 records: list[dict[str, Any]], rng: random.Random, gap: float) -> None:
    """TOMAR then PAUSAR on random spools of the pool until ``end``; with a ``gap``, each
    request starts at most every ``gap`` seconds (a worker's pace), else right after the last."""
    due = time.monotonic() + rng.uniform(0, gap)

    async def send(tag: str, action: str, body: dict[str, Any]) -> httpx.Response:
        nonlocal due
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        due = max(due + gap, time.monotonic()) if gap else due
        key = str(uuid.uuid4())
        while True:
            start = time.monotonic()
            response = await client.post(f"/spools/{tag}/{action}", json=body,
                                         headers={"Idempotency-Key": key})
            records.append({"action": action, "tag": tag, "status": response.status_code,
                            "latency": time.monotonic() - start, "body": response.json()})
            if response.status_code != 503 or time.monotonic() > end + 30:
                return response
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))

    while time.monotonic() < end:
        tag = rng.choice(pool)
        taken = await send(tag, "tomar", {"worker": worker, "op": "ARM"})
        if taken.status_code == 200:
            await send(tag, "pausar", {"worker": worker})


async def tablets(config: dict[str, Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    end = time.monotonic() + config["duration"]
    limits = httpx.Limits(max_connections=config["tablets"] + 2)
    async with httpx.AsyncClient(base_url=config["url"], timeout=60, limits=limits,
                                 headers={"Authorization": f"Bearer {SECRET}"}) as client:
        await asyncio.gather(*(
            tablet(client, config["workers"][i % len(config["workers"])], config["pool"], end,
                   records, random.Random(i), config["tablets"] / config["rate"] if config["rate"]
                   else 0.0) for i in range(config["tablets"])))
    return records


# --- the run (this process) -------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def audit(wb: Workbook, answered: list[dict[str, Any]], since: int) -> dict[str, int]:
    """Lost / duplicated events, double wins and broken version chains, from the log."""
    events = list(read_events(wb.read_sheet(METADATA)))[since:]
    ids = Counter(e.id for e in events)
    keys = Counter(e.metadata.get("idempotency_key") for e in events
                   if e.metadata.get("idempotency_key"))
    held: dict[str, bool] = {}
    version: dict[str, int] = {}
    double = broken = 0
    for e in events:
        if e.evento_tipo == "TOMAR_SPOOL":
            double += held.get(e.tag_spool, False)
            held[e.tag_spool] = True
        elif e.evento_tipo in ("PAUSAR_SPOOL", "COMPLETAR_ARM", "COMPLETAR_SOLD"):
            held[e.tag_spool] = False
        before = e.metadata.get("version_before")
        if e.tag_spool in version and before != version[e.tag_spool]:
            broken += 1
        version[e.tag_spool] = e.metadata.get("version_after")
    won = Counter((r["tag"], r["body"]["version_before"]) for r in answered
                  if r["action"] == "tomar" and not r["body"].get("replayed"))
    return {"events": len(events),
            "lost": len({r["body"]["event_id"] for r in answered} - set(ids)),
            "duplicated": sum(n - 1 for n in ids.values()) + sum(n - 1 for n in keys.values()),
            "double_wins": double + sum(n - 1 for n in won.values()),
            "broken_version_chains": broken}


def bench(kind: str, sample: Path, args: argparse.Namespace, tmp: Path) -> None:
    print(f"\n== {kind}: {args.tablets} tablets, {args.duration:.0f} s, {args.spools} spools ==")
    fake = FakeGoogle()
    counter = CountingAdapter()
    with fake.serve() as fake_server:
        if kind == "google":
            fake.load_xlsx(sample, "bench")
            settings = Settings(sheet_id="bench", google_endpoint=fake_server.base_url,
                                workbook=None, writes_per_minute=args.writes_per_minute)
            path = None
        else:
            path = tmp / f"bench_{kind}.xlsx"
            shutil.copy(sample, path)
            settings = Settings(workbook=path, sheet_id=None,
                                writes_per_minute=args.writes_per_minute_xlsx)

        def opened() -> Workbook:
            return open_workbook(settings, transport=counter if kind == "google" else None)

        with opened() as look:
            svc = OccupationService(look)
            armadores = [w.id for w in svc.workers() if w.activo and w.has_role("Armador")]
            pool = [s.tag for s in svc.spools() if s.free and s.materiales is not None
                    and s.stage(Operation.ARM) in (Stage.PENDING, Stage.PAUSED)][:args.pool]
            logged_before = sum(1 for _ in read_events(look.read_sheet(METADATA)))
        fake.latency = args.latency
        floor = request_floor(opened, path if kind != "google" else None)
        fake.set_quota(read_per_user=60, write_per_user=60)
        fake.quotas.reset()
        app = create_app(settings, open_wb=opened, tokens=Tokens.parse(f"bench={SECRET}", "bench"))
        with running(app) as url:
            time.sleep(1.0)  # the warm-up read, then a fresh minute of quota
            fake.reset_log()
            counter.requests = counter.sent = counter.received = 0
            stats_before = app.state.writer.service.workbook.stats.snapshot()
            groups_before = app.state.writer.groups
            config = {"url": url, "tablets": args.tablets, "duration": args.duration,
                      "rate": args.rate,
                      "workers": armadores, "pool": pool}
            started = time.monotonic()
            child = subprocess.run([sys.executable, __file__, "--tablets-json", json.dumps(config)],
                                   capture_output=True, text=True, check=True)
            elapsed = time.monotonic() - started
            records = json.loads(child.stdout)
            stats = app.state.writer.service.workbook.stats.snapshot()
            groups = app.state.writer.groups - groups_before
            log = list(fake.log)
        fake.latency = 0
        fake.set_quota(read_per_user=None, write_per_user=None)
        with open_workbook(settings) as after:
            found = audit(after, [r for r in records if r["status"] == 200], logged_before)
    report(kind, records, elapsed, args, found, groups, stats, stats_before, log, counter)
    p50 = percentile([r["latency"] for r in records], 50)
    what = "one header read through the fake" if path is None else "one atomic write of the file"
    print(f"floor (same run): {floor:.3f} s = {what}; p50 = {p50 / floor:.1f} x the floor; "
          f"load average {os.getloadavg()[0]:.1f}")


def request_floor(opened: Any, path: Path | None, repeat: int = 5) -> float:
    """The cheapest thing a state change must do, median of ``repeat``: on Google one request
    (the header of Metadata) through the fake at its latency; on .xlsx one atomic write of the
    file's own bytes (temp file, fsync, rename)."""
    times = []
    with opened() as wb:
        for _ in range(repeat):
            start = time.perf_counter()
            if path is None:
                wb.read_regions([Region(METADATA, 1, 1)])
            else:
                atomic_write_bytes(path.with_name("floor.xlsx"), path.read_bytes())
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def report(kind: str, records: list[dict[str, Any]], elapsed: float, args: argparse.Namespace,
           found: dict[str, int], groups: int, stats: dict[str, int], before: dict[str, int],
           log: list, counter: CountingAdapter) -> None:
    done = [r for r in records if r["status"] == 200]
    latencies = [r["latency"] for r in records]
    statuses = Counter(r["status"] for r in records)
    minutes = elapsed / 60
    changes = len(done)
    print(f"state changes: {changes} in {elapsed:.1f} s = {changes / elapsed:.1f}/s "
          f"(goal {'10' if kind == 'google' else '20'}/s); answers by status: {dict(statuses)}")
    print(f"latency of every answer: p50 {percentile(latencies, 50):.3f} s, "
          f"p95 {percentile(latencies, 95):.3f} s, p99 {percentile(latencies, 99):.3f} s "
          f"(goal p95 < {'1.5' if kind == 'google' else '0.5'} s, p99 < 3 s); "
          f"max {max(latencies, default=0):.3f} s")
    buckets = Counter(min(int(x / 0.25), 12) for x in latencies)
    print("latency histogram (0.25 s buckets, last one 3 s and over): " + " ".join(
        f"{b * 0.25:.2f}:{buckets[b]}" for b in sorted(buckets)))
    print(f"groups written: {groups} = {groups / minutes:.1f}/min, "
          f"{changes / max(groups, 1):.1f} state changes each")
    reads, writes = stats["reads"] - before["reads"], stats["writes"] - before["writes"]
    print(f"service requests: {reads} reads + {writes} writes "
          f"(retries {stats['retries'] - before['retries']}) = {writes / minutes:.1f} writes/min; "
          f"{(reads + writes) / max(changes, 1):.3f} requests per state change")
    if kind == "google":
        fake_statuses = Counter(e.status for e in log if e.kind in ("read", "write"))
        print(f"fake saw: {dict(fake_statuses)} (429s are retried inside the service; "
              f"429 to a caller: {statuses.get(429, 0)})")
        print(f"bytes per state change: {counter.received / max(changes, 1) / 1024:.1f} KB "
              f"down, {counter.sent / max(changes, 1) / 1024:.1f} KB up "
              f"(per request {counter.received / max(counter.requests, 1) / 1024:.1f} KB down)")
    print(f"log audit: {found}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="google,xlsx")
    parser.add_argument("--tablets", type=int, default=30)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="requests per second all tablets offer together (0: as fast as "
                             "answers come)")
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--spools", type=int, default=2500)
    parser.add_argument("--pool", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--writes-per-minute", type=float, default=60.0)
    parser.add_argument("--writes-per-minute-xlsx", type=float, default=1200.0)
    parser.add_argument("--tablets-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tablets_json:
        print(json.dumps(asyncio.run(tablets(json.loads(args.tablets_json)))))
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sample = write_sample(tmp / "Kronos.xlsx", spools=args.spools, seed=7)
        with open_workbook(Settings(workbook=sample, sheet_id=None)) as wb:
            migrations.up(wb, force=True)
        for kind in args.backends.split(","):
            bench(kind.strip(), sample, args, tmp)


if __name__ == "__main__":
    main()
