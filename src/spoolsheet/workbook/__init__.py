"""One workbook API over swappable backends (Google Sheets, local .xlsx).

``Workbook`` is what the rest of spoolsheet uses: read sheets, find columns by name, apply a
``ChangeSet`` atomically, count requests. ``open_workbook(settings)`` picks the backend.
``GoogleBackend`` is imported on first use: a command on an .xlsx file never pays for gspread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Backend, Region, RequestStats, Sheet, SheetInfo
from .changes import ChangeSet
from .open import google_session, open_workbook
from .workbook import Workbook, columns
from .xlsx import XlsxBackend

if TYPE_CHECKING:
    from .google import GoogleBackend


def __getattr__(name: str) -> object:
    if name == "GoogleBackend":
        from .google import GoogleBackend

        return GoogleBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "Backend",
    "ChangeSet",
    "GoogleBackend",
    "Region",
    "RequestStats",
    "Sheet",
    "SheetInfo",
    "Workbook",
    "XlsxBackend",
    "columns",
    "google_session",
    "open_workbook",
]
