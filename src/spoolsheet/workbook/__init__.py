"""One workbook API over swappable backends (Google Sheets, local .xlsx).

``Workbook`` is what the rest of spoolsheet uses: read sheets, find columns by name, apply a
``ChangeSet`` atomically, count requests. ``open_workbook(settings)`` picks the backend.
"""

from __future__ import annotations

from collections.abc import Sequence

import requests
from requests.adapters import BaseAdapter

from ..errors import ConfigurationError, SchemaError, SheetNotFound
from ..schema import ColumnMap
from ..settings import Settings
from ..values import Cell
from .base import Backend, Region, RequestStats, Sheet, SheetInfo
from .changes import ChangeSet
from .google import SCOPES, GoogleBackend
from .retry import RetryPolicy
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
    "google_session",
    "open_workbook",
]


class Workbook:
    """A workbook on some backend. Thin: it adds column lookup and conveniences, never I/O rules."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    @property
    def id(self) -> str:
        return self.backend.id

    @property
    def title(self) -> str:
        return self.backend.title

    @property
    def kind(self) -> str:
        return self.backend.kind

    @property
    def stats(self) -> RequestStats:
        return self.backend.stats

    def sheets(self) -> list[SheetInfo]:
        return self.backend.sheets()

    def sheet_titles(self) -> list[str]:
        return [s.title for s in self.sheets()]

    def read(self, titles: Sequence[str] | None = None, *,
             formulas: bool = True) -> dict[str, Sheet]:
        return self.backend.read(titles, formulas=formulas)

    def read_sheet(self, title: str, *, formulas: bool = True) -> Sheet:
        try:
            return self.read([title], formulas=formulas)[title]
        except KeyError:
            raise SheetNotFound(f"sheet {title!r} not found in {self.title!r}") from None

    def read_regions(self, regions: Sequence[Region], *,
                     formulas: bool = False) -> list[list[list[Cell]]]:
        return self.backend.read_regions(regions, formulas=formulas)

    def revision(self) -> object | None:
        return self.backend.revision()

    @property
    def location(self) -> str:
        return self.backend.location

    def apply(self, changes: ChangeSet, *, atomic: bool = True) -> None:
        self.backend.apply(changes, atomic=atomic)

    def exclusive(self):
        return self.backend.exclusive()


def columns(sheet: Sheet, header_row: int = 1) -> ColumnMap:
    """The column map of a sheet as read; an empty header row is a SchemaError."""
    cmap = ColumnMap.from_row(sheet.title, sheet.row(header_row))
    if not cmap.headers:
        raise SchemaError(f"sheet {sheet.title!r} has no header row (row {header_row} is empty)")
    return cmap


def google_session(info: dict | None, endpoint: str | None,
                   transport: BaseAdapter | None = None) -> requests.Session:
    """A requests session for Google: authorised with a service account, or anonymous (fake only).

    With ``transport`` (e.g. the in-process fake's adapter) mounted on the endpoint, nothing
    touches a socket, the OAuth2 token exchange included.
    """
    plain = requests.Session()
    if transport is not None:
        if not endpoint:
            raise ConfigurationError("a transport needs an endpoint to be mounted on")
        plain.mount(endpoint.rstrip("/") + "/", transport)
    if info is None:
        if not endpoint:
            raise ConfigurationError(
                "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS (a key file path) or "
                "GOOGLE_APPLICATION_CREDENTIALS_JSON")
        return plain
    from google.auth.transport.requests import AuthorizedSession, Request
    from google.oauth2 import service_account

    try:
        creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except (ValueError, KeyError) as exc:
        raise ConfigurationError(f"the service-account key is incomplete ({type(exc).__name__})") from None
    session = AuthorizedSession(creds, auth_request=Request(plain))
    for prefix, adapter in plain.adapters.items():
        session.mount(prefix, adapter)
    return session


def open_workbook(settings: Settings | None = None, *, transport: BaseAdapter | None = None,
                  retry: RetryPolicy | None = None) -> Workbook:
    """The workbook the settings name: ``workbook`` (an .xlsx path) or ``sheet_id`` (Google)."""
    settings = settings or Settings()
    if settings.workbook and settings.sheet_id:
        raise ConfigurationError("both a workbook file and a Google sheet id are set; choose one "
                                 "(--workbook / SPOOLSHEET_WORKBOOK or --sheet-id / GOOGLE_SHEET_ID)")
    if settings.workbook:
        return Workbook(XlsxBackend(settings.workbook))
    if settings.sheet_id:
        session = google_session(settings.service_account_info(), settings.google_endpoint, transport)
        return Workbook(GoogleBackend(settings.sheet_id, session=session,
                                      endpoint=settings.google_endpoint,
                                      timeout=settings.google_timeout,
                                      retry=retry or RetryPolicy()))
    raise ConfigurationError("no workbook chosen: give --workbook PATH (or SPOOLSHEET_WORKBOOK) "
                             "or --sheet-id ID (or GOOGLE_SHEET_ID)")
