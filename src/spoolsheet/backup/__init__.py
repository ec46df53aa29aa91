"""Backups an admin can trust: create, verify, list, prune and restore (roll back) a workbook.

A backup is a complete copy of the workbook (every sheet, values and formulas, grid sizes) with a
manifest stored beside it (``manifest.py``). Its stores (``store_xlsx.py``, ``store_google.py``)
know where copies live; this module holds what a backup must prove, once for both backends:

- ``create`` reads the workbook once, copies it, optionally reads the copy back to verify it,
  and logs ``BACKUP_CREATED`` in Metadata. Google: 3 requests, 5 with ``verify``.
- ``verify`` checks a backup against its manifest (and with ``against_source`` against the live
  workbook, cell by cell). Google: 3 requests, 4 against the source.
- ``restore`` rolls the live workbook back in place: a safety backup first, then one atomic
  write (Google: one ``batchUpdate`` while it fits Google's 10 MB per request, several in order
  past that; .xlsx: one rename), then a check that the result equals the backup. Google: 4 requests besides the safety backup's copy (its read is the one the
  write starts from).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.progress import Progress

from ..audit import Event, log_event, metadata_columns
from ..errors import CorruptWorkbook, UsageError, VerificationError
from ..fingerprint import CellDifference, differences, sheet_fingerprint
from ..ledger import schema_version
from ..schema import METADATA
from ..workbook import ChangeSet, Sheet, SheetInfo, Workbook
from ..workbook.base import trim
from .manifest import Fingerprinter, Manifest, ManifestError, SheetEntry
from .store import Backup, BackupNotFound, BackupStore, ForeignBackup, backup_name, check_label
from .store_google import GoogleStore
from .store_xlsx import XlsxStore

__all__ = [
    "Backup",
    "BackupNotFound",
    "ForeignBackup",
    "Manifest",
    "ManifestError",
    "RestoreReport",
    "SheetEntry",
    "VerifyReport",
    "create",
    "ensure_verified",
    "find",
    "list_backups",
    "prune",
    "restore",
    "store_for",
    "verify",
]

#: Cell differences reported per sheet, and in all.
DIFFERENCES_PER_SHEET = 5
DIFFERENCES_TOTAL = 20
SAFETY_LABEL = "pre-restore"


def store_for(workbook: Workbook, folder: str | None = None) -> BackupStore:
    """The store of ``workbook``'s backups in ``folder`` (default: the backend's own default)."""
    return (XlsxStore if workbook.kind == "xlsx" else GoogleStore)(workbook, folder)


def _utc(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now


@contextmanager
def _phase(progress: Progress | None, description: str) -> Iterator[None]:
    """One step of long work on the progress bar (a no-op without one)."""
    task = progress.add_task(description, total=None) if progress else None
    yield
    if progress is not None and task is not None:
        progress.update(task, total=1, completed=1)


def _rows_tracker(progress: Progress | None, description: str,
                  sheets: Mapping[str, Sheet]) -> Callable[[Sheet], None] | None:
    """A callback advancing a bar by each sheet's rows as it is checked."""
    if progress is None:
        return None
    task = progress.add_task(description, total=sum(len(s.rows) for s in sheets.values()) or 1)
    return lambda sheet: progress.advance(task, len(sheet.rows) or 0)


# --- comparing ---------------------------------------------------------------------------------

