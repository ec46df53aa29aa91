"""Fixtures for occupation: a private v3.0 copy of the small sample on each backend.

The workers and spools a test needs are found in the sample by what they are (an active
Armador, a spool whose ARM is pending with materials in...), never by hard-coded ids or rows.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from shop import Shop  # tests/occupation/shop.py

from spoolsheet import migrations
from spoolsheet.occupation import OccupationService
from spoolsheet.sample import write_sample
from spoolsheet.settings import Settings
from spoolsheet.testing import fake_settings
from spoolsheet.workbook import Workbook, open_workbook
from spoolsheet.workbook.retry import FAST_RETRY


@pytest.fixture(scope="session")
def v2_sample(tmp_path_factory) -> Path:
    """A 60-spool v2.1 sample, once per run (small: the fake spends ~50 µs a cell per read)."""
    return write_sample(tmp_path_factory.mktemp("occupation") / "Kronos.xlsx", spools=60, seed=3)


@pytest.fixture(scope="session")
def v3_sample(v2_sample, tmp_path_factory) -> Path:
    """The same sample migrated to v3.0, once per run."""
    path = tmp_path_factory.mktemp("occupation") / "Kronos_v3.xlsx"
    shutil.copy(v2_sample, path)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        migrations.up(wb, force=True)
    return path


@pytest.fixture
def shop(open_copy, v3_sample, fake_google) -> Iterator[Shop]:
    wb = open_copy(v3_sample)
    opened: list[Workbook] = []

    def reopen() -> Workbook:
        if wb.kind == "xlsx":
            other = open_workbook(Settings(workbook=wb.backend.path, sheet_id=None))
        else:
            other = open_workbook(fake_settings("live"), transport=fake_google.adapter(),
                                  retry=FAST_RETRY)
        opened.append(other)
        return other

    yield Shop(wb, OccupationService(wb), reopen)
    for other in opened:
        other.close()
