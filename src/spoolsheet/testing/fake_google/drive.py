"""Drive v3 endpoints: files create/get/list/copy/update/delete/export, comments, permissions.

Answers carry only the fields Drive returns by default (``kind,id,name,mimeType`` for a file)
unless the request's ``fields`` asks for more, since clients break on exactly that in production.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from . import fieldmask
from .drive_query import compile_query
from .errors import ApiError, bad_request
from .formulas import Evaluator
from .messages import ApiRequest, Reply
from .sheets import read_box
from .state import FOLDER_MIME, SERVICE_ACCOUNT, SPREADSHEET_MIME, DriveFile, Store, now

FILE_DEFAULT_FIELDS = "kind,id,name,mimeType"
LIST_DEFAULT_FIELDS = "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ORDER_KEYS = {
    "createdTime": lambda f: (f.created, f.order),
    "modifiedTime": lambda f: (f.modified, f.order),
    "name": lambda f: f.name.lower(),
    "name_natural": lambda f: f.name.lower(),
    "folder": lambda f: f.mime_type != FOLDER_MIME,
}


def _masked(value: dict[str, Any], req: ApiRequest, default: str) -> dict[str, Any]:
    try:
        return fieldmask.select(value, fieldmask.parse(req.param("fields") or default))
    except ValueError:
        raise ApiError(
            400, f"Invalid field selection {req.param('fields')}", reason="invalidParameter"
        ) from None


def _file_reply(drive_file: DriveFile, req: ApiRequest) -> dict[str, Any]:
    return _masked(drive_file.resource(), req, FILE_DEFAULT_FIELDS)


def _parents(body: dict[str, Any], store: Store, default: list[str]) -> list[str]:
    parents = body.get("parents")
    parents = list(default) if parents is None else list(parents)
    store.check_parents(parents)
    return parents


#: Drive's limits on custom properties (files resource reference): key + value at most 124
#: bytes of UTF-8, at most 30 properties (public, all apps) and 30 appProperties (one app) a file.
PROPERTY_BYTES = 124
PROPERTIES_PER_KIND = 30


def _merged_properties(current: dict[str, str], given: dict[str, Any] | None) -> dict[str, str]:
    """properties/appProperties merge key by key (null deletes a key), within Drive's limits."""
    merged = dict(current)
    for name, value in (given or {}).items():
        if value is None:
            merged.pop(name, None)
            continue
        if len(name.encode()) + len(str(value).encode()) > PROPERTY_BYTES:
            raise ApiError(403, "Properties and app properties are limited to 124 bytes in UTF-8 "
                           "encoding, counting both the key and the value.",
                           reason="propertyLengthLimitExceeded")
        merged[name] = str(value)
    if len(merged) > PROPERTIES_PER_KIND:
        raise ApiError(403, f"A file can have at most {PROPERTIES_PER_KIND} properties and "
                       f"{PROPERTIES_PER_KIND} app properties per application.",
                       reason="propertyCountLimitExceeded")
    return merged


def _metadata(drive_file: DriveFile | None, body: dict[str, Any]) -> Callable[[DriveFile], None]:
    """Check a body's properties/appProperties/description against ``drive_file`` (None: a new
    file) before anything changes; returns what applies them, so a refused request changes
    nothing."""
    properties = _merged_properties(drive_file.properties if drive_file else {}, body.get("properties"))
    app_properties = _merged_properties(drive_file.app_properties if drive_file else {},
                                        body.get("appProperties"))

    def apply(target: DriveFile) -> None:
        target.properties, target.app_properties = properties, app_properties
        if "description" in body:
            target.description = body["description"]

    return apply


