"""What a cheap command costs before any work: start-up against ``python -c pass``, same run.

Run on demand:  python bench/bench_startup.py [--repeat 5]

Makes the .xlsx demo workbook with ``spoolsheet demo`` in a scratch folder, then runs, as their own
processes and interleaved so that the machine's load falls on all alike: ``python -c pass`` (the
floor), ``spoolsheet --help``, ``spoolsheet workers --json`` and ``spoolsheet migrate status`` on
that workbook. Each line: best wall and CPU seconds of the runs, ratios to the floor, the time
``-X importtime`` counts for imports, and which heavy libraries the command imported.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import floors  # bench/floors.py

HEAVY = ("gspread", "google.auth", "requests", "openpyxl", "fastapi", "uvicorn", "starlette",
         "pydantic_settings", "pydantic", "rich.progress", "rich.table", "lxml", "python_calamine")


def imports(args: list[str], cwd: Path) -> tuple[float, list[str]]:
    """Seconds ``-X importtime`` counts for the top-level imports, and the heavy ones made."""
    out = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                         text=True, cwd=cwd, check=True)
    rows = [line.split("|") for line in out.stderr.splitlines() if line.startswith("import time:")]
    names = {r[2].strip() for r in rows[1:]}
    top = sum(int(r[1]) for r in rows[1:] if not r[2].startswith("  "))
    return top / 1e6, [h for h in HEAVY if h in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    floors.byte_compile()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        subprocess.run([sys.executable, "-m", "spoolsheet", "demo", "--dir", str(folder / "demo")],
                       check=True, capture_output=True)
        book = str(next((folder / "demo").glob("*.xlsx")))
        commands = {"python -c pass": ["-c", "pass"],
                    "spoolsheet --help": ["-m", "spoolsheet", "--help"],
                    "spoolsheet workers --json": ["-m", "spoolsheet", "--workbook", book,
                                                  "workers", "--json"],
                    "spoolsheet migrate status": ["-m", "spoolsheet", "--workbook", book,
                                                  "migrate", "status"]}
        env = {**os.environ, "COLUMNS": "120"}
        costs: dict[str, list[floors.Cost]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, argv in commands.items():
                done = floors.run_process([sys.executable, *argv], env=env, cwd=folder)
                if done.returncode != 0:
                    raise SystemExit(f"{name} failed ({done.returncode}):\n{done.stderr}")
                costs[name].append(done.cost)
        best = {n: floors.Cost(min(c.wall for c in cs), min(c.cpu for c in cs))
                for n, cs in costs.items()}
        floor = best["python -c pass"]
        print(f"load average {os.getloadavg()[0]:.1f}; best of {args.repeat} interleaved runs")
        print(f"  {'command':<28}{'wall':>8}{'ratio':>10}{'cpu':>8}{'ratio':>10}{'imports':>9}"
              "  heavy imports")
        for name, argv in commands.items():
            seconds, heavy = imports(argv, folder)
            cost = best[name]
            print(f"  {name:<28}{cost.wall:7.3f}s{floors.ratio(cost.wall, floor.wall):>10}"
                  f"{cost.cpu:7.3f}s{floors.ratio(cost.cpu, floor.cpu):>10}{seconds:8.3f}s"
                  f"  {', '.join(heavy) or '-'}")


if __name__ == "__main__":
    main()
