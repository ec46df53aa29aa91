"""Backup fixtures: a live workbook on each backend and the folder its backups go to."""

from __future__ import annotations

from pathlib import Path

import pytest

from spoolsheet.sample import write_sample
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.workbook import Workbook


@pytest.fixture(scope="session")
def sample_tiny(tmp_path_factory) -> Path:
    """A 12-spool sample (every sheet, a short audit log): backups are about sheets, not rows."""
    path = tmp_path_factory.mktemp("sample") / "Kronos_tiny.xlsx"
    write_sample(path, spools=12, seed=5)
    return path


@pytest.fixture
def live(open_copy, sample_tiny) -> Workbook:
    return open_copy(sample_tiny)


@pytest.fixture
def folder(backend_kind, fake_google: FakeGoogle) -> str | None:
    """Google: a folder a person owns (the service account may store there); xlsx: the default."""
    return fake_google.create_folder("spoolsheet backups") if backend_kind == "google" else None