class Fingerprints:
    """``sheet_fingerprint`` computed once per sheet as read: a restore compares each sheet
    against the manifest, the live workbook and the result, and hashing 50,000 rows is not free."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Sheet, str]] = {}

    def __call__(self, sheet: Sheet) -> str:
        hit = self._seen.get(id(sheet))
        if hit is None or hit[0] is not sheet:
            hit = self._seen[id(sheet)] = (sheet, sheet_fingerprint(sheet))
        return hit[1]


@dataclass
class Comparison:
    problems: list[str] = field(default_factory=list)
    differences: list[CellDifference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def compare(expected: Mapping[str, Sheet], found: Mapping[str, Sheet], *, what: str,
            audit_may_grow: bool = False, full: Fingerprinter = sheet_fingerprint) -> Comparison:
    """Sheet by sheet, then cell by cell where a sheet differs; ``what`` names ``found``,
    ``expected`` is a backup's content.

    With ``audit_may_grow``, Metadata rows added after the expected ones are a note, not a
    problem (the audit log only grows: a backup is older than the live log).
    """
    out = Comparison()
    for title, want in expected.items():
        got = found.get(title)
        if got is None:
            out.problems.append(f"sheet {title!r} is missing in {what}")
            continue
        if full(want) == full(got):
            continue
        if audit_may_grow and title == METADATA and len(got.rows) > len(want.rows):
            head = Sheet(want.info, got.rows[:len(want.rows)])
            if sheet_fingerprint(head, grid=False) == sheet_fingerprint(want, grid=False):
                out.notes.append(f"sheet {title!r}: {len(got.rows) - len(want.rows)} audit rows "
                                 f"added in {what} since")
                continue
        if (want.info.rows, want.info.cols) != (got.info.rows, got.info.cols):
            out.problems.append(f"sheet {title!r}: grid is {got.info.rows}x{got.info.cols} in "
                                f"{what}, {want.info.rows}x{want.info.cols} expected")
        cells = differences(want, got, limit=DIFFERENCES_PER_SHEET)
        if cells:
            out.problems.append(f"sheet {title!r}: cells differ in {what}, first at {cells[0]}")
            out.differences += cells[:max(0, DIFFERENCES_TOTAL - len(out.differences))]
        elif (want.info.rows, want.info.cols) == (got.info.rows, got.info.cols):
            out.problems.append(f"sheet {title!r}: fingerprint differs in {what}")
    out.problems += [f"sheet {t!r} is in {what} but not in the backup" for t in found
                     if t not in expected]
    return out


# --- finding -----------------------------------------------------------------------------------

def find(workbook: Workbook, backup_id: str, *, folder: str | None = None) -> Backup:
    """The backup ``backup_id`` of this workbook; unknown ids and other workbooks' backups raise."""
    backup = store_for(workbook, folder).get(backup_id)
    if backup.source_id and backup.source_id != workbook.id:
        raise ForeignBackup(f"backup {backup.id} was made from {backup.source_title or 'another workbook'} "
                            f"({backup.source_id}), not from this workbook {workbook.title} ({workbook.id})")
    return backup


def list_backups(workbook: Workbook, *, folder: str | None = None) -> list[Backup]:
    """This workbook's backups, newest first (incomplete ones included, marked)."""
    return sorted(store_for(workbook, folder).list(), key=lambda b: (b.created, b.name), reverse=True)


# --- creating ----------------------------------------------------------------------------------

def create(workbook: Workbook, *, folder: str | None = None, label: str | None = None,
           verify: bool = False, dry_run: bool = False, now: dt.datetime | None = None,
           actor: str | None = None, progress: Progress | None = None) -> Backup:
    """A complete copy of ``workbook`` with its manifest, logged as BACKUP_CREATED.

    ``label`` defaults to the schema version. With ``verify`` the copy is read back and must
    equal the manifest (``VerificationError`` otherwise; the backup stays, marked failed).
    ``dry_run`` reads the workbook and checks the folder, and returns the backup it would make.
    """
    backup, _ = _create(workbook, store_for(workbook, folder), label=label, verify=verify,
                        dry_run=dry_run, now=now, actor=actor, progress=progress)
    return backup


