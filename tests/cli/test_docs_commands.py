"""Every command line shown in README.md and docs/*.md runs, as written, on a scratch copy.

Every fenced block carries a language. A shell block (``SHELLS``) is run by bash, each in its own
copy of a scratch folder holding the workbooks the docs name: ``Kronos.xlsx`` (the sample at
60 spools, migrated to v3.0 as a shop runs it, with one backup for ``NAME``: every command
the docs show runs at any size, and the bench/ scripts time the large ones) and
``spoolsheet-demo/Kronos_Registro_Piping.xlsx`` (as ``spoolsheet demo`` writes it), with
``SPOOLSHEET_WORKBOOK`` pointing at the scratch ``Kronos.xlsx`` for lines that name no workbook.
In a ``console`` block only the ``$ `` lines run (the rest is their output); a command followed by
``$ echo $?`` must exit with the code shown, every other one with 0. A server (``SERVERS``) runs
in the background until it prints its URL, and is stopped at the end of its block. The only
changes made to a line are listed below with their reason. Any other language is not run, and
must be one of ``NOT_RUN``, so that a block is never left out without saying so.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from spoolsheet import backup, migrations
from spoolsheet.sample import write_sample
from spoolsheet.workbook import Workbook, XlsxBackend

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

SHELLS = {"bash", "sh", "shell", "console"}
#: languages of the blocks that are not run, and what such blocks hold
NOT_RUN = {
    "text": "output, `--help` pages and file trees: nothing to run",
    "python": "library examples (their calls are the CLI's, whose lines are run)",
    "nginx": "a reverse-proxy configuration",
}

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
    (r"^curl ", "curl --fail-with-body --silent --show-error ",
     "curl exits 0 on an HTTP error; the test wants the answer the docs mean, a success"),
]

#: a line that starts a server: run in the background, waited for until it prints its URL
SERVERS = r"fake_google serve|^spoolsheet serve\b"

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)


def fenced() -> list[tuple[str, str, str]]:
    """(where, language, text) of every fenced block of the docs."""
    found = []
    for doc in DOCS:
        for n, match in enumerate(FENCE.finditer(doc.read_text(encoding="utf-8")), 1):
            found.append((f"{doc.relative_to(ROOT)}#{n}", match[1].strip(), match[2]))
    return found


def blocks() -> list[tuple[str, str, str]]:
    return [block for block in fenced() if block[1] in SHELLS]


def commands(language: str, text: str) -> list[tuple[str, int]]:
    """The block's command lines, continuations joined, with the exit code each must give."""
    lines = re.sub(r"\\\n\s*(> )?", " ", text).splitlines()
    if language != "console":
        return [(line.strip(), 0) for line in lines
                if line.strip() and not line.strip().startswith("#")]
    out: list[tuple[str, int]] = []
    for i, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        command = line[2:].strip()
        if command == "echo $?":
            out[-1] = (out[-1][0], int(lines[i + 1]))
        else:
            out.append((command, 0))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def script(language: str, text: str, backup_name: str) -> list[str]:
    """The block as bash lines: skips and rewrites applied, servers waited for and stopped.

    A fixed port in the docs (``--port 8765``) becomes a free one, everywhere in the block.
    """
    for port in set(re.findall(r"--port (\d+)", text)) - {"0"}:
        text = re.sub(rf"\b{port}\b", str(free_port()), text)
    out = []
    for line, code in commands(language, text):
        if any(re.search(p, line) for p in SKIP_LINES):
            continue
        for pattern, replacement, _why in REWRITES:
            line = re.sub(pattern, replacement, line)
        parts = [p.strip() for p in line.split("&&")]
        parts = [p for p in parts if not any(re.search(s, p) for s in SKIP_PARTS)]
        if not parts:
            continue
        line = re.sub(r"\bNAME\b", backup_name, " && ".join(parts))
        if re.search(SERVERS, line):
            log = f"server-{len(out)}.log"
            line = re.sub(r"\s*#.*$", "", line).rstrip("& ")
            out += [f"{line} > {log} 2>&1 &",
                    f"for _ in $(seq 600); do grep -q http {log} && break; sleep 0.1; done",
                    f"kill -0 $! && grep -q http {log} || {{ cat {log} >&2; exit 1; }}"]
        else:
            shown = shlex.quote(line)
            out.append(f"set +e; {line}\nrc=$?; set -e; [ $rc = {code} ] || "
                       f"{{ echo >&2 \"exit $rc, not {code}: \"{shown}; exit 1; }}")
    return out


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """The workbooks the docs name (each block gets a copy)."""
    folder = tmp_path_factory.mktemp("docs")
    write_sample(folder / "Kronos.xlsx", spools=60)
    (folder / "spoolsheet-demo").mkdir()
    shutil.copy(folder / "Kronos.xlsx", folder / "spoolsheet-demo" / "Kronos_Registro_Piping.xlsx")
    with Workbook(XlsxBackend(folder / "Kronos.xlsx")) as wb:
        migrations.up(wb, backups=backup, force=True)
    return folder


