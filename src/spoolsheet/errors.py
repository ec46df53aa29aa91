"""spoolsheet's exception tree, one family per kind of failure.

Errors of the layers below (gspread, requests, openpyxl, the OS) are mapped into this tree once,
at the backend boundary, with ``raise ... from exc``. The CLI turns any ``SpoolsheetError`` into
one line and the exit code named on its class.

    SpoolsheetError                      exit 1 unless stated
    ├── UsageError                       bad settings, flags or arguments (not I/O)
    │   ├── ConfigurationError           missing credentials, no workbook chosen, bad env value
    │   └── RequestTooLarge              an atomic write over Google's 10 MB per request
    ├── WorkbookError                    something about the workbook itself
    │   ├── WorkbookNotFound             missing file, unknown spreadsheet id (404)
    │   ├── WorkbookAccessDenied         403 from Google, unreadable file
    │   ├── WorkbookLocked               another process holds the file lock           (exit 3)
    │   ├── CorruptWorkbook              not an xlsx, unreadable zip
    │   ├── SheetNotFound                a required sheet is missing
    │   ├── SchemaError                  headers: duplicate, blank, missing, drifted
    │   ├── DataError                    a cell that cannot be read (names sheet/row/column)
    │   └── UnsafeChange                 a part of the file a structural change cannot follow
    ├── BackendError                     the storage call failed (names the sheet/range)
    │   └── TransientBackendError        429 / 5xx / timeout / reset after the retry budget
    ├── ConflictError                    someone else holds or changed the thing       (exit 3)
    ├── VerificationError                a copy or a result does not match             (exit 4)
    └── (domain errors live beside their domain: backup, migrations, occupation)
"""

from __future__ import annotations


class SpoolsheetError(Exception):
    """Base of every error spoolsheet raises on purpose."""

    exit_code = 1


class UsageError(SpoolsheetError):
    """The caller asked for something impossible: a bad flag, value or combination."""


class ConfigurationError(UsageError):
    """Settings are missing or inconsistent (credentials, workbook location, env values)."""


class RequestTooLarge(UsageError):
    """An atomic write that cannot be one request; refused before anything was sent."""


class WorkbookError(SpoolsheetError):
    """A problem with the workbook itself rather than with one request."""


class WorkbookNotFound(WorkbookError):
    pass


class WorkbookAccessDenied(WorkbookError):
    pass


class WorkbookLocked(WorkbookError):
    exit_code = 3


class CorruptWorkbook(WorkbookError):
    pass


class SheetNotFound(WorkbookError):
    pass


class SchemaError(WorkbookError):
    """Headers that make a needed column ambiguous, missing, or out of place."""


class DataError(WorkbookError):
    """A cell whose content cannot be interpreted; the message names sheet, row and column."""

    def __init__(self, message: str, *, sheet: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        where = ", ".join(
            part
            for part in (
                f"sheet {sheet!r}" if sheet else "",
                f"row {row}" if row else "",
                f"column {column!r}" if column else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.sheet, self.row, self.column = sheet, row, column


class UnsafeChange(WorkbookError):
    """Moving columns or renaming a sheet would leave a part of the file (conditional formats,
    tables, charts, ...) pointing at the wrong cells; the message names file, sheet and part."""


class BackendError(SpoolsheetError):
    """A storage request failed; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientBackendError(BackendError):
    """A failure worth retrying (429, 5xx, timeout, reset) that outlived the retry budget."""


class ConflictError(SpoolsheetError):
    exit_code = 3


class VerificationError(SpoolsheetError):
    exit_code = 4