def _create(workbook: Workbook, store: BackupStore, *, label: str | None, verify: bool,
            dry_run: bool, now: dt.datetime | None, actor: str | None,
            progress: Progress | None, log: bool = True,
            full: Fingerprinter = sheet_fingerprint) -> tuple[Backup, dict[str, Sheet]]:
    """``create``, also handing back the sheets it read (restore writes over them)."""
    created = _utc(now)
    if label is not None:
        check_label(label)
    with workbook.exclusive():
        with _phase(progress, "reading the workbook"):
            sheets = workbook.read()
        if log and METADATA in sheets:
            metadata_columns(sheets[METADATA])  # a broken audit header fails before any copy
        version = schema_version(sheets)
        label = label or version
        manifest = Manifest.of(source_id=workbook.id, source_title=workbook.title,
                               source_kind=workbook.kind, schema_version=version, label=label,
                               created=created, sheets=sheets,
                               progress=_rows_tracker(progress, "fingerprinting", sheets), full=full)
        name = backup_name(workbook.title, label, created)
        if dry_run:
            store.check_folder()
            return Backup(id=name, name=name, created=created, label=label, schema_version=version,
                          source_id=workbook.id, source_title=workbook.title, verified=None,
                          manifest=manifest), sheets
        with _phase(progress, f"copying to {store.describe_folder()}"):
            backup = store.copy(name, manifest)
        problems: list[str] = []
        if verify:
            problems = _manifest_problems(backup, _read(store, backup, progress), progress)
            backup = store.record_verification(backup, not problems)
        if log and METADATA in sheets:
            event = Event("BACKUP_CREATED", worker_nombre=actor or "spoolsheet", operacion="BACKUP",
                          accion="CREATE", metadata={
                              "backup_id": backup.id, "backup_name": backup.name, "label": label,
                              "schema_version": version, "fingerprint": manifest.fingerprint,
                              "sheets": len(manifest.sheets), "verified": backup.verified,
                              "folder": store.describe_folder()})
            workbook.apply(log_event(ChangeSet(), event, sheets[METADATA]))
    if problems:
        raise VerificationError(f"backup {backup.id} was made but does not match what was read "
                                f"({problems[0]}); did someone write during the copy? Create another")
    return backup, sheets


# --- verifying ---------------------------------------------------------------------------------

