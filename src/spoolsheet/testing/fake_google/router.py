"""Which handler answers which Sheets/Drive URL. Paths are matched still percent-encoded (a range
may contain ``/`` or ``:``), their parameters decoded afterwards."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from . import drive, sheets
from .batch_update import batch_update
from .errors import ApiError
from .messages import ApiRequest, Reply
from .state import Store

_ID = r"(?P<spreadsheet_id>[^/:]+)"
_FILE = r"(?P<file_id>[^/]+)"
_RANGE = r"(?P<range_text>[^/]+?)"

_TABLE: list[tuple[str, str, Callable[..., Any]]] = [
    ("POST", r"/v4/spreadsheets", sheets.spreadsheets_create),
    ("GET", rf"/v4/spreadsheets/{_ID}", sheets.spreadsheets_get),
    ("POST", rf"/v4/spreadsheets/{_ID}:batchUpdate", batch_update),
    ("GET", rf"/v4/spreadsheets/{_ID}/values:batchGet", sheets.values_batch_get),
    ("POST", rf"/v4/spreadsheets/{_ID}/values:batchUpdate", sheets.values_batch_update),
    ("POST", rf"/v4/spreadsheets/{_ID}/values:batchClear", sheets.values_batch_clear),
    ("POST", rf"/v4/spreadsheets/{_ID}/values/{_RANGE}:append", sheets.values_append),
    ("POST", rf"/v4/spreadsheets/{_ID}/values/{_RANGE}:clear", sheets.values_clear),
    ("GET", rf"/v4/spreadsheets/{_ID}/values/{_RANGE}", sheets.values_get),
    ("PUT", rf"/v4/spreadsheets/{_ID}/values/{_RANGE}", sheets.values_update),
    ("GET", r"/drive/v3/files", drive.files_list),
    ("POST", r"/drive/v3/files", drive.files_create),
    ("GET", rf"/drive/v3/files/{_FILE}", drive.files_get),
    ("PATCH", rf"/drive/v3/files/{_FILE}", drive.files_update),
    ("DELETE", rf"/drive/v3/files/{_FILE}", drive.files_delete),
    ("POST", rf"/drive/v3/files/{_FILE}/copy", drive.files_copy),
    ("GET", rf"/drive/v3/files/{_FILE}/export", drive.files_export),
    ("GET", rf"/drive/v3/files/{_FILE}/comments", drive.comments_list),
    ("POST", rf"/drive/v3/files/{_FILE}/comments", drive.comments_create),
    ("GET", rf"/drive/v3/files/{_FILE}/permissions", drive.permissions_list),
    ("POST", rf"/drive/v3/files/{_FILE}/permissions", drive.permissions_create),
    (
        "DELETE",
        rf"/drive/v3/files/{_FILE}/permissions/(?P<permission_id>[^/]+)",
        drive.permissions_delete,
    ),
]
ROUTES: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
    (method, re.compile(pattern), handler) for method, pattern, handler in _TABLE
]


def route(store: Store, req: ApiRequest) -> Reply:
    """Answer one Sheets/Drive request; handler errors become the API's JSON error body."""
    for method, pattern, handler in ROUTES:
        match = pattern.fullmatch(req.path)
        if match and method == req.method:
            params = {name: unquote(value) for name, value in match.groupdict().items()}
            try:
                result = handler(store, req, **params)
            except ApiError as exc:
                return Reply.error(exc)
            return result if isinstance(result, Reply) else Reply(200, result)
    known = any(pattern.fullmatch(req.path) for _, pattern, _ in ROUTES)
    message = (
        f"Method {req.method} not allowed here."
        if known
        else f"fake-google has no endpoint {req.method} {req.path}."
    )
    return Reply.error(ApiError(405 if known else 404, message))
