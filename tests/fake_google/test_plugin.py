"""The pytest plugin as another project sees it: installed fixtures, nothing imported by hand.

The consumer's tests run in a separate pytest process in a scratch folder without a conftest,
so the fixtures can only come from the installed ``pytest11`` entry point.
"""

from __future__ import annotations

import pytest

CONSUMER_TESTS = '''
import requests

from spoolsheet.workbook import ChangeSet


def test_a_workbook_on_the_fake(fake_workbook, fake_google):
    assert "Operaciones" in fake_workbook.sheet_titles()
    fake_google.reset_log()
    fake_workbook.apply(ChangeSet().put("Operaciones", 2, 1, "revisado"))
    assert fake_google.values("fake-workbook", "Operaciones")[1][0] == "revisado"
    assert fake_google.count(kind="write") == 1


def test_a_fresh_fake_each_time(fake_google):
    assert fake_google.spreadsheet_ids() == []
    fake_google.create_spreadsheet("Kronos", spreadsheet_id="k1")


def test_again_fresh(fake_google):
    assert fake_google.spreadsheet_ids() == []


def test_the_server_is_the_same_fake(fake_google_server, fake_google):
    sid = fake_google.create_spreadsheet("Kronos")
    got = requests.get(f"{fake_google_server.base_url}/v4/spreadsheets/{sid}", timeout=10)
    assert got.json()["properties"]["title"] == "Kronos"
    assert fake_google.count(kind="read") == 1
'''

OWN_WORKBOOK = '''
import openpyxl
import pytest


@pytest.fixture
def fake_workbook_xlsx(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Pedidos"
    book.active.append(["Numero", "Cliente"])
    path = tmp_path / "pedidos.xlsx"
    book.save(path)
    return path


def test_starts_from_my_file(fake_workbook):
    assert fake_workbook.sheet_titles() == ["Pedidos"]
    assert fake_workbook.read_sheet("Pedidos").rows == [["Numero", "Cliente"]]
'''


@pytest.mark.slow
def test_another_project_gets_the_fixtures_from_the_entry_point(pytester):
    pytester.makepyfile(test_consumer=CONSUMER_TESTS, test_own_workbook=OWN_WORKBOOK)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=5)


def test_a_missing_fixture_would_fail_the_consumer(pytester):
    """The check above can fail: a fixture that the plugin does not give is an error."""
    pytester.makepyfile("def test_x(fake_spreadsheet_that_does_not_exist):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
