"""Occupation: who physically holds which spool right now (TOMAR / PAUSAR / COMPLETAR).

Each function is what the CLI command of the same name does, over a workbook already open; a
long-lived program (the HTTP service) keeps one ``OccupationService`` per workbook instead, so
that workers, roles and the board stay cached between calls and state changes that arrive
together are written together (``OccupationService.commit``). Each takes ``layout_check`` (the
migration chain's drift check, ``migrations.layout_check()``: the CLI passes it), run on the
header rows its one read takes. See docs/occupation.md.
"""

from __future__ import annotations

from ..workbook import Workbook
from .commit import Action, Outcome, StateChange
from .directory import Worker
from .errors import (
    LayoutDrift,
    MissingRole,
    NotHolder,
    NotMigrated,
    OperationDone,
    PrerequisiteMissing,
    Refusal,
    RowChanged,
    RowMoved,
    SheetChanged,
    SpoolNotFound,
    SpoolOccupied,
    UnknownWorker,
    VersionConflict,
    WorkerInactive,
)
from .rules import Holding, Operation, Spool, Stage
from .service import LayoutCheck, OccupationService

__all__ = [
    "Action",
    "Holding",
    "LayoutCheck",
    "LayoutDrift",
    "MissingRole",
    "NotHolder",
    "NotMigrated",
    "OccupationService",
    "Operation",
    "OperationDone",
    "Outcome",
    "PrerequisiteMissing",
    "Refusal",
    "RowChanged",
    "RowMoved",
    "SheetChanged",
    "Spool",
    "SpoolNotFound",
    "SpoolOccupied",
    "Stage",
    "StateChange",
    "UnknownWorker",
    "VersionConflict",
    "Worker",
    "WorkerInactive",
    "completar",
    "history",
    "pausar",
    "spools",
    "tomar",
    "workers",
]


def tomar(workbook: Workbook, tag: str, *, worker: int | str, op: str | Operation,
          expect_version: int | None = None, expect_row_hash: str | None = None,
          layout_check: LayoutCheck | None = None) -> Outcome:
    """Take a free spool for ARM or SOLD (``worker``: its Id or ``INICIALES(ID)``)."""
    service = OccupationService(workbook, layout_check=layout_check)
    return service.tomar(tag, worker=worker, op=op, expect_version=expect_version,
                         expect_row_hash=expect_row_hash)


def pausar(workbook: Workbook, tag: str, *, worker: int | str, expect_version: int | None = None,
           expect_row_hash: str | None = None, layout_check: LayoutCheck | None = None) -> Outcome:
    """Release a spool you hold, keeping its progress."""
    service = OccupationService(workbook, layout_check=layout_check)
    return service.pausar(tag, worker=worker, expect_version=expect_version,
                          expect_row_hash=expect_row_hash)


def completar(workbook: Workbook, tag: str, *, worker: int | str,
              expect_version: int | None = None, expect_row_hash: str | None = None,
              layout_check: LayoutCheck | None = None) -> Outcome:
    """Finish the operation you took the spool for, and release it."""
    service = OccupationService(workbook, layout_check=layout_check)
    return service.completar(tag, worker=worker, expect_version=expect_version,
                             expect_row_hash=expect_row_hash)


def spools(workbook: Workbook, *, free: bool = False, occupied: bool = False,
           layout_check: LayoutCheck | None = None) -> list[Spool]:
    """Every readable spool with who holds it (only the free or only the occupied ones on
    request); ``OccupationService.survey`` also names the spools a bad cell keeps unreadable."""
    service = OccupationService(workbook, layout_check=layout_check)
    return service.spools(free=free, occupied=occupied)


def history(workbook: Workbook, tag: str, *,
            layout_check: LayoutCheck | None = None) -> list[Holding]:
    """Who held a spool, for which operation, from when to when."""
    return OccupationService(workbook, layout_check=layout_check).history(tag)


def workers(workbook: Workbook, *, layout_check: LayoutCheck | None = None) -> list[Worker]:
    """Every worker with Id, name, ``INICIALES(ID)``, active state and active roles."""
    return OccupationService(workbook, layout_check=layout_check).workers()
