"""``spoolsheet serve`` in a subprocess for the bench scripts: the real command, on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from spoolsheet import migrations
from spoolsheet.occupation import OccupationService, Operation, Spool, Stage, Worker
from spoolsheet.sample import write_sample
from spoolsheet.settings import Settings
from spoolsheet.workbook import open_workbook

SECRET = "bench-tablet-token-000001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve_xlsx(path: Path, **env: str) -> Iterator[httpx.Client]:
    """The service on ``path`` until the block ends; yields a client with a tablet's token."""
    port = free_port()
    environ = {**os.environ, "SPOOLSHEET_WORKBOOK": str(path),
               "SPOOLSHEET_API_TOKENS": f"bench-tablet={SECRET}", **env}
    environ.pop("GOOGLE_SHEET_ID", None)
    server = subprocess.Popen([sys.executable, "-m", "spoolsheet", "serve", "--port", str(port)],
                              env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Authorization": f"Bearer {SECRET}"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("spoolsheet serve did not start")
            time.sleep(0.2)
        yield client
    finally:
        client.close()
        server.terminate()
        server.wait(30)


def migrated_sample(path: Path, spools: int) -> tuple[list[Worker], list[Spool]]:
    """A v3.0 sample at ``path``: its active Armadores and the spools they can take for ARM."""
    write_sample(path, spools=spools, seed=7)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        migrations.up(wb, force=True)
        look = OccupationService(wb)
        armadores = [w for w in look.workers() if w.activo and w.has_role("Armador")]
        fresh = [s for s in look.spools() if s.free and s.materiales is not None
                 and s.stage(Operation.ARM) is Stage.PENDING]
    return armadores, fresh
