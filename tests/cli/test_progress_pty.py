"""Long work on a real terminal: the display moves at least once a second; a pipe gets none of it.

The command runs in a child process whose stdin, stdout and stderr are a pseudo-terminal
(``os.openpty``), as in an admin's terminal; every chunk it draws is timed on arrival.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from spoolsheet.cli.progress import progress_view
from spoolsheet.progress import Step

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def on_a_terminal(args: list[str], cwd: Path) -> tuple[list[tuple[float, bytes]], int]:
    """Run ``spoolsheet ARGS`` on a pseudo-terminal; the timed chunks it wrote, and its exit code."""
    master, slave = os.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40",
           "SPOOLSHEET_WORKBOOK": "", "GOOGLE_SHEET_ID": ""}
    env.pop("NO_COLOR", None)
    child = subprocess.Popen([sys.executable, "-m", "spoolsheet", *args], cwd=cwd, env=env,
                             stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks: list[tuple[float, bytes]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append((time.monotonic(), data))
        elif child.poll() is not None:
            break
    os.close(master)
    return chunks, child.wait(timeout=10)


@pytest.fixture
def big(tmp_path, sample_2500) -> Path:
    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_2500, path)
    return path


@pytest.mark.xfail(
    reason="timing-dependent: on an idle machine the migration can end before a second redraw",
    strict=False,
)
def test_migrate_up_redraws_its_progress_at_least_once_a_second(big):
    chunks, code = on_a_terminal(["--workbook", str(big), "migrate", "up", "--force"], big.parent)
    text = ANSI.sub(b"", b"".join(c for _, c in chunks)).decode(errors="replace")
    assert code == 0, text
    assert "applied and verified: v3_0_occupation" in text
    times = [t for t, _ in chunks]
    assert times[-1] - times[0] > 1.5, "too fast to say anything about redraws: use a bigger sample"
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) <= 1.0, f"the screen stood still for {max(gaps):.1f} s"
    assert re.search(r"\d+:\d\d:\d\d", text), "no elapsed clock on the display"


@pytest.mark.xfail(strict=True, reason="the migration runner reports its phases without counts "
                   "(migrations/run.py: report(progress, phase)); N/total needs done/total there")
def test_migrate_up_shows_how_far_as_a_count_of_total(big):
    chunks, code = on_a_terminal(["--workbook", str(big), "migrate", "up", "--force"], big.parent)
    text = ANSI.sub(b"", b"".join(c for _, c in chunks)).decode(errors="replace")
    assert code == 0
    assert re.search(r"\d[\d,]*/\d[\d,]* rows", text)


def test_nothing_of_the_display_when_not_a_terminal(big):
    out = subprocess.run([sys.executable, "-m", "spoolsheet", "--workbook", str(big), "migrate",
                          "up", "--force"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stderr == "" and "\x1b[" not in out.stdout


def test_the_view_draws_counted_phases_as_count_of_total_and_uncounted_ones_without_a_count():
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120, markup=False)
    with progress_view(console=terminal) as progress:
        progress(Step("lock acquired"))
        for done in range(0, 2501, 500):
            progress(Step("fingerprinting [Operaciones]", done, 2500))
    text = ANSI.sub(b"", screen.getvalue().encode()).decode()
    assert "fingerprinting [Operaciones]" in text and "2,500/2,500 rows" in text
    assert all("rows" not in line for line in text.splitlines() if "lock acquired" in line)
