"""The fake against 110 recordings of real Google traffic (gspread's own test cassettes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spoolsheet.testing.fake_google.cli import main
from spoolsheet.testing.fake_google.replay import Mismatch, compare, replay_dir, summary

DOCS = Path(__file__).resolve().parents[2] / "docs" / "fake_google.md"


def test_no_cassette_fails(cassettes):
    outcomes = list(replay_dir(cassettes))
    failures = [o.line() for o in outcomes if o.status == "FAIL"]
    assert failures == []
    assert sum(o.status == "PASS" for o in outcomes) >= 98
    assert "PASS WorksheetTest.test_format" in [o.line() for o in outcomes]  # formats with *Style twins
    documented = DOCS.read_text()
    for skipped in (o for o in outcomes if o.status == "SKIP"):
        assert re.search(
            rf"`{re.escape(skipped.name)}`.*{re.escape(skipped.detail.removeprefix('needs '))}", documented
        ), f"docs/fake_google.md does not list {skipped.line()}"


def test_cli_prints_one_line_per_cassette_and_a_summary(cassettes, tmp_path, capsys):
    for name in ("WorksheetTest.test_update_and_get", "ClientTest.test_copy", "WorksheetTest.test_sort"):
        (tmp_path / f"{name}.json").symlink_to(cassettes / f"{name}.json")
    assert main(["replay", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "PASS ClientTest.test_copy",
        "SKIP WorksheetTest.test_sort: needs batchUpdate sortRange",
        "PASS WorksheetTest.test_update_and_get",
        "2 passed, 0 failed, 1 skipped",
    ]


def test_a_difference_fails_the_cassette(tmp_path, capsys):
    recording = (
        '{"interactions": [{"request": {"method": "GET", "uri": "https://sheets.googleapis.com/v4/spreadsheets/x",'
        ' "body": null}, "response": {"status": {"code": 200}, "body": {"string": "{}"}}}]}'
    )
    (tmp_path / "Broken.json").write_text(recording)
    assert main(["replay", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAIL Broken: #1 GET /v4/spreadsheets/x: status 404, recorded 200")
    assert out[-1] == "0 passed, 1 failed"


def test_compare_reports_the_first_difference():
    compare({"a": [1, {"b": 2.0}], "createdTime": "x"}, {"a": [1, {"b": 2}], "createdTime": "y"})
    with pytest.raises(Mismatch, match=r"\.a\[1\]\.b is 3, recorded 2"):
        compare({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]})
    assert summary([]) == "0 passed, 0 failed"
