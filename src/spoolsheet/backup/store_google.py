"""Backups of a Google spreadsheet: Drive copies carrying their manifest in ``appProperties``.

Requests (each through the live backend's HTTP client, so retries, counting and error mapping
are the workbook layer's): copy = 1 write (``files.copy`` with name, folder and properties in
one request); find = 1 read (``files.get``); list = 1 read of the live metadata and 1 per 1,000
backups (``files.list`` queried by property); reading a backup = 1 read; recording a verification or trashing = 1
write each (``files.update``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import BackendError, UsageError, WorkbookAccessDenied, WorkbookNotFound
from ..workbook import ChangeSet, GoogleBackend, Sheet, Workbook
from ..workbook.google import DRIVE_URL
from .manifest import Manifest, ManifestError, utc_iso
from .store import Backup, BackupNotFound, BackupStore

FOLDER_MIME = "application/vnd.google-apps.folder"
FILE_FIELDS = "id,name,createdTime,size,trashed,parents,appProperties"
SOURCE_KEY = "spoolsheet_source"
VERIFIED_KEY = "spoolsheet_verified"
ALL_DRIVES = {"supportsAllDrives": "true"}

STORAGE_HINT = (
    "A service account has no Drive storage of its own: copy into a shared drive, or into a "
    "folder owned by a person and shared with the service account as editor, named with "
    "--folder FOLDER_ID or BACKUP_FOLDER_ID")


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class GoogleStore(BackupStore):
    def __init__(self, live: Workbook, folder: str | None) -> None:
        super().__init__(live, folder)
        backend = live.backend
        assert isinstance(backend, GoogleBackend)
        self.backend = backend
        self.http = backend.http

    def describe_folder(self) -> str:
        return f"Drive folder {self.folder}" if self.folder else "the source spreadsheet's Drive folder"

    def check_folder(self) -> None:
        if not self.folder:
            return
        try:
            found = self.http.call("GET", f"{DRIVE_URL}/{self.folder}", what=f"finding folder {self.folder}",
                                   params={"fields": "id,mimeType,trashed", **ALL_DRIVES})
        except WorkbookNotFound:
            raise UsageError(f"backup folder {self.folder} not found, or not shared with the service "
                             "account (--folder / BACKUP_FOLDER_ID)") from None
        if found.get("mimeType") != FOLDER_MIME or found.get("trashed"):
            raise UsageError(f"backup folder {self.folder} is not a folder (or is in the trash)")

    # --- creating --------------------------------------------------------------------------

    def copy(self, name: str, manifest: Manifest) -> Backup:
        props = {SOURCE_KEY: manifest.source_id, "spoolsheet_label": manifest.label,
                 "spoolsheet_schema": manifest.schema_version, **manifest.to_properties()}
        body: dict[str, Any] = {"name": name, "appProperties": props}
        if self.folder:
            body["parents"] = [self.folder]
        what = f"copying spreadsheet {manifest.source_id} to a backup"
        try:
            found = self.http.call("POST", f"{DRIVE_URL}/{manifest.source_id}/copy", what=what,
                                   params={"fields": FILE_FIELDS, **ALL_DRIVES}, body=body)
        except WorkbookAccessDenied as exc:
            raise WorkbookAccessDenied(f"Google Drive refused the backup copy ({exc}). {STORAGE_HINT}.") from exc
        except WorkbookNotFound as exc:
            if not self.folder:
                raise
            raise UsageError(f"backup folder {self.folder} not found, or not shared with the service "
                             f"account (--folder / BACKUP_FOLDER_ID); nothing was copied ({exc})") from exc
        except BackendError as exc:
            if exc.status == 400 and self.folder:
                raise UsageError(f"backup folder {self.folder} is not a folder ({exc})") from exc
            raise
        return self._backup(found)

    def record_verification(self, backup: Backup, ok: bool) -> Backup:
        stamp = utc_iso(dt.datetime.now(dt.UTC))
        self.http.call("PATCH", f"{DRIVE_URL}/{backup.id}", what=f"recording the check of backup {backup.id}",
                       params={"fields": "id", **ALL_DRIVES}, idempotent=True,
                       body={"appProperties": {VERIFIED_KEY: "yes" if ok else "no",
                                               "spoolsheet_checked": stamp}})
        return backup.with_verified(ok)

    # --- finding ---------------------------------------------------------------------------

    def _backup(self, found: dict[str, Any]) -> Backup:
        props = found.get("appProperties") or {}
        created = dt.datetime.fromisoformat(found["createdTime"].replace("Z", "+00:00"))
        manifest, problem = None, None
        try:
            manifest = Manifest.from_properties(props)
            if manifest is None:
                problem = "incomplete: it carries no manifest"
        except ManifestError as exc:
            problem = f"incomplete: {exc}"
        verified = {"yes": True, "no": False}.get(props.get(VERIFIED_KEY, ""))
        return Backup(
            id=found["id"], name=found.get("name", ""),
            created=manifest.created if manifest else created,
            label=manifest.label if manifest else props.get("spoolsheet_label", ""),
            schema_version=manifest.schema_version if manifest else props.get("spoolsheet_schema", ""),
            source_id=props.get(SOURCE_KEY, ""),
            source_title=manifest.source_title if manifest else "",
            verified=verified if manifest else None, manifest=manifest,
            size=int(found["size"]) if found.get("size") else None, problem=problem)

    def get(self, backup_id: str) -> Backup:
        try:
            found = self.http.call("GET", f"{DRIVE_URL}/{backup_id}", what=f"finding backup {backup_id}",
                                   params={"fields": FILE_FIELDS, **ALL_DRIVES})
        except (WorkbookNotFound, WorkbookAccessDenied):
            raise BackupNotFound(f"no backup {backup_id!r} on Drive that this account can read "
                                 "(see `spoolsheet backup list`)") from None
        if found.get("trashed"):
            raise BackupNotFound(f"backup {backup_id!r} is in the Drive trash; take it out first")
        if SOURCE_KEY not in (found.get("appProperties") or {}):
            raise BackupNotFound(f"{backup_id!r} ({found.get('name')}) is not a spoolsheet backup")
        return self._backup(found)

    def list(self) -> list[Backup]:
        self.live.sheets()  # 1 read: an unknown spreadsheet is an error, not "no backups"
        query = f"appProperties has {{ key='{SOURCE_KEY}' and value={_quote(self.live.id)} }} and trashed = false"
        params = {"q": query, "fields": f"nextPageToken,files({FILE_FIELDS})", "pageSize": 1000,
                  "includeItemsFromAllDrives": "true", **ALL_DRIVES}
        found: list[Backup] = []
        while True:
            page = self.http.call("GET", DRIVE_URL, what="listing backups", params=params)
            found += [self._backup(f) for f in page.get("files", [])]
            if not page.get("nextPageToken"):
                return found
            params["pageToken"] = page["nextPageToken"]

    def remove(self, backup: Backup) -> None:
        self.http.call("PATCH", f"{DRIVE_URL}/{backup.id}", what=f"moving backup {backup.id} to the trash",
                       params={"fields": "id", **ALL_DRIVES}, body={"trashed": True}, idempotent=True)

    # --- reading and restoring ---------------------------------------------------------------

    @contextmanager
    def open(self, backup: Backup, *, for_restore: bool = False) -> Iterator[Workbook]:
        """The backup spreadsheet over the live session; its requests count with the live's."""
        http = self.http
        backend = GoogleBackend(backup.id, session=http.session, endpoint=http.endpoint,
                                timeout=http.timeout, retry=http.retry)
        backend.stats = backend.http.stats = self.live.stats
        yield Workbook(backend)  # not closed: it shares the live workbook's session

    def roll_back(self, staged: Workbook, content: dict[str, Sheet], rollback: ChangeSet,
                  extra: ChangeSet) -> dict[str, Sheet]:
        """One ``batchUpdate`` (atomic, and idempotent: no appends), then one read to verify.

        Past Google's 10 MB per request the write goes as several batchUpdates in order: no longer
        atomic, but a restore stopped between them is finished by running it again.
        """
        self.live.apply(ChangeSet().extend(rollback).extend(extra), atomic=False)
        return self.live.read()
