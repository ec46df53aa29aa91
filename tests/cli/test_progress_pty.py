"""Long work on a real terminal: the display moves at least once a second and counts how far;
a pipe gets none of it.

The command runs in a child process whose stdin, stdout and stderr are a pseudo-terminal
(``os.openpty``), as in an admin's terminal; every chunk it draws is timed on arrival. The run
is made long on purpose, whatever the machine's speed: it works on Google (our fake over real
HTTP) with every request delayed, so for most of it the library is silently waiting and only
the display's own clock can move the screen. Planning and checking are work, not waiting: a
shop's revision whose backfill takes a few milliseconds a row makes them last seconds on a
small workbook, and their count must move all along.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import select
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from rich.console import Console

from spoolsheet.cli.progress import progress_view
from spoolsheet.progress import Step

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
#: Seconds each request to the fake waits: a dozen requests make a run of several seconds.
LATENCY = 0.4
#: Seconds the slow revision's backfill takes a row: ~1.5 s a pass over the small sample's
#: spools; `up` makes three (its pre-flight plan, its plan on v3.0's result, its check).
PER_ROW = 0.0075
SLOW_REVISION = f"""
import time

id = "v3_1_slow"
version = "v3.1"
revises = "v3.0"
description = "Lento: a backfill that takes {PER_ROW} s a row"


def slow(row):
    time.sleep({PER_ROW})
    return 1


def upgrade(op):
    op.add_column("Operaciones", "Lento", "integer", backfill=slow)
