"""Screenshots of the board and the tablet page for the README (docs/board.png, docs/tablet.png).

Runs the real thing: a migrated sample workbook, ``spoolsheet serve`` in a subprocess, a few
spools taken over the JSON API, then the system Chromium (Playwright) at a 10-inch tablet's
1280x800. Run it by hand after changing the pages; the test suite never writes into the repo.

    python bench/screenshots.py [--out docs] [--spools 200]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from serving import SECRET, migrated_sample, serve_xlsx  # bench/serving.py

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--spools", type=int, default=200)
    parser.add_argument("--taken", type=int, default=6, help="spools to take before the shots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Kronos.xlsx"
        armadores, fresh = migrated_sample(path, args.spools)
        with serve_xlsx(path) as client:
            for spool, worker in zip(fresh[:args.taken], armadores, strict=False):
                client.post(f"/spools/{spool.tag}/tomar", json={"worker": worker.id, "op": "ARM"})
            shoot(str(client.base_url).rstrip("/"), args.out, fresh[args.taken].tag,
                  armadores[-1].id)


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
