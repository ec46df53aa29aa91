"""``Served``: the real app on real uvicorn in a thread, a real HTTP client, and what the tests
look up in the workbook behind it (through a connection of their own, never the service's)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI

from spoolsheet.audit import read_events
from spoolsheet.fingerprint import workbook_fingerprints
from spoolsheet.occupation import OccupationService, Operation, Spool, Stage, Worker
from spoolsheet.schema import METADATA, OPERACIONES
from spoolsheet.settings import Settings
from spoolsheet.workbook import Workbook

TABLET = "tablet-07"
SECRET = "s3cret-tablet-07-xxxxxxxx"
TOKENS = f"{TABLET}={SECRET}, office:read=read-only-office-token-1"


def settings(**extra: object) -> Settings:
    """Settings for a test service: no workbook of the environment, fast pacing, fresh views."""
    base: dict[str, object] = {"workbook": None, "sheet_id": None, "writes_per_minute": 6000,
                               "view_ttl": 0}
    return Settings(**{**base, **extra})


@dataclass
class Served:
    base_url: str
    client: httpx.Client  # sends the tablet's token
    wb: Workbook  # the tests' own connection

    def look(self) -> OccupationService:
        return OccupationService(self.wb)

    def qualified(self, role: str) -> list[Worker]:
        return [w for w in self.look().workers() if w.activo and w.has_role(role)]

    def workers(self, predicate: Callable[[Worker], bool]) -> list[Worker]:
        return [w for w in self.look().workers() if predicate(w)]

    def spool(self, predicate: Callable[[Spool], bool]) -> Spool:
        return next(s for s in self.look().spools() if predicate(s))

    def fresh_spool(self) -> Spool:
        return self.spool(lambda s: s.free and s.materiales is not None
                          and s.stage(Operation.ARM) is Stage.PENDING)

    def events(self, tag: str | None = None) -> list:
        return [e for e in read_events(self.wb.read_sheet(METADATA))
                if tag is None or e.tag_spool == tag]

    def state(self) -> dict[str, str]:
        """Fingerprints of everything a state change may touch: the spool rows and the log."""
        return workbook_fingerprints(self.wb.read([OPERACIONES, METADATA]))

    def post(self, tag: str, action: str, key: str | None = None, **body: object) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.client.post(f"/spools/{tag}/{action}", json=body, headers=headers)


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """``app`` on uvicorn on a free loopback port, for the block; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


@contextmanager
def serve(app: FastAPI, opener: Callable[[], Workbook]) -> Iterator[Served]:
    with running(app) as base, opener() as wb, httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {SECRET}"}, timeout=30) as client:
        yield Served(base, client, wb)
