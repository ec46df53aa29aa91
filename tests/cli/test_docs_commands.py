"""Every command shown in README.md and docs/*.md runs, as written, on a scratch copy.

Each ```bash block is run by bash in a scratch folder holding the sample workbooks the docs name
(``Kronos.xlsx``; ``spoolsheet-demo/Kronos_Registro_Piping.xlsx``, as the demo writes it), with
``SPOOLSHEET_WORKBOOK`` pointing at the scratch ``Kronos.xlsx`` for lines that name no workbook.
The only changes made to a line are listed below with their reason; a block fails the test if
any of its commands exits non-zero.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from spoolsheet import backup
from spoolsheet.sample import write_sample
from spoolsheet.workbook import Workbook, XlsxBackend

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: parts of a line (split at ``&&``) that are not run, and why
SKIP_PARTS = {
    r"^python3 -m venv\b": "creates the virtualenv the tests already run in",
    r"^\. \.venv/bin/activate$": "the tests already run inside the virtualenv",
    r"^pip install\b": "installs packages; the tests run on the installed checkout",
    r"^python -m pytest\b": "the test suite itself",
}
#: whole lines that are not run, and why
SKIP_LINES = {
    r"^python bench/": "bench/ scripts are on-demand measurements (minutes at these sizes)",
    r"fake_google replay \.\./shared/gspread-cassettes": "needs the recorded cassettes, "
    "not in every checkout (tests/fake_google/test_fake_replay.py runs them when present)",
}
#: changes made to a line before it runs, and why
REWRITES = [
    (r"^(spoolsheet backup restore NAME)(\s+#.*)?$", r"\1 --force",
     "restore asks on a terminal first; the test has none, so it answers with --force"),
]


def blocks() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for n, block in enumerate(re.findall(r"```bash\n(.*?)```", text, re.S), 1):
            found.append((f"{doc.relative_to(ROOT)}#{n}", block))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: a line that starts a server: run in the background, waited for until it prints its URL
SERVERS = r"fake_google serve|^spoolsheet serve\b"


def script(block: str, backup_name: str) -> str:
    """The block as a bash script: skips and rewrites applied, servers waited for and stopped.

    A fixed port in the docs (``--port 8765``) becomes a free one, everywhere in the block.
    """
    for port in set(re.findall(r"--port (\d+)", block)) - {"0"}:
        block = re.sub(rf"\b{port}\b", str(free_port()), block)
    out = ["set -e", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    for raw in block.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if any(re.search(p, line) for p in SKIP_LINES):
            continue
        for pattern, replacement, _why in REWRITES:
            line = re.sub(pattern, replacement, line)
        parts = [p.strip() for p in line.split("&&")]
        parts = [p for p in parts if not any(re.search(s, p) for s in SKIP_PARTS)]
        if not parts:
            continue
        line = " && ".join(parts).replace("NAME", backup_name)
        if re.search(SERVERS, line):
            line = line.rstrip("& ").split("#")[0].strip()
            out += [f"{line} > serve.log 2>&1 &",
                    "for _ in $(seq 600); do grep -q http serve.log 2>/dev/null && break; "
                    "sleep 0.1; done",
                    "kill -0 $! && grep -q http serve.log || { cat serve.log >&2; exit 1; }"]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> tuple[Path, str]:
    """A folder with the workbooks the docs name, and one backup of Kronos.xlsx (for NAME)."""
    folder = tmp_path_factory.mktemp("docs")
    write_sample(folder / "Kronos.xlsx", spools=200, seed=7)
    (folder / "spoolsheet-demo").mkdir()
    shutil.copy(folder / "Kronos.xlsx", folder / "spoolsheet-demo" / "Kronos_Registro_Piping.xlsx")
    with Workbook(XlsxBackend(folder / "Kronos.xlsx")) as wb:
        made = backup.create(wb, verify=True)
    return folder, made.name


@pytest.mark.parametrize(("where", "block"), blocks(), ids=[w for w, _ in blocks()])
def test_the_block_runs_as_written(where, block, scratch):
    folder, backup_name = scratch
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "SPOOLSHEET_WORKBOOK": str(folder / "Kronos.xlsx"), "PYTHONUNBUFFERED": "1"}
    for name in ("GOOGLE_SHEET_ID", "BACKUP_FOLDER_ID", "MIGRATION_DRY_RUN",
                 "SPOOLSHEET_GOOGLE_ENDPOINT"):
        env.pop(name, None)
    text = script(block, backup_name)
    done = subprocess.run(["bash", "-c", text], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, f"{where} failed:\n{text}\n--- stdout\n{done.stdout}\n" \
                                 f"--- stderr\n{done.stderr}"


def test_the_skips_and_rewrites_still_match_something():
    lines = [line.strip() for _, block in blocks() for line in block.splitlines()]
    parts = [p.strip() for line in lines for p in line.split("&&")]
    for pattern in SKIP_PARTS:
        assert any(re.search(pattern, p) for p in parts), f"stale skip: {pattern}"
    for pattern in SKIP_LINES:
        assert any(re.search(pattern, line) for line in lines), f"stale skip: {pattern}"
    for pattern, _, _ in REWRITES:
        assert any(re.search(pattern, line) for line in lines), f"stale rewrite: {pattern}"