def files_create(store: Store, req: ApiRequest) -> dict[str, Any]:
    body = req.json()
    mime_type = body.get("mimeType") or "application/octet-stream"
    name = body.get("name") or "Untitled"
    parents = _parents(body, store, [])
    apply_metadata = _metadata(None, body)
    if mime_type == FOLDER_MIME:
        drive_file = store.add_file(name, FOLDER_MIME, parents)
    else:
        store.require_storage(parents)
        if mime_type == SPREADSHEET_MIME:
            drive_file = store.files[store.add_spreadsheet(name, parents).id]
        else:
            drive_file = store.add_file(name, mime_type, parents)
    apply_metadata(drive_file)
    return _file_reply(drive_file, req)


def files_get(store: Store, req: ApiRequest, file_id: str) -> dict[str, Any]:
    return _file_reply(store.file(file_id), req)


def files_list(store: Store, req: ApiRequest) -> dict[str, Any]:
    matches = compile_query(req.param("q"))
    files = sorted((f for f in store.files.values() if matches(f)), key=lambda f: f.order)
    for clause in reversed([c.strip() for c in (req.param("orderBy") or "").split(",") if c.strip()]):
        field, _, direction = clause.partition(" ")
        if field not in _ORDER_KEYS:
            raise ApiError(400, f"Invalid Value: orderBy {clause}", reason="invalid")
        files.sort(key=_ORDER_KEYS[field], reverse=direction.strip().lower() == "desc")
    size = min(max(req.int_param("pageSize", 100), 1), 1000)
    start = req.int_param("pageToken", 0)
    page = files[start : start + size]
    result: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False}
    if start + size < len(files):
        result["nextPageToken"] = str(start + size)
    result["files"] = [f.resource() for f in page]
    return _masked(result, req, LIST_DEFAULT_FIELDS)


def files_copy(store: Store, req: ApiRequest, file_id: str) -> dict[str, Any]:
    source = store.file(file_id)
    if source.mime_type == FOLDER_MIME:
        raise ApiError(403, "This file cannot be copied by the user.", reason="cannotCopyFile")
    body = req.json()
    parents = _parents(body, store, source.parents)
    store.require_storage(parents)
    name = body.get("name") or f"Copy of {source.name}"
    apply_metadata = _metadata(None, body)
    if file_id in store.spreadsheets:
        clone = store.spreadsheets[file_id].clone()
        copy_ = store.files[store.add_spreadsheet(name, parents, sheets=clone.sheets).id]
        store.spreadsheets[copy_.id].properties = {**clone.properties, "title": name}
    else:
        copy_ = store.add_file(name, source.mime_type, parents)
    apply_metadata(copy_)
    return _file_reply(copy_, req)


def files_update(store: Store, req: ApiRequest, file_id: str) -> dict[str, Any]:
    drive_file = store.file(file_id)
    body = req.json()
    add = [p for p in (req.param("addParents") or "").split(",") if p]
    remove = [p for p in (req.param("removeParents") or "").split(",") if p]
    store.check_parents(add)
    apply_metadata = _metadata(drive_file, body)
    if body.get("name"):
        store.rename(drive_file, body["name"])
    if "trashed" in body:
        drive_file.trashed = bool(body["trashed"])
    apply_metadata(drive_file)
    drive_file.parents = [p for p in drive_file.parents if p not in remove] + [
        p for p in add if p not in drive_file.parents
    ]
    drive_file.modified = now()
    return _file_reply(drive_file, req)


def files_delete(store: Store, req: ApiRequest, file_id: str) -> Reply:
    store.file(file_id)
    store.delete(file_id)
    return Reply(204)