"""
#: The running line of a redraw: its phase (up to the bar) and its count, if it shows one.
RUNNING = re.compile(r"^\W*(?P<phase>.+?)\s+[━╸╺]+\s*(?P<count>[\d,]+/[\d,]+ \w+)?")


def on_a_terminal(args: list[str], cwd: Path, env: dict[str, str], *,
                  stdout: int | None = None) -> tuple[list[tuple[float, bytes]], int, str]:
    """Run ``spoolsheet ARGS`` on a pseudo-terminal; the timed chunks it wrote, its exit code, and
    its stdout when that is ``subprocess.PIPE`` instead of the terminal. Its cache folder (the
    answer sizes a terminal run keeps) is ``cwd/cache``."""
    master, slave = os.openpty()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "SPOOLSHEET_"))},
           "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40",
           "XDG_CACHE_HOME": str(cwd / "cache"), **env}
    env.pop("NO_COLOR", None)
    child = subprocess.Popen([sys.executable, "-m", "spoolsheet", *args], cwd=cwd, env=env,
                             stdin=slave, stdout=slave if stdout is None else stdout,
                             stderr=slave, close_fds=True)
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
    code = child.wait(timeout=10)
    out = child.stdout.read().decode() if child.stdout is not None else ""
    if child.stdout is not None:
        child.stdout.close()
    return chunks, code, out


@pytest.fixture(scope="module")
def recording(tmp_path_factory, sample_small) -> tuple[list[tuple[float, bytes]], int, str]:
    """`migrate up` on a terminal against a slow Google: the timed chunks, exit code, and text.

    The fake serves from its own process, so that nothing it does delays this one's reading.
    """
    fake = subprocess.Popen([sys.executable, "-m", "spoolsheet.testing.fake_google", "serve",
                             "--load", str(sample_small), "--id", "live"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert fake.stdout is not None
        url = fake.stdout.readline().strip()
        slow = urllib.request.Request(f"{url}/_fake/latency", method="POST",
                                      data=json.dumps({"seconds": LATENCY}).encode(),
                                      headers={"Content-Type": "application/json"})
        urllib.request.urlopen(slow, timeout=10).close()
        chunks, code, _ = on_a_terminal(["--sheet-id", "live", "migrate", "up", "--force"],
                                     tmp_path_factory.mktemp("pty"),
                                     {"SPOOLSHEET_GOOGLE_ENDPOINT": url})
    finally:
        fake.terminate()
        fake.wait(10)
        if fake.stdout is not None:
            fake.stdout.close()
    text = ANSI.sub(b"", b"".join(c for _, c in chunks)).decode(errors="replace")
    return chunks, code, text


def test_migrate_up_redraws_its_progress_at_least_once_a_second(recording):
    chunks, code, text = recording
    assert code == 0, text
    assert "applied and verified: v3_0_occupation" in text
    times = [t for t, _ in chunks]
    assert times[-1] - times[0] > 10 * LATENCY, "the run was not slowed: nothing to learn"
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) <= 1.0, f"the screen stood still for {max(gaps):.1f} s"
    assert re.search(r"\d+:\d\d:\d\d", text), "no elapsed clock on the display"


def finished(text: str, phase: str, count: str) -> list[tuple[str, ...]]:
    """The ``count`` groups on the lines a finished ``phase`` left above the live one (no
    spinner: they are not redrawn). Not the last redraw's: the refresh thread may render a
    frame just before a phase ends and write it just after (the next redraw replaces it)."""
    return re.findall(rf"(?:^|\r) +{phase}[^\r\n]*?{count}", text, re.M)


def test_migrate_up_shows_how_far_as_a_count_of_total(recording):
    _, code, text = recording
    assert code == 0, text
    for phase in ("fingerprinting", "checking", "verifying v3_0_occupation"):  # backup's and run's
        ended = finished(text, rf"{phase}\b", r"(\d[\d,]*)/(\d[\d,]*) rows")
        assert ended, f"no rows-of-total count for {phase!r}"
        done, total = ended[-1]
        assert done == total and int(total.replace(",", "")) > 200, (phase, ended[-1])
    assert "ETA" in text


@pytest.fixture(scope="module")
def slow_plan(tmp_path_factory, sample_small) -> tuple[list[tuple[float, str]], int, str]:
    """`migrate up` on a terminal, on .xlsx, with the slow revision after the package's own: the
    running line of each redraw as it arrived, the exit code and the whole text."""
    folder = tmp_path_factory.mktemp("slow")
    (folder / "revisions").mkdir()
    (folder / "revisions" / "v3_1_slow.py").write_text(SLOW_REVISION)
    path = folder / "Kronos.xlsx"
    path.write_bytes(sample_small.read_bytes())
    chunks, code, _ = on_a_terminal(["--workbook", str(path), "migrate", "up", "--force",
                                     "--migrations", str(folder / "revisions")], folder, {})
    lines = []
    for t, data in chunks:
        drawn = [ln for ln in re.split(r"[\r\n]", ANSI.sub(b"", data).decode(errors="replace"))
                 if ln.strip()]
        if drawn:
            lines.append((t, drawn[-1]))
    return lines, code, ANSI.sub(b"", b"".join(c for _, c in chunks)).decode(errors="replace")


def test_planning_and_checking_show_a_count_that_moves_at_least_once_a_second(slow_plan):
    lines, code, text = slow_plan
    assert code == 0, text
    assert re.search(r"applied and verified: v3_0_occupation, v3_1_slow", text), text[-500:]
    runs: list[list[tuple[float, str | None, str]]] = []  # redraws in a row of one phase
    phase = None
    for t, line in lines:
        m = RUNNING.match(line)
        if m is None or not m["phase"].startswith(("planning", "checking")):
            phase = None
            continue
        if m["phase"] != phase:
            runs.append([])
            phase = m["phase"]
        runs[-1].append((t, m["count"], m["phase"]))
    long = [r for r in runs if r[-1][0] - r[0][0] >= 1.0]
    assert sum(r[-1][0] - r[0][0] for r in long) >= 4, "planning and checking were not slowed"
    for run in long:
        phase = run[0][2]
        moved = [run[0][0]] + [b[0] for a, b in itertools.pairwise(run) if b[1] != a[1]]
        gaps = [b - a for a, b in itertools.pairwise([*moved, run[-1][0]])]
        assert run[-1][1] is not None and max(gaps) <= 1.0, (
            f"{phase}: {run[-1][1] or 'no count'} stood still {max(gaps):.1f} s")


def test_the_write_phase_shows_bytes_of_total_on_google_and_on_xlsx(recording, slow_plan):
    for text in (recording[2], slow_plan[2]):
        sizes = finished(text, r"writing v3_0_occupation \(one atomic write\)",
                         r"(\d+(?:\.\d+)?) (bytes|kB|MB)/(\d+(?:\.\d+)?) (bytes|kB|MB)")
        assert sizes, f"no bytes of total while writing: {text[-800:]!r}"
        done, unit, total, of = sizes[-1]
        assert (done, unit) == (total, of) and float(total) > 0, sizes[-1]


def test_nothing_of_the_display_when_not_a_terminal(tmp_path, sample_small):
    path = tmp_path / "Kronos.xlsx"
    path.write_bytes(sample_small.read_bytes())
    out = subprocess.run([sys.executable, "-m", "spoolsheet", "--workbook", str(path), "migrate",
                          "up", "--force"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stderr == "" and "\x1b[" not in out.stdout
    assert "applied and verified: v3_0_occupation" in out.stdout


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


def test_the_view_marks_an_estimated_total_and_drops_it_once_passed():
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120, markup=False)
    with progress_view(console=terminal) as progress:
        progress(Step("reading the workbook", 2_000_000, 5_000_000, "bytes", estimated=True))
        progress.bar.refresh()
        estimated = ANSI.sub(b"", screen.getvalue().encode()).decode()
        progress(Step("reading the workbook", 6_000_000, None, "bytes"))
        progress.bar.refresh()
    text = ANSI.sub(b"", screen.getvalue().encode()).decode()
    assert "2.0 MB/≈5.0 MB" in estimated
    after = text[len(estimated):]
    assert "6.0 MB" in after and "≈" not in after and "/5.0 MB" not in after
