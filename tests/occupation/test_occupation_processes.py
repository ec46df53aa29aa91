"""Separate processes racing for one spool through the real CLI.

On one .xlsx file the file lock makes read-check-write airtight across processes: one wins.
On Google there is no compare-and-set: two processes can both read "free" and both write. The
second test shows that this really happens, which is why docs/occupation.md prescribes one
writer process per workbook.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from shop import Shop

from spoolsheet.occupation import OccupationService
from spoolsheet.settings import Settings
from spoolsheet.workbook import open_workbook
from spoolsheet.workbook.retry import FAST_RETRY

#: A CLI process that imports everything, says it is ready, and waits for the starting gun, so
#: that the race is between the commands and not between interpreter start-ups.
RUNNER = textwrap.dedent("""
    import os, sys, time
    ready, go = sys.argv.pop(1), sys.argv.pop(1)
    from spoolsheet.cli import app
    open(os.path.join(ready, str(os.getpid())), "w").close()
    while not os.path.exists(go):
        time.sleep(0.002)
    app()
""")


def race(tmp_path: Path, commands: list[list[str]], env: dict[str, str] | None = None):
    """Run the CLI commands as separate processes started at the same instant."""
    ready, go = tmp_path / "ready", tmp_path / "go"
    ready.mkdir()
    environ = {k: v for k, v in os.environ.items()
               if k not in ("SPOOLSHEET_WORKBOOK", "GOOGLE_SHEET_ID", "SPOOLSHEET_GOOGLE_ENDPOINT")}
    procs = [subprocess.Popen([sys.executable, "-c", RUNNER, str(ready), str(go), *args],
                              cwd=tmp_path, env={**environ, **(env or {})}, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for args in commands]
    deadline = time.monotonic() + 120
    while len(os.listdir(ready)) < len(procs) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]


@pytest.mark.slow
@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_ten_processes_on_one_xlsx_file_one_wins(shop, tmp_path):
    seen = shop.fresh_spool()
    armadores = shop.qualified("Armador")[:10]
    path = str(shop.wb.backend.path)
    results = race(tmp_path, [["--workbook", path, "tomar", seen.tag, "--worker", str(w.id),
                               "--op", "ARM"] for w in armadores])
    assert sorted(code for code, _, _ in results) == [0] + [3] * 9, results
    (_, won, _), = [r for r in results if r[0] == 0]
    assert f"TOMAR ARM {seen.tag}" in won and "(version 0 → 1)" in won
    for code, _, err in results:
        if code == 3:
            assert err.count("\n") == 1 and f"spool {seen.tag} is occupied by" in err
    after = shop.service.get(seen.tag)
    assert after.version == seen.version + 1
    assert len([e for e in shop.events(seen.tag) if e.evento_tipo == "TOMAR_SPOOL"]) == 1


@pytest.mark.slow
def test_two_processes_on_google_can_both_win_the_known_limit(fake_google, v3_sample, tmp_path):
    """No compare-and-set on Sheets: both processes read "free", both write. A lost update."""
    fake_google.load_xlsx(v3_sample, "race")
    with fake_google.serve() as server:
        wb = open_workbook(Settings(sheet_id="race", google_endpoint=server.base_url,
                                    workbook=None), retry=FAST_RETRY)
        shop = Shop(wb, OccupationService(wb), reopen=lambda: wb)
        seen = shop.fresh_spool()
        a, b = shop.qualified("Armador")[:2]
        fake_google.latency = 1.0  # every answer takes a second: both reads precede both writes
        results = race(tmp_path, [["--sheet-id", "race", "tomar", seen.tag, "--worker", str(w.id),
                                   "--op", "ARM"] for w in (a, b)],
                       env={"SPOOLSHEET_GOOGLE_ENDPOINT": server.base_url})
        fake_google.latency = 0.0
        assert [code for code, _, _ in results] == [0, 0], results
        after = shop.service.get(seen.tag)
        taken = [e for e in shop.events(seen.tag) if e.evento_tipo == "TOMAR_SPOOL"]
        wb.close()
    assert {e.worker_id for e in taken} == {a.id, b.id}  # two workers were told "it is yours"
    assert after.version == seen.version + 1  # two changes, one increment: the lost update
    assert after.holder in (a.ref, b.ref)