@pytest.mark.parametrize(("where", "language", "text"), blocks(), ids=[w for w, _, _ in blocks()])
def test_the_block_runs_as_written(where, language, text, scratch, tmp_path):
    folder = tmp_path / "scratch"
    shutil.copytree(scratch, folder)
    name = ""
    if re.search(r"\bNAME\b", text):  # a backup of this copy (a backup names its source)
        with Workbook(XlsxBackend(folder / "Kronos.xlsx")) as wb:
            name = backup.create(wb, verify=True).name
    lines = script(language, text, name)
    if not lines:
        parts = [p.strip() for line, _ in commands(language, text) for p in line.split("&&")]
        why = {reason for pattern, reason in {**SKIP_LINES, **SKIP_PARTS}.items()
               if any(re.search(pattern, p) for p in parts)}
        pytest.skip(f"{where}: every line is skipped: {'; '.join(sorted(why))}")
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "SPOOLSHEET_WORKBOOK": str(folder / "Kronos.xlsx"), "PYTHONUNBUFFERED": "1"}
    for name in ("GOOGLE_SHEET_ID", "BACKUP_FOLDER_ID", "MIGRATION_DRY_RUN",
                 "SPOOLSHEET_GOOGLE_ENDPOINT", "SPOOLSHEET_API_TOKENS",
                 "SPOOLSHEET_API_TOKENS_FILE"):
        env.pop(name, None)
    stop = "trap 'rc=$?; pids=$(jobs -p); [ -z \"$pids\" ] || kill $pids; wait; exit $rc' EXIT"
    text = "\n".join(["set -e", stop, *lines]) + "\n"
    done = subprocess.run(["bash", "-c", text], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, f"{where} failed:\n{text}\n--- stdout\n{done.stdout}\n" \
                                 f"--- stderr\n{done.stderr}"


def test_every_fenced_block_is_a_shell_that_runs_or_says_why_not():
    found = fenced()
    opened = sum(len(re.findall(r"^[ \t]*(```|~~~)", doc.read_text(encoding="utf-8"), re.M))
                 for doc in DOCS)
    assert opened == 2 * len(found), "a fence this test does not read (indented, ~~~, unclosed)"
    unknown = [(where, language) for where, language, _ in found
               if language not in SHELLS | set(NOT_RUN)]
    assert not unknown, f"blocks that are neither run nor labelled as not run: {unknown}"
    assert {language for _, language, _ in found} >= {"sh", "console"}  # the parser reads them
    silent = [where for where, language, text in found if language == "console"
              and not commands(language, text)]
    assert not silent, f"console blocks without a `$ ` command line: {silent}"


def test_a_console_block_checks_the_exit_code_it_shows():
    block = "$ spoolsheet tomar X\nerror: occupied\n$ echo $?\n3\n$ spoolsheet spools\n"
    assert commands("console", block) == [("spoolsheet tomar X", 3), ("spoolsheet spools", 0)]
    lines = script("console", "$ false\n$ echo $?\n1\n$ true\n", "b")
    assert subprocess.run(["bash", "-c", "set -e\n" + "\n".join(lines)]).returncode == 0
    lines = script("console", "$ false\n$ echo $?\n2\n", "b")
    assert subprocess.run(["bash", "-c", "set -e\n" + "\n".join(lines)],
                          capture_output=True).returncode == 1


def test_the_skips_and_rewrites_still_match_something():
    lines = [line for _, language, text in blocks() for line, _ in commands(language, text)]
    parts = [p.strip() for line in lines for p in line.split("&&")]
    for pattern in SKIP_PARTS:
        assert any(re.search(pattern, p) for p in parts), f"stale skip: {pattern}"
    for pattern in SKIP_LINES:
        assert any(re.search(pattern, line) for line in lines), f"stale skip: {pattern}"
    for pattern, _, _ in REWRITES:
        assert any(re.search(pattern, line) for line in lines), f"stale rewrite: {pattern}"
