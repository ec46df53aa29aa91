"""One exception per refusal, each with a one-line message that says why.

    Refusal (SpoolsheetError)                  exit 1: the request itself cannot be done
    ├── NotMigrated                            the workbook is not at v3.0: run `migrate up`
    ├── SpoolNotFound                          no row has that TAG
    ├── UnknownWorker / WorkerInactive / MissingRole
    ├── PrerequisiteMissing                    ARM needs Fecha_Materiales, SOLD needs ARM started
    ├── OperationDone                          the operation already has its date
    └── (ConflictError: exit 3, someone else holds or changed the spool)
        ├── SpoolOccupied                      held by MR(93) since ...
        ├── NotHolder                          PAUSAR/COMPLETAR by someone who does not hold it
        ├── VersionConflict                    the version is not the one the caller expected
        ├── RowChanged                         the row's cells are not the ones the caller saw
        │   └── RowMoved                       the row moved (rows inserted/deleted by hand)
        └── SheetChanged                       Operaciones' header changed since it was read

    LayoutDrift (SchemaError)                  exit 4: headers differ from the migration chain's
                                               layout (`migrate check`); an admin fixes the sheet
"""

from __future__ import annotations

import datetime as dt

from ..errors import ConflictError, SchemaError, SpoolsheetError
from ..values import WorkerRef, format_date


class Refusal(SpoolsheetError):
    """An occupation request the rules or the workbook refuse; the data is left as it was."""

    def __init__(self, message: str, *, tag: str | None = None) -> None:
        super().__init__(message)
        self.tag = tag


class NotMigrated(Refusal):
    pass


class LayoutDrift(SchemaError):
    """The headers differ from the layout the migration chain gives the workbook at its version
    (``spoolsheet migrate check`` says the same, exit 4 as it): the workbook's trouble, not the
    request's, so not a ``Refusal``; an admin must fix the sheet."""

    exit_code = 4


class SpoolNotFound(Refusal):
    pass


class UnknownWorker(Refusal):
    pass


class WorkerInactive(Refusal):
    pass


class MissingRole(Refusal):
    pass


class PrerequisiteMissing(Refusal):
    pass


class OperationDone(Refusal):
    pass


class SpoolOccupied(Refusal, ConflictError):
    def __init__(self, tag: str, holder: WorkerRef, since: dt.date | None,
                 version: int | None = None) -> None:
        when = f" since {format_date(since)}" if since else ""
        super().__init__(f"spool {tag} is occupied by {holder}{when}", tag=tag)
        self.holder, self.since, self.version = holder, since, version


class NotHolder(Refusal, ConflictError):
    def __init__(self, tag: str, worker: WorkerRef, holder: WorkerRef | None,
                 version: int | None = None) -> None:
        held = f"it is held by {holder}" if holder else "nobody holds it"
        super().__init__(f"spool {tag}: {worker} does not hold it ({held})", tag=tag)
        self.worker, self.holder, self.version = worker, holder, version


class VersionConflict(Refusal, ConflictError):
    def __init__(self, tag: str, expected: int, current: int) -> None:
        super().__init__(f"spool {tag} was changed by someone else: expected version {expected}, "
                         f"it is at version {current}; read it again", tag=tag)
        self.expected, self.current = expected, current


class RowChanged(Refusal, ConflictError):
    def __init__(self, tag: str, row: int, version: int | None) -> None:
        super().__init__(f"spool {tag} (row {row}) was edited since it was read (version "
                         f"{version}); read it again", tag=tag)
        self.row, self.version = row, version


class RowMoved(RowChanged):
    def __init__(self, tag: str, row: int, version: int | None = None) -> None:
        Refusal.__init__(self, f"spool {tag} now stands at row {row}: rows were inserted, deleted "
                               f"or moved by hand since it was read; nothing was written; try "
                               f"again", tag=tag)
        self.row, self.version = row, version


class SheetChanged(Refusal, ConflictError):
    """Operaciones' header (so its columns) changed by hand between two reads."""
