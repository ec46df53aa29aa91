"""``create``: read the workbook once, copy it, optionally check the copy, log BACKUP_CREATED."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from ..audit import LAST_BACKUP_NOTE, Event, apply_logged, log_event, metadata_columns
from ..errors import BackendError, VerificationError
from ..fingerprint import sheet_fingerprint
from ..ledger import schema_version
from ..progress import Progress
from ..schema import METADATA
from ..workbook import ChangeSet, Sheet, SheetInfo, Workbook
from ..workbook.base import BackupStore, StoredCopy, trim
from . import reporting
from .catalog import store_for
from .manifest import Fingerprinter, Manifest
from .model import Backup, backup_name, check_label


def utc(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now


def with_row(sheet: Sheet, row: list[Any], at: int) -> Sheet:
    """``sheet`` as it reads once ``row`` is written at row ``at`` (the grid grown to fit)."""
    while row and row[-1] is None:
        row = row[:-1]
    rows = [list(r) for r in sheet.rows] + [[] for _ in range(at - 1 - len(sheet.rows))]
    rows[at - 1:at] = [row]
    info = sheet.info
    return Sheet(SheetInfo(info.title, info.sheet_id, info.index, max(info.rows, at),
                           max(info.cols, len(row))), trim(rows))


#: Compare-and-set writes of the last-backup note a backup tries before it says so: each one
#: that misses found another backup's note written meanwhile, so this many at once is far past
#: any shop's.
NOTE_WRITES = 8


def log(workbook: Workbook, sheets: dict[str, Sheet], event: Event) -> None:
    """Append ``event`` to Metadata (one write; if its answer is lost, one read finds out
    whether it landed: never logged twice) and to ``sheets`` as it now reads; the last-backup
    note it carries is then left naming the newest backup (``keep_newest``)."""
    meta = sheets[METADATA]
    changes = log_event(ChangeSet(), event, meta)
    note = changes.notes[LAST_BACKUP_NOTE]
    seen = workbook.note(LAST_BACKUP_NOTE)  # as the read left it: no request
    try:
        apply_logged(workbook, changes, [event], meta)
    except BackendError as exc:
        # Google refuses a write whose note another backup created (or changed) since the read
        # whole, and the backend reads its notes again (one small request): then the event
        # goes alone and the note after it.
        if exc.status != 400 or workbook.note(LAST_BACKUP_NOTE) == seen:
            raise
        del changes.notes[LAST_BACKUP_NOTE]
        apply_logged(workbook, changes, [event], meta)
    sheets[METADATA] = with_row(meta, list(changes.appends[0][1][0]), len(meta.rows) + 1)
    keep_newest(workbook, note, event)


def keep_newest(workbook: Workbook, note: str, event: Event) -> None:
    """Leave the last-backup note naming ``event``'s backup or a newer one, whatever other
    backups write at the same time. A note write is a compare-and-set (Google: an update only
    where the note still holds the value last read, and its answer says what it holds now), so
    an older backup's write never replaces a newer one's; one that missed an older note is
    written again, one request. Backends that keep no notes have nothing to keep."""
    created = dt.datetime.fromisoformat(event.metadata["created"])
    for _ in range(NOTE_WRITES):
        there = workbook.note(LAST_BACKUP_NOTE)  # as our last write's answer left it
        if there is None or there == note or noted_created(there) >= created:
            return
        try:
            workbook.apply(ChangeSet().set_note(LAST_BACKUP_NOTE, note))
        except BackendError as exc:
            if exc.status != 400:  # 400: changed again since (the backend reads it anew)
                raise
    raise BackendError(f"backup {event.metadata['backup_id']} is made and logged, but the "
                       f"last-backup note changed under each of {NOTE_WRITES} writes of it; "
                       "`migrate status` may name an older backup until the next one")


def noted_created(note: str) -> dt.datetime:
    """When the backup a last-backup note names was created; a note edited by hand reads as
    older than any backup, so the next backup replaces it."""
    try:
        created = dt.datetime.fromisoformat(str(json.loads(note).get("created")))
    except (ValueError, AttributeError, TypeError):
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return created if created.tzinfo else created.replace(tzinfo=dt.UTC)


def create(workbook: Workbook, *, folder: str | None = None, label: str | None = None,
           verify: bool = False, dry_run: bool = False, now: dt.datetime | None = None,
           actor: str | None = None, progress: Progress | None = None,
           fingerprints: Fingerprinter = sheet_fingerprint) -> Backup:
    """A complete copy of ``workbook`` with its manifest, logged as BACKUP_CREATED.

    ``label`` defaults to the schema version. With ``verify`` the copy is read back and must
    equal the manifest (``VerificationError`` otherwise; the backup stays, marked failed).
    ``dry_run`` reads the workbook and checks the folder, and returns the backup it would make.
    ``fingerprints`` hashes each sheet for the manifest (a ``fingerprint.KeptHashes`` keeps
    what it hashed for the caller: a migration's protected regions are the same cells).
    """
    backup, _ = create_reading(workbook, store_for(workbook, folder), label=label, verify=verify,
                               dry_run=dry_run, now=now, actor=actor, progress=progress,
                               full=fingerprints)
    return backup


def create_reading(workbook: Workbook, store: BackupStore, *, label: str | None, verify: bool,
                   dry_run: bool, now: dt.datetime | None, actor: str | None,
                   progress: Progress | None, full: Fingerprinter = sheet_fingerprint,
                   logged: Mapping[str, Any] | None = None,
                   sheets: dict[str, Sheet] | None = None) -> tuple[Backup, dict[str, Sheet]]:
    """``create``, also handing back the sheets as they read afterwards (its event included):
    a restore writes over them. ``logged`` adds to the BACKUP_CREATED event's metadata;
    ``sheets`` is the workbook as just read inside ``exclusive()`` by the caller."""
    created = utc(now)
    if label is not None:
        check_label(label)
    with workbook.exclusive():
        read_here = sheets is None  # then nothing can come between this read and the copy
        if sheets is None:
            with reporting.phase(progress, "reading the workbook"):
                sheets = workbook.read()
        sheets = dict(sheets)
        if METADATA in sheets:
            metadata_columns(sheets[METADATA])  # a broken audit header fails before any copy
        version = schema_version(sheets)
        label = label or version
        with reporting.rows(progress, "fingerprinting", sheets) as done:
            manifest = Manifest.of(source_id=workbook.id, source_title=workbook.title,
                                   source_kind=workbook.kind, schema_version=version, label=label,
                                   created=created, sheets=sheets, progress=done, full=full)
        name = backup_name(workbook.title, label, created)
        if dry_run:
            store.check_folder()
            return Backup(id=name, name=name, created=created, label=label, schema_version=version,
                          source_id=workbook.id, source_title=workbook.title, verified=None,
                          manifest=manifest), sheets
        with reporting.phase(progress, f"copying to {store.folder}"):
            backup = Backup.of(store.copy(name, manifest.to_json(),
                                          {"label": label, "schema": version}))
        problems: list[str] = []
        if verify:
            problems = checked(store, backup, progress, read_here)
        with reporting.phase(progress, "recording the backup"):
            if verify:
                backup = Backup.of(store.record_verification(stored(backup), not problems))
            if METADATA in sheets:
                log(workbook, sheets, Event(
                    "BACKUP_CREATED", worker_nombre=actor or "spoolsheet", operacion="BACKUP",
                    accion="CREATE", metadata={
                        "backup_id": backup.id, "backup_name": backup.name,
                        "created": created.astimezone(dt.UTC).isoformat(), "label": label,
                        "schema_version": version, "fingerprint": manifest.fingerprint,
                        "sheets": len(manifest.sheets), "verified": backup.verified,
                        "folder": store.folder, **(logged or {})}))
    if problems:
        raise VerificationError(f"backup {backup.id} was made but does not match what was read "
                                f"({problems[0]}); did someone write during the copy? Create another")
    return backup, sheets


def stored(backup: Backup) -> StoredCopy:
    """The store's copy a found backup came from."""
    assert backup.stored is not None
    return backup.stored


def read(store: BackupStore, backup: Backup, progress: Progress | None) -> dict[str, Sheet]:
    """A backup's content: 1 read."""
    with reporting.phase(progress, f"reading backup {backup.name}"), \
            store.open(stored(backup)) as opened:
        return opened.read()


def checked(store: BackupStore, backup: Backup, progress: Progress | None,
            read_here: bool) -> list[str]:
    """A new copy's problems against its manifest. A copy that is byte for byte the file the
    manifest was fingerprinted from (``read_here``: read under the same lock as the copy, not
    handed in) reads as that read did: it needs no read of its own (on .xlsx: one byte
    comparison instead of a parse and a fingerprint of every sheet)."""
    with reporting.phase(progress, "comparing the copy with what was read"):
        if read_here and store.same_as_read(stored(backup)):
            return []
    return manifest_problems(backup, read(store, backup, progress), progress)


def manifest_problems(backup: Backup, content: Mapping[str, Sheet], progress: Progress | None,
                      full: Fingerprinter = sheet_fingerprint) -> list[str]:
    assert backup.manifest is not None
    with reporting.rows(progress, "checking", content) as done:
        return backup.manifest.check(content, done, full)
