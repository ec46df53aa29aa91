"""Occupation: who physically holds which spool right now (TOMAR / PAUSAR / COMPLETAR).

Each function is what the CLI command of the same name does, over a workbook already open; a
long-lived program (an HTTP API) keeps one ``OccupationService`` per workbook instead, so that
workers and roles stay cached between calls. See docs/occupation.md.
"""

from __future__ import annotations

from ..workbook import Workbook
from .directory import Worker
from .errors import (
    MissingRole,
    NotHolder,
    NotMigrated,
    OperationDone,
    PrerequisiteMissing,
    Refusal,
    RowChanged,
    SpoolNotFound,
    SpoolOccupied,
    UnknownWorker,
    VersionConflict,
    WorkerInactive,
)
from .rules import Holding, Operation, Spool, Stage
from .service import OccupationService, Outcome

__all__ = [
    "Holding",
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
    "Spool",
    "SpoolNotFound",
    "SpoolOccupied",
    "Stage",
    "UnknownWorker",
    "VersionConflict",
    "Worker",
    "WorkerInactive",
    "completar",
    "history",
    "pausar",
    "spools",
    "tomar",
]


def tomar(workbook: Workbook, tag: str, *, worker: int, op: str | Operation,
          expect_version: int | None = None, expect_row_hash: str | None = None) -> Outcome:
    """Take a free spool for ARM or SOLD."""
    return OccupationService(workbook).tomar(tag, worker=worker, op=op,
                                             expect_version=expect_version,
                                             expect_row_hash=expect_row_hash)


def pausar(workbook: Workbook, tag: str, *, worker: int, expect_version: int | None = None,
           expect_row_hash: str | None = None) -> Outcome:
    """Release a spool you hold, keeping its progress."""
    return OccupationService(workbook).pausar(tag, worker=worker, expect_version=expect_version,
                                              expect_row_hash=expect_row_hash)


def completar(workbook: Workbook, tag: str, *, worker: int, expect_version: int | None = None,
              expect_row_hash: str | None = None) -> Outcome:
    """Finish the operation you took the spool for, and release it."""
    return OccupationService(workbook).completar(tag, worker=worker,
                                                 expect_version=expect_version,
                                                 expect_row_hash=expect_row_hash)


def spools(workbook: Workbook, *, free: bool = False, occupied: bool = False) -> list[Spool]:
    """Every spool with who holds it (only the free or only the occupied ones on request)."""
    return OccupationService(workbook).spools(free=free, occupied=occupied)


def history(workbook: Workbook, tag: str) -> list[Holding]:
    """Who held a spool, for which operation, from when to when."""
    return OccupationService(workbook).history(tag)
