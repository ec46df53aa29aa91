"""Fixtures for occupation: a private v3.0 copy of the small sample on each backend.

The workers and spools a test needs are found in the sample by what they are (an active
Armador, a spool whose ARM is pending with materials in...), never by hard-coded ids or rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from spoolsheet.audit import read_events
from spoolsheet.migrations.ledger import LEDGER_HEADERS, LEDGER_SHEET
from spoolsheet.occupation import OccupationService, Operation, Spool, Stage, Worker
from spoolsheet.schema import METADATA, OPERACIONES, TAG_COLUMN, V3_COLUMNS
from spoolsheet.values import is_blank
from spoolsheet.workbook import ChangeSet, Workbook, columns

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

    def workers(self, predicate: Callable[[Worker], bool]) -> list[Worker]:
        self.service.directory.expire()
        self.service.get(self.spools()[0].tag)  # one read, refreshing the directory
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

    def row(self, tag: str) -> list:
        """The spool's row as a plain read shows it now (to prove nothing else moved)."""
        return self.wb.read_sheet(OPERACIONES).row(self.service.get(tag).row)


@pytest.fixture
def shop(open_copy, sample_small) -> Shop:
    wb = open_copy(sample_small)
    migrate_to_v3(wb)
    return Shop(wb, OccupationService(wb))
