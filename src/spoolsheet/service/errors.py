"""Library errors → JSON ``{error, message, ...}`` with the status a client can act on.

Mapped once, here, at the HTTP edge; the first class of an error's MRO found in ``STATUS``
decides. What a client sent wrongly is a 4xx; only the service's own trouble is a 5xx, and a
5xx never carries a stack trace.

    404  spool or worker not found
    409  held, not the holder, version conflict, row or sheet changed by hand (with the current
         version and holder when known; "changed" when a row was edited or moved by hand)
    422  invalid input, or a rule refused (not active, no role, prerequisite missing, done)
    503  Google unreachable after the retry budget, the file lock busy (with Retry-After);
         the workbook itself unusable (missing, not migrated, a sheet gone, its headers
         drifted from the migrations' layout: ``drift``, an admin runs `migrate check`)
    502  the storage refused the request for good
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import (
    BackendError,
    ConfigurationError,
    ConflictError,
    DataError,
    SpoolsheetError,
    TransientBackendError,
    UsageError,
    VerificationError,
    WorkbookError,
    WorkbookLocked,
)
from ..occupation.errors import (
    LayoutDrift,
    MissingRole,
    NotHolder,
    NotMigrated,
    OperationDone,
    PrerequisiteMissing,
    Refusal,
    RowChanged,
    SheetChanged,
    SpoolNotFound,
    SpoolOccupied,
    UnknownWorker,
    VersionConflict,
    WorkerInactive,
)

RETRY_AFTER = 5  # seconds a client waits before retrying a 503 the storage caused


@dataclass(frozen=True)
class Mapped:
    status: int
    error: str  # a stable code a client can switch on


STATUS: dict[type[SpoolsheetError], Mapped] = {
    SpoolNotFound: Mapped(404, "spool_not_found"),
    UnknownWorker: Mapped(404, "worker_not_found"),
    SpoolOccupied: Mapped(409, "occupied"),
    NotHolder: Mapped(409, "not_holder"),
    VersionConflict: Mapped(409, "version_conflict"),
    RowChanged: Mapped(409, "changed"),
    SheetChanged: Mapped(409, "changed"),
    WorkerInactive: Mapped(422, "worker_inactive"),
    MissingRole: Mapped(422, "missing_role"),
    PrerequisiteMissing: Mapped(422, "prerequisite_missing"),
    OperationDone: Mapped(422, "already_done"),
    NotMigrated: Mapped(503, "not_migrated"),
    LayoutDrift: Mapped(503, "drift"),
    DataError: Mapped(422, "unreadable_cell"),
    WorkbookLocked: Mapped(503, "busy"),
    TransientBackendError: Mapped(503, "unavailable"),
    BackendError: Mapped(502, "storage_refused"),
    ConfigurationError: Mapped(503, "misconfigured"),
    UsageError: Mapped(422, "invalid"),
    WorkbookError: Mapped(503, "workbook_unusable"),
    Refusal: Mapped(422, "refused"),
    ConflictError: Mapped(409, "conflict"),
    VerificationError: Mapped(500, "verification_failed"),
    SpoolsheetError: Mapped(500, "internal"),
}


def mapped(exc: SpoolsheetError) -> Mapped:
    """The status and code of ``exc``: its nearest class in ``STATUS``."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return STATUS[SpoolsheetError]


def error_body(exc: SpoolsheetError) -> tuple[int, dict[str, object], dict[str, str]]:
    """``(status, body, headers)`` for ``exc``: the code, its one-line message and what a client
    needs to act (the spool's current version and holder on a conflict)."""
    found = mapped(exc)
    body: dict[str, object] = {"error": found.error, "message": str(exc)}
    tag = getattr(exc, "tag", None)
    if tag:
        body["tag"] = tag
    if isinstance(exc, VersionConflict):
        body["version"], body["expected_version"] = exc.current, exc.expected
    elif isinstance(exc, SpoolOccupied | NotHolder | RowChanged) and exc.version is not None:
        body["version"] = exc.version
    if isinstance(exc, SpoolOccupied | NotHolder):
        body["holder"] = str(exc.holder) if exc.holder else None
    if isinstance(exc, SpoolOccupied) and exc.since:
        body["since"] = exc.since.isoformat()
    headers = {"Retry-After": str(RETRY_AFTER)} if found.error in ("unavailable", "busy") else {}
    return found.status, body, headers
