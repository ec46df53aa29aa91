"""The fake's command line as the README shows it, and its one-line refusals."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest

from spoolsheet.demo import DEMO_WORKBOOK
from spoolsheet.sample import write_sample
from spoolsheet.testing.fake_google.cli import main

from .conftest import REPO


def readme_example() -> list[str]:
    """The command lines of the README's fake-server example, in order."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Testing against Google without Google", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the README's fake section has no bash example"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_example_loads_the_file_the_demo_writes():
    serve = shlex.split(readme_example()[0])
    assert serve[serve.index("--load") + 1] == f"spoolsheet-demo/{DEMO_WORKBOOK}"


@pytest.mark.slow
def test_the_readme_example_runs_as_written(tmp_path):
    """Both lines, on a scratch folder holding a (small) demo workbook; only the port is free."""
    serve_line, status_line = readme_example()
    (tmp_path / "spoolsheet-demo").mkdir()
    write_sample(tmp_path / "spoolsheet-demo" / DEMO_WORKBOOK, spools=30, seed=1)
    serve = shlex.split(serve_line.removesuffix("&").replace("--port 8765", "--port 0"))
    assert serve[:2] == ["python", "-m"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "SPOOLSHEET_"))}
    process = subprocess.Popen([sys.executable, *serve[1:]], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, text=True)
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assignment, *command = shlex.split(status_line.replace("http://127.0.0.1:8765", base_url))
        name, value = assignment.split("=", 1)
        assert command[0] == "spoolsheet"
        result = subprocess.run([sys.executable, "-m", "spoolsheet", *command[1:]], cwd=tmp_path,
                                env=env | {name: value}, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "2.1" in result.stdout
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        process.stdout.close()


def test_a_missing_file_is_one_line(tmp_path, capsys):
    assert main(["serve", "--load", str(tmp_path / "nope.xlsx"), "--id", "demo"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --load {tmp_path / 'nope.xlsx'}: no such file"]


def test_a_file_that_is_not_a_workbook_is_one_line(tmp_path, capsys):
    bad = tmp_path / "notes.xlsx"
    bad.write_bytes(b"just some text, not a zip")
    assert main(["serve", "--load", str(bad), "--id", "demo"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot read it as an .xlsx workbook" in err[0]


def test_the_control_endpoint_refuses_a_missing_file_with_a_400(fake, session, tmp_path):
    answer = session.post("http://fake-google.test/_fake/load",
                          json={"path": str(tmp_path / "nope.xlsx"), "id": "demo"})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == f"Cannot load {tmp_path / 'nope.xlsx'}: no such file."
    assert fake.spreadsheet_ids() == []