def files_export(store: Store, req: ApiRequest, file_id: str) -> Reply:
    """CSV of the first sheet, or the whole spreadsheet as .xlsx; other formats are 501."""
    store.file(file_id)
    spreadsheet = store.spreadsheets.get(file_id)
    mime_type = req.param("mimeType")
    if spreadsheet is None:
        raise ApiError(403, "Export only supports Docs Editors files.", reason="fileNotExportable")
    if mime_type == "text/csv":
        sheet = spreadsheet.sheets[0]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            read_box(
                sheet,
                (0, 0, sheet.row_count, sheet.col_count),
                "ROWS",
                "FORMATTED_VALUE",
                "SERIAL_NUMBER",
                Evaluator(spreadsheet),
            )
        )
        return Reply(200, out.getvalue().rstrip("\n"), "text/csv")
    if mime_type == XLSX_MIME:
        from .xlsx import dump_xlsx  # openpyxl is heavy; only exports need it

        return Reply(200, dump_xlsx(spreadsheet), XLSX_MIME)
    raise ApiError(501, f"fake-google does not export to {mime_type!r}.")


# --- comments and permissions ------------------------------------------------------------------


def _page(items: list[dict[str, Any]], req: ApiRequest, key: str, kind: str) -> dict[str, Any]:
    size = min(max(req.int_param("pageSize", 20), 1), 100)
    start = req.int_param("pageToken", 0)
    result: dict[str, Any] = {"kind": kind, key: items[start : start + size]}
    if start + size < len(items):
        result["nextPageToken"] = str(start + size)
    return result


def comments_list(store: Store, req: ApiRequest, file_id: str) -> dict[str, Any]:
    drive_file = store.file(file_id)
    if not req.param("fields"):
        raise bad_request("The 'fields' parameter is required for this method.")
    comments = [c for c in drive_file.comments if req.flag("includeDeleted") or not c["deleted"]]
    return _masked(_page(comments, req, "comments", "drive#commentList"), req, "")


def comments_create(store: Store, req: ApiRequest, file_id: str) -> dict[str, Any]:
    drive_file = store.file(file_id)
    if not req.param("fields"):
        raise bad_request("The 'fields' parameter is required for this method.")
    body = req.json()
    if not body.get("content"):
        raise bad_request("A comment needs content.")
    stamp = now()
    comment: dict[str, Any] = {
        "kind": "drive#comment",
        "id": f"AAAA{next(store.serials)}",
        "content": body["content"],
        "createdTime": stamp,
        "modifiedTime": stamp,
        "author": {"displayName": SERVICE_ACCOUNT, "me": True},
        "deleted": False,
        "resolved": False,
        **{k: body[k] for k in ("anchor", "quotedFileContent") if k in body},
    }
    drive_file.comments.append(comment)
    return _masked(comment, req, "")


def _permissions(drive_file: DriveFile) -> list[dict[str, Any]]:
    owner = {
        "kind": "drive#permission",
        "id": "owner",
        "type": "user",
        "role": "owner",
        "emailAddress": SERVICE_ACCOUNT,
    }
    return [owner, *drive_file.permissions]


def permissions_list(store: Store, req: ApiRequest, file_id: str) -> dict[str, Any]:
    permissions = _permissions(store.file(file_id))
    return _masked({"kind": "drive#permissionList", "permissions": permissions}, req, "kind,permissions")


def permissions_create(store: Store, req: ApiRequest, file_id: str) -> dict[str, Any]:
    drive_file = store.file(file_id)
    body = req.json()
    if body.get("type") not in ("user", "group", "domain", "anyone") or not body.get("role"):
        raise bad_request("A permission needs a valid type and role.")
    permission: dict[str, Any] = {
        "kind": "drive#permission",
        "id": str(next(store.serials)),
        **{k: body[k] for k in ("type", "role", "emailAddress", "domain") if k in body},
    }
    drive_file.permissions.append(permission)
    return _masked(permission, req, "kind,id,type,role")


def permissions_delete(store: Store, req: ApiRequest, file_id: str, permission_id: str) -> Reply:
    drive_file = store.file(file_id)
    kept = [p for p in drive_file.permissions if p["id"] != permission_id]
    if len(kept) == len(drive_file.permissions):
        raise ApiError(404, f"Permission not found: {permission_id}.", reason="notFound")
    drive_file.permissions = kept
    return Reply(204)
