"""``{base}/_fake/...``: drive the fake over HTTP when it runs in another process.

GET  /_fake/log                 {"entries": [{method, path, kind, user, status, fault}], "counts": {kind: n}}
POST /_fake/reset-log
POST /_fake/faults              {"kind": "write", "nth": 1, "fault": "503", "times": 1, "hang_seconds": 5?}
                                fault: 500 503 429 hang reset lost-reply applied-504
DELETE /_fake/faults            drop scheduled faults
POST /_fake/quota               {"read_per_user": 60, "write_per_user": 60, "read_per_project": 300,
                                 "write_per_project": 300, "reset": true?}  (null = unlimited)
POST /_fake/latency             {"seconds": 0.02}
POST /_fake/drive-storage       {"enabled": false}
POST /_fake/folders             {"name": "Backups", "shared": true}          -> {"id": ...}
POST /_fake/spreadsheets        {"title": "T", "id": null, "parents": []}   -> {"id": ...}
POST /_fake/load                {"path": "book.xlsx", "id": "ID", "title": null}
GET  /_fake/spreadsheets        {"ids": [...]}
GET  /_fake/spreadsheets/ID/sheets/TITLE   {"values": [[...]], "grid": [rows, cols]}
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .errors import ApiError, bad_request
from .messages import ApiRequest, Reply
from .xlsx import UnreadableWorkbook

if TYPE_CHECKING:
    from .core import FakeGoogle


def _log(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    entries = [entry.as_dict() for entry in fake.log]
    return {"entries": entries, "counts": dict(Counter(e["kind"] for e in entries))}


def _reset_log(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    fake.reset_log()
    return {}


def _inject(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    if "hang_seconds" in body:
        fake.hang_seconds = float(body.pop("hang_seconds"))
    fake.inject(**body)
    return {"pending": len(fake.faults.pending)}


def _clear_faults(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    fake.faults.clear()
    return {}


def _quota(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    if body.pop("reset", False):
        fake.quotas.reset()
    fake.quotas.configure(**body)
    return {f"{kind}_per_{scope}": limit for (scope, kind), limit in fake.quotas.limits.items()}


def _latency(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    fake.latency = float(body["seconds"])
    return {"seconds": fake.latency}


def _drive_storage(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    fake.drive_storage = bool(body["enabled"])
    return {"enabled": fake.drive_storage}


def _folder(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": fake.create_folder(body["name"], shared=body.get("shared", True), parents=body.get("parents"))
    }


def _spreadsheet(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    return {"id": fake.create_spreadsheet(body["title"], body.get("id"), body.get("parents"))}


def _load(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"id": fake.load_xlsx(body["path"], body["id"], body.get("title"))}
    except UnreadableWorkbook as exc:
        raise bad_request(f"Cannot load {exc}.") from None


def _ids(fake: FakeGoogle, body: dict[str, Any]) -> dict[str, Any]:
    return {"ids": fake.spreadsheet_ids()}


_ACTIONS: dict[tuple[str, str], Callable[[FakeGoogle, dict[str, Any]], dict[str, Any]]] = {
    ("GET", "log"): _log,
    ("POST", "reset-log"): _reset_log,
    ("POST", "faults"): _inject,
    ("DELETE", "faults"): _clear_faults,
    ("POST", "quota"): _quota,
    ("POST", "latency"): _latency,
    ("POST", "drive-storage"): _drive_storage,
    ("POST", "folders"): _folder,
    ("POST", "spreadsheets"): _spreadsheet,
    ("POST", "load"): _load,
    ("GET", "spreadsheets"): _ids,
}
_SHEET = re.compile(r"/_fake/spreadsheets/(?P<id>[^/]+)/sheets/(?P<title>[^/]+)")


def control(fake: FakeGoogle, req: ApiRequest) -> Reply:
    """Answer a ``/_fake/...`` request."""
    try:
        if match := _SHEET.fullmatch(req.path):
            spreadsheet_id, title = unquote(match["id"]), unquote(match["title"])
            return Reply(
                200,
                {
                    "values": fake.values(spreadsheet_id, title),
                    "grid": list(fake.grid(spreadsheet_id, title)),
                },
            )
        action = _ACTIONS.get((req.method, req.path.removeprefix("/_fake/")))
        if action is None:
            raise ApiError(404, f"No control endpoint {req.method} {req.path}.")
        return Reply(200, action(fake, dict(req.json())))
    except ApiError as exc:
        return Reply.error(exc)
    except (KeyError, TypeError, ValueError) as exc:
        return Reply.error(bad_request(f"Bad control request: {exc!r}"))
