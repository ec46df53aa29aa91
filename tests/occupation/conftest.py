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

from spoolsheet.audit import read_events
from spoolsheet.migrations.ledger import LEDGER_HEADERS, LEDGER_SHEET
from spoolsheet.occupation import OccupationService, Operation, Spool, Stage, Worker
from spoolsheet.occupation.service import Operaciones
from spoolsheet.sample import write_sample
from spoolsheet.schema import METADATA, OPERACIONES, TAG_COLUMN, V3_COLUMNS
from spoolsheet.values import is_blank
from spoolsheet.settings import Settings
from spoolsheet.workbook import ChangeSet, Workbook, columns, open_workbook
from spoolsheet.workbook.retry import FAST_RETRY

FAKE_ENDPOINT = "http://fake-google.test"


def migrate_to_v3(wb: Workbook) -> None:
    """Stand-in for ``spoolsheet.migrations.up`` until it lands: the three columns after the
    last header, version 0 on every TAG row, and a ledger row saying v3.0; one ChangeSet."""
    ops = wb.read_sheet(OPERACIONES)
    cmap = columns(ops)
    tag, width = cmap.index(TAG_COLUMN), cmap.width
    changes = ChangeSet().set_row(OPERACIONES, 1, width + 1, [spec.name for spec in V3_COLUMNS])
    for r in range(2, len(ops.rows) + 1):
        if not is_blank(ops.cell(r, tag)):
            changes.set(OPERACIONES, r, width + 3, 0)
    changes.add_sheet(LEDGER_SHEET, rows=10, cols=len(LEDGER_HEADERS))
    changes.set_block(LEDGER_SHEET, 1, 1, [list(LEDGER_HEADERS),
                                           ["v3_0_occupation", "v3.0", "occupation", "applied"]])
    wb.apply(changes)


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
        migrate_to_v3(wb)
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
