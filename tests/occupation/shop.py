"""``Shop``: a migrated private workbook and what occupation tests look up in it.

Kept out of conftest.py so that test modules can import it by a name no other folder uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spoolsheet.audit import read_events
from spoolsheet.occupation import OccupationService, Operation, Spool, Stage, Worker
from spoolsheet.occupation.view import Operaciones
from spoolsheet.schema import METADATA, OPERACIONES
from spoolsheet.workbook import Workbook


@dataclass
class Shop:
    """A migrated private workbook and what tests look up in it."""

    wb: Workbook
    service: OccupationService
    reopen: Callable[[], Workbook]  # another connection to the same workbook

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
        """Operaciones as one plain read shows it now: ``.spool(tag)``, ``.row(n)``, ``.cols``."""
        return Operaciones.whole(OPERACIONES, self.wb.read_sheet(OPERACIONES).rows)
