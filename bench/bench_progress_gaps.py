"""The longest stretch with no change on screen during `migrate up` on .xlsx, as an admin sees it.

Run on demand:  python bench/bench_progress_gaps.py --spools 12000 [--keep DIR] [--code SRC] [--counts]
The sample workbook is made once per size (kept in ``--keep``, default the temp folder) and
copied for each run. `spoolsheet migrate up --force` runs as a child on a pseudo-terminal
(``os.openpty``), and every redraw it writes is timed on arrival; a redraw whose text (escape
codes removed) equals the one before changed nothing on screen (Rich redraws four times a second
whether or not anything moved: a finished phase's line has no spinner and a frozen clock). It
prints the run's wall time, the longest stretches without a change and the phase shown on each
side, and the same wall time as a ratio to the stretch, so a busy machine shows in both alike.
``--code`` runs another checkout's ``src`` (e.g. main's) for a before/after on the same file;
``--counts`` times the stretches in which no count moved (the clocks and rates left out).
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
#: How Rich starts each redraw of its live display (back to the first line, erase it).
FRAME = b"\r\x1b[2K"
SRC = Path(__file__).resolve().parents[1] / "src"


def sample(spools: int, keep: Path, src: Path) -> Path:
    path = keep / f"gaps_{spools}.xlsx"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "spoolsheet", "sample", str(path), "--spools",
                        str(spools)], check=True, env={**os.environ, "PYTHONPATH": str(src)},
                       stdout=subprocess.DEVNULL)
    return path


def frames(workbook: Path, src: Path) -> tuple[list[tuple[float, str]], int]:
    """Run `migrate up` on a terminal: (time it began, screen text) of each redraw, exit code."""
    master, slave = os.openpty()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "SPOOLSHEET_"))},
           "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "60", "PYTHONPATH": str(src)}
    env.pop("NO_COLOR", None)
    child = subprocess.Popen([sys.executable, "-m", "spoolsheet", "--workbook", str(workbook),
                              "migrate", "up", "--force"], cwd=workbook.parent, env=env,
                             stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out: list[tuple[float, str]] = []
    pending, began = b"", time.monotonic()  # the redraw being received, and when it began

    def drawn(frame: bytes, at: float) -> None:
        out.append((at, ANSI.sub(b"", frame).decode(errors="replace")))

    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 1 << 20)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            now = time.monotonic()
            *done, pending = (pending + data).split(FRAME)
            for frame in done:
                drawn(frame, began)
                began = now
        elif child.poll() is not None:
            break
    drawn(pending, began)
    os.close(master)
    return out, child.wait(timeout=30)


def cpu() -> float:
    """CPU seconds of the finished children so far (steadier than wall time on a busy machine)."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def phase_of(text: str) -> str:
    """The last line of a redraw that names a phase (the one running), shortened."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return re.sub(r"\s+", " ", lines[-1])[:110] if lines else "(blank)"


#: What moves on screen by itself: the spinner, the clocks, a rate (bytes so far / elapsed).
CLOCKS = re.compile(r"[⠀-⣿]|-:--:--|\d+:\d\d:\d\d|\d+(?:\.\d+)? \w*B/s")


def silences(drawn: list[tuple[float, str]], counts: bool = False) -> list[tuple[float, str, str]]:
    """(seconds, shown before, shown after) of each stretch between two redraws that changed
    (``counts``: whose counts changed, what moves by itself left out)."""
    def seen(text: str) -> str:
        return CLOCKS.sub("", text) if counts else text

    changes = [drawn[0]]
    for t, text in drawn[1:]:
        if seen(text) != seen(changes[-1][1]):
            changes.append((t, text))
    return [(b[0] - a[0], phase_of(a[1]), phase_of(b[1])) for a, b in itertools.pairwise(changes)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spools", type=int, default=12000)
    ap.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--code", type=Path, default=SRC, help="the src folder to run (default ours)")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--counts", action="store_true",
                    help="a change is a count that moved (spinner, clocks and rates left out)")
    args = ap.parse_args()
    args.code = args.code.resolve()  # the child runs in a temp folder
    made = sample(args.spools, args.keep, args.code)
    with tempfile.TemporaryDirectory() as tmp:
        workbook = Path(tmp) / "Kronos.xlsx"
        shutil.copy(made, workbook)
        t0, c0 = time.monotonic(), cpu()
        drawn, code = frames(workbook, args.code)
        wall, spent = time.monotonic() - t0, cpu() - c0
    if code != 0:
        sys.exit(f"migrate up exited {code}: {drawn[-1][1] if drawn else ''}")
    gaps = sorted(silences(drawn, args.counts), reverse=True)
    print(f"migrate up on .xlsx, {args.spools:,} spools, code {args.code}: {wall:.1f} s ({spent:.1f} s CPU), "
          f"{len(drawn)} redraws; load average {os.getloadavg()[0]:.2f}")
    longest = gaps[0][0] if gaps else 0.0
    print(f"longest stretch with no {'count moving' if args.counts else 'change on screen'}: "
          f"{longest:.2f} s "
          f"(run / stretch = {wall / max(longest, 1e-9):.0f})")
    for seconds, before, after in gaps[:args.top]:
        print(f"  {seconds:6.2f} s  after: {before}\n           until: {after}")


if __name__ == "__main__":
    main()
