"""One workbook API over swappable backends (Google Sheets, local .xlsx).

``Workbook`` is what the rest of spoolsheet uses: read sheets, find columns by name, apply a
``ChangeSet`` atomically, count requests. ``open_workbook(settings)`` picks the backend.
"""

from __future__ import annotations

from .base import Backend, Region, RequestStats, Sheet, SheetInfo
from .changes import ChangeSet
from .google import GoogleBackend
from .open import google_session, open_workbook
from .workbook import Workbook, columns
from .xlsx import XlsxBackend

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
