"""Fixtures for the service: a private v3.0 workbook on each backend, served by the real app on
real uvicorn on a free loopback port, and a real HTTP client with a tablet's token."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from served import TOKENS, Served, serve, settings  # tests/service/served.py

from spoolsheet import migrations
from spoolsheet.sample import write_sample
from spoolsheet.service import create_app
from spoolsheet.service.auth import Tokens
from spoolsheet.settings import Settings
from spoolsheet.testing import open_fake
from spoolsheet.workbook import Workbook, open_workbook


@pytest.fixture(scope="session")
def v3_workbook(tmp_path_factory) -> Path:
    """A 60-spool sample migrated to v3.0, once per run."""
    path = write_sample(tmp_path_factory.mktemp("service") / "Kronos.xlsx", spools=60, seed=3)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        migrations.up(wb, force=True)
    return path


@pytest.fixture
def opener(backend_kind, tmp_path, fake_google, v3_workbook) -> Callable[[], Workbook]:
    """``opener()``: a new connection to this test's private copy of the workbook."""
    if backend_kind == "xlsx":
        target = tmp_path / v3_workbook.name
        shutil.copy(v3_workbook, target)
        return lambda: open_workbook(Settings(workbook=target, sheet_id=None))
    fake_google.load_xlsx(v3_workbook, "live")
    return lambda: open_fake(fake_google, "live")


@pytest.fixture
def served(opener) -> Iterator[Served]:
    app = create_app(settings(), open_wb=opener, tokens=Tokens.parse(TOKENS, "test tokens"))
    with serve(app, opener) as running:
        yield running
