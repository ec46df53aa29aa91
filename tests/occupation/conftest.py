"""Fixtures for occupation: a private v3.0 copy of the small sample on each backend.

The workers and spools a test needs are found in the sample by what they are (an active
Armador, a spool whose ARM is pending with materials in...), never by hard-coded ids or rows.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest
from requests.adapters import BaseAdapter

from spoolsheet import migrations
from spoolsheet.audit import read_events
from spoolsheet.occupation import OccupationService, Operation, Spool, Stage, Worker
from spoolsheet.occupation.service import Operaciones
from spoolsheet.sample import write_sample
from spoolsheet.schema import METADATA, OPERACIONES
from spoolsheet.settings import Settings
from spoolsheet.workbook import Workbook, open_workbook
from spoolsheet.workbook.retry import FAST_RETRY

FAKE_ENDPOINT = "http://fake-google.test"


@dataclass
class Shop:
    """A migrated private workbook and what tests look up in it."""

    wb: Workbook
    service: OccupationService
    reopen: Callable[..., Workbook]  # another connection to the same workbook (transport=...)

    def workers(self, predicate: Callable[[Worker], bool]) -> list[Worker]:
        self.service.directory.expire()
        self.service.spools()  # one read, refreshing the directory
        return sorted((w for w in self.service.directory.workers.values() if predicate(w)),
                      key=lambda w: w.id)

    def qualified(self, role: str) -> list[Worker]:
        return self.workers(lambda w: w.activo and w.has_role(role))

    def spools(self) -> list[Spool]:
        return self.service.spools()

    def spool(self, predicate: Callable[[Spool], bool]) -> Spool:
        return next(s for s in self.spools() if predicate(s))

    def fresh_spool(self) -> Spool:
        """A free spool whose ARM is pending and whose materials are in."""
        return self.spool(lambda s: s.free and s.materiales is not None
                          and s.stage(Operation.ARM) is Stage.PENDING)

    def events(self, tag: str | None = None) -> list:
        return [e for e in read_events(self.wb.read_sheet(METADATA))
                if tag is None or e.tag_spool == tag]

    def look(self) -> Operaciones:
        """Operaciones as one plain read shows it now: ``.spool(tag)``, ``.sheet``, ``.cols``."""
        return Operaciones(self.wb.read_sheet(OPERACIONES))


def google_settings(sheet_id: str = "live", **extra) -> Settings:
    return Settings(sheet_id=sheet_id, google_endpoint=FAKE_ENDPOINT, workbook=None, **extra)


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

    def reopen(transport: BaseAdapter | None = None) -> Workbook:
        if wb.kind == "xlsx":
            other = open_workbook(Settings(workbook=wb.backend.path, sheet_id=None))
        else:
            other = open_workbook(google_settings(), transport=transport or fake_google.adapter(),
                                  retry=FAST_RETRY)
        opened.append(other)
        return other

    yield Shop(wb, OccupationService(wb), reopen)
    for other in opened:
        other.close()
