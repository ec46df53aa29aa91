"""Test doubles for spoolsheet and for code that embeds it.

``fake_google`` is a local Google Sheets v4 / Drive v3; ``open_fake`` opens a ``Workbook`` on it
through spoolsheet's Google backend (gspread's HTTP client), in-process (no sockets), with
millisecond retries. ``plugin`` gives pytest fixtures for them (installed as a pytest11 entry point).
"""

from __future__ import annotations

from typing import Any

from ..settings import Settings
from ..workbook import Workbook, open_workbook
from ..workbook.retry import FAST_RETRY, RetryPolicy
from .fake_google import IN_PROCESS_BASE, FakeGoogle

__all__ = ["IN_PROCESS_BASE", "FakeGoogle", "fake_settings", "open_fake"]


def fake_settings(sheet_id: str, *, endpoint: str = IN_PROCESS_BASE, **extra: Any) -> Settings:
    """Settings naming a spreadsheet on the fake (anonymous unless credentials are given)."""
    return Settings(sheet_id=sheet_id, google_endpoint=endpoint, workbook=None, **extra)


def open_fake(
    fake: FakeGoogle, sheet_id: str, *, retry: RetryPolicy = FAST_RETRY, **extra: Any
) -> Workbook:
    """A Workbook on ``fake``'s spreadsheet ``sheet_id``, through the in-process adapter."""
    return open_workbook(fake_settings(sheet_id, **extra), transport=fake.adapter(), retry=retry)
