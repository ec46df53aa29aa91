"""pytest fixtures for projects that embed spoolsheet: a fake Google, a workbook on it, a server.

Installed as a pytest plugin (entry point ``pytest11``), so the fixtures are there as soon as
spoolsheet is installed; nothing to import. Every test gets fresh state. See docs/fake_google.md.

* ``fake_google``: a new, empty ``FakeGoogle`` (quotas, faults and the request log at hand).
* ``fake_workbook``: a ``Workbook`` on a spreadsheet of ``fake_google`` loaded from
  ``fake_workbook_xlsx`` (by default a small v2.1 sample of the shop's workbook), opened through
  spoolsheet's Google backend over the in-process adapter (no sockets), millisecond retries.
* ``fake_google_server``: ``fake_google`` served on a loopback port (``.base_url``), for code
  that makes its own HTTP connections, in this process or another.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..workbook import Workbook
from . import open_fake
from .fake_google import FakeGoogle, FakeServer

#: The id ``fake_workbook``'s spreadsheet has on the fake.
FAKE_WORKBOOK_ID = "fake-workbook"


@pytest.fixture
def fake_google() -> FakeGoogle:
    """A fresh in-memory Google Sheets v4 / Drive v3."""
    return FakeGoogle()


@pytest.fixture
def fake_workbook_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .xlsx that ``fake_workbook`` starts from; override it to start from your own file."""
    from ..sample import write_sample

    return write_sample(tmp_path_factory.mktemp("fake_workbook") / "Kronos.xlsx", spools=20, seed=1)


@pytest.fixture
def fake_workbook(fake_google: FakeGoogle, fake_workbook_xlsx: Path) -> Iterator[Workbook]:
    """A Workbook on ``fake_google``'s spreadsheet ``FAKE_WORKBOOK_ID``, closed afterwards."""
    fake_google.load_xlsx(fake_workbook_xlsx, FAKE_WORKBOOK_ID)
    with open_fake(fake_google, FAKE_WORKBOOK_ID) as workbook:
        yield workbook


@pytest.fixture
def fake_google_server(fake_google: FakeGoogle) -> Iterator[FakeServer]:
    """``fake_google`` on a loopback port: point ``SPOOLSHEET_GOOGLE_ENDPOINT`` at ``.base_url``."""
    with fake_google.serve() as server:
        yield server