@dataclass
class VerifyReport:
    """What ``verify`` found. ``ok`` is about the backup against its manifest (and the source)."""

    backup: Backup
    sheets_checked: int = 0
    problems: list[str] = field(default_factory=list)
    differences: list[CellDifference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    against_source: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_mismatch(self) -> VerifyReport:
        if not self.ok:
            raise VerificationError(f"backup {self.backup.id} failed verification: "
                                    + "; ".join(self.problems[:3]))
        return self


def _read(store: BackupStore, backup: Backup, progress: Progress | None) -> dict[str, Sheet]:
    with _phase(progress, f"reading backup {backup.name}"), store.open(backup) as wb:
        return wb.read()


def _manifest_problems(backup: Backup, content: Mapping[str, Sheet], progress: Progress | None,
                       full: Fingerprinter = sheet_fingerprint) -> list[str]:
    assert backup.manifest is not None
    return backup.manifest.check(content, _rows_tracker(progress, "checking", content), full)


def verify(workbook: Workbook, backup_id: str, *, against_source: bool = False,
           folder: str | None = None, progress: Progress | None = None) -> VerifyReport:
    """Check a backup against its manifest and record the result with it; ``against_source``
    also compares it with the live workbook cell by cell (Metadata may have grown since)."""
    store = store_for(workbook, folder)
    backup = find(workbook, backup_id, folder=folder)
    report = VerifyReport(backup, against_source=against_source)
    if not backup.complete:
        report.problems.append(f"backup {backup.id} is {backup.problem}")
        return report
    content = None
    try:
        content = _read(store, backup, progress)
    except CorruptWorkbook as exc:
        report.problems.append(str(exc))
    else:
        report.sheets_checked = len(content)
        report.problems += _manifest_problems(backup, content, progress)
    report.backup = store.record_verification(backup, report.ok)
    if against_source and content is not None:
        with _phase(progress, "reading the live workbook"):
            live = workbook.read()
        found = compare(content, live, what="the live workbook", audit_may_grow=True)
        report.problems += found.problems
        report.differences += found.differences
        report.notes += found.notes
    return report


def ensure_verified(workbook: Workbook, backup_id: str, *, folder: str | None = None) -> Backup:
    """The backup, once it has verified against its manifest; ``VerificationError`` otherwise."""
    return verify(workbook, backup_id, folder=folder).raise_for_mismatch().backup


# --- pruning -----------------------------------------------------------------------------------

def prune(workbook: Workbook, *, keep_last: int = 5, max_age_days: float = 30,
          dry_run: bool = False, now: dt.datetime | None = None,
          folder: str | None = None) -> list[Backup]:
    """Remove backups beyond the newest ``keep_last`` that are older than ``max_age_days``.

    The newest verified backup always stays. Google moves backups to the trash (recoverable for
    30 days); .xlsx deletes the file and its sidecar. Returns what was (or would be) removed.
    """
    if keep_last < 0:
        raise UsageError(f"--keep-last must be 0 or more, got {keep_last}")
    if max_age_days < 0:
        raise UsageError(f"--max-age must be 0 or more days, got {max_age_days}")
    store = store_for(workbook, folder)
    backups = list_backups(workbook, folder=folder)
    newest_verified = next((b for b in backups if b.verified), None)
    limit = _utc(now) - dt.timedelta(days=max_age_days)
    doomed = [b for b in backups[keep_last:] if b.created < limit and b is not newest_verified]
    if not dry_run:
        for backup in doomed:
            store.remove(backup)
    return doomed


# --- restoring ---------------------------------------------------------------------------------

@dataclass
class RestoreReport:
    backup: Backup
    dry_run: bool
    safety_backup: Backup | None = None
    sheets_restored: list[str] = field(default_factory=list)  # content rewritten
    sheets_unchanged: list[str] = field(default_factory=list)
    sheets_added: list[str] = field(default_factory=list)  # in the backup, missing live
    sheets_removed: list[str] = field(default_factory=list)  # added live since the backup
    forced: list[str] = field(default_factory=list)  # the backup's verification problems, if --force
    write_requests: int = 0  # 1: the restore was one atomic write


def rollback_changes(live: Mapping[str, Sheet], content: Mapping[str, Sheet],
                     full: Fingerprinter = sheet_fingerprint) -> ChangeSet:
    """The change set that turns ``live`` (as read) into ``content``: grids, cells and sheets.

    Sheets already equal are left alone; in the others every cell over both extents is written
    (``None`` clears), so nothing of the live content survives.
    """
    changes = ChangeSet()
    for title, sheet in content.items():
        info, cur = sheet.info, live.get(title)
        if cur is None:
            changes.add_sheet(title, info.rows, info.cols)
            extent = sheet
        elif full(cur) == full(sheet):
            continue
        else:
            changes.resize(title, info.rows, info.cols)
            extent = cur
        height = min(max(len(extent.rows), len(sheet.rows)), info.rows)
        width = min(max((len(r) for r in extent.rows + sheet.rows), default=0), info.cols)
        if height and width:
            changes.set_block(title, 1, 1, [[sheet.cell(r, c) for c in range(1, width + 1)]
                                            for r in range(1, height + 1)])
    for title in live:
        if title not in content:
            changes.delete_sheet(title)
    return changes


def _with_event(content: Mapping[str, Sheet], event: Event) -> tuple[dict[str, Sheet], ChangeSet]:
    """The event written at a fixed row after the backup's audit rows (idempotent, unlike an
    append), and the sheets the live workbook must then equal."""
    expected = dict(content)
    if METADATA not in content:
        return expected, ChangeSet()
    meta = content[METADATA]
    row = list(log_event(ChangeSet(), event, meta).appends[0][1][0])
    while row and row[-1] is None:
        row.pop()
    at = len(meta.rows) + 1
    info = meta.info
    expected[METADATA] = Sheet(SheetInfo(info.title, info.sheet_id, info.index, max(info.rows, at),
                                         max(info.cols, len(row))), trim(meta.rows + [row]))
    return expected, ChangeSet().set_row(METADATA, at, 1, row)


def restore(workbook: Workbook, backup_id: str, *, dry_run: bool = False, force: bool = False,
            folder: str | None = None, actor: str | None = None,
            progress: Progress | None = None) -> RestoreReport:
    """Roll ``workbook`` back to a backup in place (same file / spreadsheet id).

    Refuses another workbook's backup, an incomplete one, and (unless ``force``) one that fails
    its manifest. Takes a safety backup (label ``pre-restore``), writes the backup back in one
    atomic write with a BACKUP_RESTORED event, and verifies the result; a mismatch raises
    ``VerificationError`` naming the safety backup. Running it again after a crash is safe.
    """
    store = store_for(workbook, folder)
    backup = find(workbook, backup_id, folder=folder)
    if not backup.complete:
        raise UsageError(f"backup {backup.id} is {backup.problem}; it cannot be restored")
    assert backup.manifest is not None
    try:
        with _phase(progress, f"reading backup {backup.name}"), \
                store.open(backup, for_restore=not dry_run) as staged:
            content = staged.read()
            return _restore(workbook, store, backup, staged, content, dry_run=dry_run,
                            force=force, actor=actor, progress=progress)
    except CorruptWorkbook as exc:
        raise CorruptWorkbook(f"backup {backup.id} cannot be read, nothing was changed ({exc})") from exc


def _restore(workbook: Workbook, store: BackupStore, backup: Backup, staged: Workbook,
             content: dict[str, Sheet], *, dry_run: bool, force: bool, actor: str | None,
             progress: Progress | None) -> RestoreReport:
    assert backup.manifest is not None
    report, full = RestoreReport(backup, dry_run), Fingerprints()
    problems = _manifest_problems(backup, content, progress, full)
    if problems and not force:
        raise VerificationError(f"backup {backup.id} does not match its manifest ({problems[0]}); "
                                "refusing to restore it (--force restores it anyway)")
    report.forced = problems
    if METADATA in content:
        metadata_columns(content[METADATA])  # the restore's event must fit, before any write
    with workbook.exclusive():
        if dry_run:
            live = workbook.read()
        else:
            report.safety_backup, live = _create(workbook, store, label=SAFETY_LABEL, verify=False,
                                                 dry_run=False, now=None, actor=actor,
                                                 progress=progress, log=False, full=full)
        for title, sheet in content.items():
            if title not in live:
                report.sheets_added.append(title)
            elif full(live[title]) == full(sheet):
                report.sheets_unchanged.append(title)
            else:
                report.sheets_restored.append(title)
        report.sheets_removed = [t for t in live if t not in content]
        if dry_run:
            return report
        safety = report.safety_backup
        assert safety is not None
        event = Event("BACKUP_RESTORED", worker_nombre=actor or "spoolsheet", operacion="BACKUP",
                      accion="RESTORE", metadata={
                          "backup_id": backup.id, "backup_name": backup.name,
                          "fingerprint": backup.manifest.fingerprint,
                          "safety_backup_id": safety.id, "safety_backup_name": safety.name,
                          "sheets_restored": report.sheets_restored,
                          "sheets_added": report.sheets_added,
                          "sheets_removed": report.sheets_removed, "forced": bool(problems)})
        expected, extra = _with_event(content, event)
        writes = workbook.stats.writes
        with _phase(progress, "writing the workbook"):
            after = store.roll_back(staged, content, rollback_changes(live, content, full), extra)
        report.write_requests = workbook.stats.writes - writes
        result = compare(expected, after, what="the restored workbook", full=full)
    if result.problems:
        raise VerificationError(f"the restore of backup {backup.id} was written but the result "
                                f"differs ({result.problems[0]}); the state before the restore "
                                f"is in safety backup {safety.id}")
    return report
