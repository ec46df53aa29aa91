"""``restore``: roll the live workbook back to a backup, in place, without losing history.

What comes back is what the backend's store says (``BackupStore.restores``: on .xlsx every byte,
on Google values, formulas, cell formats, grids and sheet order). What is never rolled back:

- the audit log (Metadata): it is append-only. Events logged since the backup stay; the
  BACKUP_RESTORED event says what was rolled back and how many events were logged since.
- the migration run lock (``spoolsheet_lock``): a backup taken during a migration holds that
  run's lock; the live lock sheet is kept as it is, so a restore never brings back a held lock.
- the migration ledger's history: the ledger comes back as the backup had it (it must say the
  schema the workbook is at) plus one ``restored`` row naming the runs that were rolled back.

A run that stops after its safety backup leaves a BACKUP_CREATED event naming the restore; run
again, it names that same safety backup (the state before the first attempt) and, when the first
run's write had landed, does not write again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import ledger
from ..audit import Event, LoggedEvent, log_event, metadata_columns, read_events
from ..errors import CorruptWorkbook, SpoolsheetError, UsageError, VerificationError
from ..fingerprint import sheet_fingerprint
from ..progress import Progress
from ..schema import LOCK_SHEET, METADATA
from ..values import Cell, canonical
from ..workbook import ChangeSet, Sheet, SheetInfo, Workbook
from ..workbook.base import Backend, BackupNotFound, BackupStore
from ..workbook.blocks import differing_boxes
from . import reporting
from .catalog import find, store_for
from .comparing import Fingerprints, compare
from .creating import create_reading, manifest_problems, stored, with_row
from .manifest import Fingerprinter
from .model import Backup

SAFETY_LABEL = "pre-restore"
#: Sheets a restore keeps as they are live (never the backup's).
KEPT = (METADATA, LOCK_SHEET)


@dataclass
class RestoreReport:
    backup: Backup
    dry_run: bool
    safety_backup: Backup | None = None  # the state before the restore (the first attempt's)
    sheets_restored: list[str] = field(default_factory=list)  # content rewritten
    sheets_unchanged: list[str] = field(default_factory=list)
    sheets_added: list[str] = field(default_factory=list)  # in the backup, missing live
    sheets_removed: list[str] = field(default_factory=list)  # added live since the backup
    sheets_kept: list[str] = field(default_factory=list)  # kept as they were live (KEPT)
    events_kept: int = 0  # audit events logged since the backup, still in the log
    migrations_rolled_back: list[str] = field(default_factory=list)  # ledger runs undone
    forced: list[str] = field(default_factory=list)  # the backup's verification problems, if --force
    write_requests: int = 0  # 1: the restore was one atomic write
    already_restored: bool = False  # a previous run had landed: nothing was written
    resumed: bool = False  # a previous run had stopped after its safety backup
    restores: str = ""  # what this backend puts back

    def to_json(self) -> dict[str, Any]:
        """The shape ``backup restore --json`` prints."""
        return {
            "backup": self.backup.to_json(), "dry_run": self.dry_run,
            "safety_backup": self.safety_backup.to_json() if self.safety_backup else None,
            "sheets_restored": self.sheets_restored, "sheets_unchanged": self.sheets_unchanged,
            "sheets_added": self.sheets_added, "sheets_removed": self.sheets_removed,
            "sheets_kept": self.sheets_kept, "events_kept": self.events_kept,
            "migrations_rolled_back": self.migrations_rolled_back, "forced": self.forced,
            "write_requests": self.write_requests, "already_restored": self.already_restored,
            "resumed": self.resumed, "restores": self.restores,
        }


def _key(row: Sequence[Any]) -> list[Any]:
    out = [canonical(v) for v in row]
    while out and out[-1] is None:
        out.pop()
    return out


def rollback_changes(live: Mapping[str, Sheet], target: Mapping[str, Sheet],
                     full: Fingerprinter = sheet_fingerprint) -> ChangeSet:
    """The change set that turns ``live`` (as read) into ``target``: grids, cells and sheets.

    Sheets already equal are left alone; in the others every cell that differs, over both
    extents, is written (``None`` clears), so nothing of the live content survives and a few
    edits cost a few cells however large the sheet.
    """
    changes = ChangeSet()
    for title, sheet in target.items():
        info, cur = sheet.info, live.get(title)
        if cur is None:
            changes.add_sheet(title, info.rows, info.cols)
        elif full(cur) == full(sheet):
            continue
        else:
            changes.resize(title, info.rows, info.cols)
        for box in differing_boxes(sheet.rows, cur.rows if cur else [], rows=info.rows,
                                   cols=info.cols, key=_key):
            changes.set_block(title, box.top + 1, box.left + 1, [
                [sheet.cell(r, c) for c in range(box.left + 1, box.right + 1)]
                for r in range(box.top + 1, box.bottom + 1)])
    for title in live:
        if title not in target:
            changes.delete_sheet(title)
    return changes


def _target(live: Mapping[str, Sheet], content: Mapping[str, Sheet]) -> dict[str, Sheet]:
    """What the live workbook must become: the backup, with the KEPT sheets as they are live
    (the audit log re-created from the backup only if it is gone live)."""
    target: dict[str, Sheet] = {}
    for title, sheet in content.items():
        if title not in KEPT:
            target[title] = sheet
        elif title in live:
            target[title] = live[title]
        elif title == METADATA:
            target[title] = sheet
    for title in KEPT:
        if title in live and title not in target:
            target[title] = live[title]
    return target


def _events(sheets: Mapping[str, Sheet]) -> list[LoggedEvent]:
    return list(read_events(sheets[METADATA])) if METADATA in sheets else []


def _ledger_row(target: dict[str, Sheet], live: Mapping[str, Sheet], content: Mapping[str, Sheet],
                backup: Backup, safety: Backup, actor: str) -> list[str]:
    """When migrations ran (or were undone) since the backup: a ``restored`` row added to the
    ledger the backup brings back (in ``target``), naming them. Returns the runs rolled back."""
    before, now = content.get(ledger.LEDGER_SHEET), live.get(ledger.LEDGER_SHEET)
    if now is None or (before is not None and sheet_fingerprint(before) == sheet_fingerprint(now)):
        return []
    kept = len(ledger.read_ledger(content))
    undone = [f"{e.migration_id} {e.status} {e.applied_at}".strip()
              for e in ledger.read_ledger(live)[kept:]]
    changes = ChangeSet()
    row = ledger.record(changes, target, migration_id="restore", schema_version=backup.schema_version,
                        description=f"restored backup {backup.name}", status="restored",
                        applied_by=actor, backup_id=safety.id, checksum="",
                        details={"backup_id": backup.id, "rolled_back": undone})
    values = list(changes.blocks[-1].rows[0])
    sheet = target.get(ledger.LEDGER_SHEET)
    if sheet is None:
        header: list[Cell] = list(ledger.LEDGER_HEADERS)
        sheet = Sheet(SheetInfo(ledger.LEDGER_SHEET, 0, len(target), 100, len(header)), [header])
    target[ledger.LEDGER_SHEET] = with_row(sheet, values, row)
    return undone


def _event_row(target: dict[str, Sheet], event: Event) -> None:
    """The event in ``target`` at a fixed row after the log's last: the restore writes it there
    (idempotent, unlike an append)."""
    if METADATA in target:
        meta = target[METADATA]
        row = list(log_event(ChangeSet(), event, meta).appends[0][1][0])
        target[METADATA] = with_row(meta, row, len(meta.rows) + 1)


def restore(workbook: Workbook, backup_id: str, *, dry_run: bool = False, force: bool = False,
            folder: str | None = None, actor: str | None = None,
            progress: Progress | None = None) -> RestoreReport:
    """Roll ``workbook`` back to a backup (by id or name) in place (same file / spreadsheet id).

    Refuses another workbook's backup, an incomplete one, and (unless ``force``) one that fails
    its manifest. Takes a safety backup (label ``pre-restore``, logged), writes the backup back in
    one atomic write with a BACKUP_RESTORED event, keeping the audit log and the run lock, and
    verifies the result; a failure after the safety backup names it. Running it again after a
    crash is safe and names the first run's safety backup.
    """
    store = store_for(workbook, folder)
    backup = find(workbook, backup_id, folder=folder)
    if not backup.complete:
        raise UsageError(f"backup {backup.id} is {backup.problem}; it cannot be restored")
    try:
        with reporting.phase(progress, f"reading backup {backup.name}"), \
                store.open(stored(backup), for_restore=not dry_run) as staged:
            content = store.content(staged)
            return _Restore(workbook, store, folder, backup, content, force=force, actor=actor,
                            progress=progress).run(staged, dry_run=dry_run)
    except CorruptWorkbook as exc:
        raise CorruptWorkbook(f"backup {backup.id} cannot be read, nothing was changed ({exc})") from exc


class _Restore:
    """One restore run: what it read, and the steps from safety backup to verified result."""

    def __init__(self, workbook: Workbook, store: BackupStore, folder: str | None, backup: Backup,
                 content: dict[str, Sheet], *, force: bool, actor: str | None,
                 progress: Progress | None) -> None:
        self.workbook, self.store, self.folder = workbook, store, folder
        self.backup, self.content = backup, content
        self.actor, self.progress, self.full = actor or "spoolsheet", progress, Fingerprints()
        self.report = RestoreReport(backup, False, restores=store.restores)
        problems = manifest_problems(backup, content, progress, self.full)
        if problems and not force:
            raise VerificationError(f"backup {backup.id} does not match its manifest ({problems[0]}); "
                                    "refusing to restore it (--force restores it anyway)")
        self.report.forced = problems
        if METADATA in content:
            metadata_columns(content[METADATA])  # the restore's event must fit, before any write

    def _describe(self, live: Mapping[str, Sheet]) -> None:
        r, full = self.report, self.full
        r.sheets_restored, r.sheets_unchanged, r.sheets_added = [], [], []
        for title, sheet in self.content.items():
            if title in KEPT:
                continue
            if title not in live:
                r.sheets_added.append(title)
            elif full(live[title]) == full(sheet):
                r.sheets_unchanged.append(title)
            else:
                r.sheets_restored.append(title)
        r.sheets_removed = [t for t in live if t not in self.content and t not in KEPT]
        r.sheets_kept = [t for t in KEPT if t in live]
        since = len(_events(self.content)) if METADATA in self.content else 0
        r.events_kept = max(0, len(_events(live)) - since)

    def _previous(self, events: list[LoggedEvent]) -> tuple[LoggedEvent | None, LoggedEvent | None]:
        """The last landed restore of this backup, and a safety backup of a run that stopped."""
        landed = pending = None
        restored = set()
        for e in events:
            if e.evento_tipo == "BACKUP_RESTORED" and e.metadata.get("backup_id") == self.backup.id:
                landed = e
                restored.add(e.metadata.get("safety_backup_id"))
            elif e.evento_tipo == "BACKUP_CREATED" and e.metadata.get("restoring") == self.backup.id:
                pending = e
        if pending is not None and pending.metadata.get("backup_id") in restored:
            pending = None
        return landed, pending

    def _find(self, backup_id: object) -> Backup | None:
        try:
            found = find(self.workbook, str(backup_id), folder=self.folder)
        except BackupNotFound:
            return None
        return found if found.complete else None

    def run(self, staged: Backend, *, dry_run: bool) -> RestoreReport:
        report = self.report
        report.dry_run = dry_run
        with self.workbook.exclusive():
            with reporting.phase(self.progress, "reading the workbook"):
                live = self.workbook.read()
            self._describe(live)
            if dry_run:
                return report
            landed, pending = self._previous(_events(live))
            target = _target(live, self.content)
            if landed is not None and not rollback_changes(
                    {t: s for t, s in live.items() if t != ledger.LEDGER_SHEET},
                    {t: s for t, s in target.items() if t != ledger.LEDGER_SHEET}, self.full):
                report.already_restored = True
                report.safety_backup = self._find(landed.metadata.get("safety_backup_id"))
                return report
            safety = self._find(pending.metadata.get("backup_id")) if pending else None
            report.resumed = safety is not None
            if safety is None:
                safety, live = create_reading(
                    self.workbook, self.store, label=SAFETY_LABEL, verify=False, dry_run=False,
                    now=None, actor=self.actor, progress=self.progress, full=self.full,
                    sheets=live, logged={"restoring": self.backup.id,
                                         "restoring_name": self.backup.name})
            report.safety_backup = safety
            try:
                return self._write(staged, live, safety)
            except SpoolsheetError as exc:
                if f"safety backup {safety.id}" not in str(exc):
                    exc.args = (f"{exc}; the state before the restore is in safety backup "
                                f"{safety.id} ({safety.name})",)
                raise

    def _write(self, staged: Backend, live: dict[str, Sheet], safety: Backup) -> RestoreReport:
        report, backup = self.report, self.backup
        assert backup.manifest is not None
        target = _target(live, self.content)
        report.migrations_rolled_back = _ledger_row(
            target, live, self.content, backup, safety, self.actor)
        event = Event("BACKUP_RESTORED", worker_nombre=self.actor, operacion="BACKUP",
                      accion="RESTORE", metadata={
                          "backup_id": backup.id, "backup_name": backup.name,
                          "fingerprint": backup.manifest.fingerprint,
                          "safety_backup_id": safety.id, "safety_backup_name": safety.name,
                          "sheets_restored": report.sheets_restored,
                          "sheets_added": report.sheets_added,
                          "sheets_removed": report.sheets_removed,
                          "sheets_kept": report.sheets_kept,
                          "events_since_backup_kept": report.events_kept,
                          "migrations_rolled_back": report.migrations_rolled_back,
                          "resumed": report.resumed, "forced": bool(report.forced)})
        _event_row(target, event)
        live_changes = rollback_changes(live, target, self.full)
        backup_changes = rollback_changes(self.content, target, self.full)
        writes = self.workbook.stats.writes
        with reporting.phase(self.progress, "writing the workbook"):
            rolled = self.store.roll_back(staged, live_changes, backup_changes, target,
                                          kept=[t for t in KEPT if t in target])
        report.write_requests = self.workbook.stats.writes - writes
        result = compare(target, rolled.sheets, what="the restored workbook", full=self.full)
        problems = result.problems + rolled.problems
        if problems:
            raise VerificationError(f"the restore of backup {backup.id} was written but the result "
                                    f"differs ({problems[0]})")
        return report

