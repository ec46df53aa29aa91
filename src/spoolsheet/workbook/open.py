"""Opening the workbook the settings name: the one place that picks a backend and authorises it.

The Google backend (gspread, requests, google-auth: most of a second to import on a busy
machine) is imported only when the settings name a Google sheet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from ..settings import Settings
from .workbook import Workbook
from .xlsx import XlsxBackend

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    import requests
    from requests.adapters import BaseAdapter

    from .retry import RetryPolicy


def google_session(info: dict | None, endpoint: str | None,
                   transport: BaseAdapter | None = None) -> requests.Session:
    """A requests session for Google: authorised with a service account, or anonymous (fake only).

    With ``transport`` (e.g. the in-process fake's adapter) mounted on the endpoint, nothing
    touches a socket, the OAuth2 token exchange included.
    """
    import requests

    from .google import SCOPES

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
                  retry: RetryPolicy | None = None,
                  answered: MutableMapping[str, int] | None = None) -> Workbook:
    """The workbook the settings name: ``workbook`` (an .xlsx path) or ``sheet_id`` (Google).
    ``answered``: sizes of earlier answers by request, kept between runs by the caller, which
    a backend whose answers come with no length estimates a long read's total from (Google;
    it adds the sizes it sees)."""
    settings = settings or Settings()
    if settings.workbook and settings.sheet_id:
        raise ConfigurationError("both a workbook file and a Google sheet id are set; choose one "
                                 "(--workbook / SPOOLSHEET_WORKBOOK or --sheet-id / GOOGLE_SHEET_ID)")
    if settings.workbook:
        return Workbook(XlsxBackend(settings.workbook))
    if settings.sheet_id:
        from .google import GoogleBackend
        from .retry import RetryPolicy

        session = google_session(settings.service_account_info(), settings.google_endpoint, transport)
        return Workbook(GoogleBackend(settings.sheet_id, session=session,
                                      endpoint=settings.google_endpoint,
                                      timeout=settings.google_timeout,
                                      retry=retry or RetryPolicy(), answered=answered))
    raise ConfigurationError("no workbook chosen: give --workbook PATH (or SPOOLSHEET_WORKBOOK) "
                             "or --sheet-id ID (or GOOGLE_SHEET_ID)")
