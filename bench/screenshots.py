"""Screenshots of the board and the tablet page for the README (docs/board.png, docs/tablet.png).

Runs the real thing: a migrated sample workbook, ``spoolsheet serve`` in a subprocess, a few
spools taken over the JSON API, then the system Chromium (Playwright) at a 10-inch tablet's
1280x800. Run it by hand after changing the pages; the test suite never writes into the repo.

    python bench/screenshots.py [--out docs] [--spools 200]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from spoolsheet import migrations
from spoolsheet.occupation import OccupationService, Operation, Stage
from spoolsheet.sample import write_sample
from spoolsheet.settings import Settings
from spoolsheet.workbook import open_workbook

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECRET = "screenshot-tablet-token-0001"
VIEWPORT = {"width": 1280, "height": 800}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--spools", type=int, default=200)
    parser.add_argument("--taken", type=int, default=6, help="spools to take before the shots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_sample(Path(tmp) / "Kronos.xlsx", spools=args.spools, seed=7)
        with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
            migrations.up(wb, force=True)
            look = OccupationService(wb)
            armadores = [w for w in look.workers() if w.activo and w.has_role("Armador")]
            fresh = [s for s in look.spools() if s.free and s.materiales is not None
                     and s.stage(Operation.ARM) is Stage.PENDING]
        port = free_port()
        env = {**os.environ, "SPOOLSHEET_WORKBOOK": str(path), "SPOOLSHEET_API_TOKENS":
               f"tablet-01={SECRET}"}
        env.pop("GOOGLE_SHEET_ID", None)
        server = subprocess.Popen([sys.executable, "-m", "spoolsheet", "serve", "--port", str(port)],
                                  env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {SECRET}"},
                                  timeout=30)
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("spoolsheet serve did not start")
                time.sleep(0.2)
            for spool, worker in zip(fresh[:args.taken], armadores, strict=False):
                client.post(f"/spools/{spool.tag}/tomar", json={"worker": worker.id, "op": "ARM"})
            shoot(base, args.out, fresh[args.taken].tag, armadores[-1].id)
        finally:
            server.terminate()
            server.wait(30)


def shoot(base: str, out: Path, tag: str, worker_id: int) -> None:
    """The board as it refreshed itself, and the tablet just after a TOMAR of ``tag``."""
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(base + "/")
        page.evaluate(f"localStorage.setItem('spoolsheet.token', {SECRET!r})")
        page.reload()
        page.wait_for_selector("table.occupied")
        page.screenshot(path=out / "board.png")
        page.goto(base + "/tablet")
        page.fill("#tag", tag)
        page.press("#tag", "Enter")
        page.wait_for_selector("#spool .card")
        page.select_option("#worker", str(worker_id))
        page.click("button[value=tomar]")
        page.wait_for_selector("#message.ok")
        page.screenshot(path=out / "tablet.png")
        browser.close()
    print(f"wrote {out / 'board.png'} and {out / 'tablet.png'}")


if __name__ == "__main__":
    main()
