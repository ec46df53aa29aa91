"""Shared fixtures: fresh workbooks on both backends, built from real files and the real fake.

Every test gets its own copy; nothing leaks between tests. Google workbooks are served by the
in-process fake (no sockets) to spoolsheet's Google backend, whose HTTP client is gspread's;
wire-level tests start the loopback server themselves. ``fake_google`` (a fresh fake per test),
``fake_workbook`` and ``fake_google_server`` come from spoolsheet's own pytest plugin, named
here too so that the suite runs even where the package's entry points are not installed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from spoolsheet.settings import Settings
from spoolsheet.testing import open_fake
from spoolsheet.workbook import Workbook, open_workbook

pytest_plugins = ["spoolsheet.testing.plugin", "pytester"]


@pytest.fixture(scope="session")
def sample_2500(tmp_path_factory) -> Path:
    """The default 2,500-spool sample, generated once per run; copy it before changing it."""
    from spoolsheet.sample import write_sample

    path = tmp_path_factory.mktemp("sample") / "Kronos.xlsx"
    write_sample(path, spools=2500, seed=7)
    return path


@pytest.fixture(scope="session")
def sample_small(tmp_path_factory) -> Path:
    """A 200-spool sample for tests that do many operations."""
    from spoolsheet.sample import write_sample

    path = tmp_path_factory.mktemp("sample") / "Kronos_small.xlsx"
    write_sample(path, spools=200, seed=3)
    return path


@pytest.fixture(params=["xlsx", "google"])
def backend_kind(request) -> str:
    return request.param


@pytest.fixture
def open_copy(tmp_path, fake_google, backend_kind) -> Callable[[Path], Workbook]:
    """``open_copy(xlsx_path, name=None)``: a fresh, private copy of that workbook on the test's
    backend (``name``: a second one beside the first).

    xlsx: the file copied into tmp_path (as ``name``.xlsx). google: the file loaded into the fake
    under id ``name`` or "live".
    """
    opened: list[Workbook] = []

    def _open(source: Path, name: str | None = None) -> Workbook:
        if backend_kind == "xlsx":
            target = tmp_path / (f"{name}.xlsx" if name else source.name)
            shutil.copy(source, target)
            wb = open_workbook(Settings(workbook=target, sheet_id=None))
        else:
            fake_google.load_xlsx(source, name or "live")
            wb = open_fake(fake_google, name or "live")
        opened.append(wb)
        return wb

    yield _open
    for wb in opened:
        wb.close()
