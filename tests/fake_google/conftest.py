"""Fixtures for the fake's own tests: a fresh fake per test, the real gspread client on top."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import gspread
import pytest
import requests

from spoolsheet.testing.fake_google import IN_PROCESS_BASE, REAL_HOSTS, FakeGoogle, FakeServer

REPO = Path(__file__).resolve().parents[2]


class ManualClock:
    """A clock tests move by hand, for the per-minute quotas."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> FakeGoogle:
    return FakeGoogle(clock=clock)


@pytest.fixture
def session(fake: FakeGoogle) -> Iterator[requests.Session]:
    """A requests session answering from the fake on the real Google hosts and on IN_PROCESS_BASE."""
    with requests.Session() as s:
        yield fake.adapter().mount_on(s, *REAL_HOSTS, IN_PROCESS_BASE)


@pytest.fixture
def gc(session: requests.Session) -> gspread.Client:
    """The real gspread client, anonymous, over the in-process fake."""
    return gspread.Client(auth=None, session=session)


@pytest.fixture
def server(fake: FakeGoogle) -> Iterator[FakeServer]:
    with fake.serve() as running:
        yield running


@pytest.fixture
def cassettes() -> Path:
    """gspread's recorded cassettes: $SPOOLSHEET_CASSETTES or <repo>/../shared/gspread-cassettes."""
    path = Path(os.environ.get("SPOOLSHEET_CASSETTES", REPO.parent / "shared" / "gspread-cassettes"))
    if not path.is_dir():
        pytest.skip(f"no cassettes at {path} (set SPOOLSHEET_CASSETTES)")
    return path
