"""The machinery: plan, lock, back up, apply atomically, verify, record, resume and roll back.

It knows nothing of any one migration: it finds them in the registry, asks each for its
pre-conditions (``check``), its change (``upgrade``/``downgrade``) and its checks (``verify``),
and does everything else itself.

Requests of ``up`` on Google (excluding the backup's own), whatever the number of rows:
read the workbook (1) → append our lock row (1) → [backup] → read again: confirm the lock and
plan on fresh data (1) → the change + ledger row "applied" + Metadata event, one atomic
batchUpdate (1) → read it back and verify (1) → ledger "verified" + lock release (1): 6.
On .xlsx the run holds the file lock throughout; the change, its ledger row and its event are
one atomic save, verified on its expected result before the save and from the saved workbook
after it: one load and one save.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import Any

from .. import ledger
from ..audit import Event, log_event
from ..errors import ConflictError, SchemaError, SpoolsheetError, UsageError, VerificationError
from ..ledger import schema_version as version_of
from ..schema import METADATA
from ..workbook import Workbook
from ..workbook.base import Sheet
from ..workbook.changes import ChangeSet
from ..workbook.retry import AmbiguousWriteError
from .backups import Backups
from .lock import DEFAULT_TTL, LOCK_SHEET, RunLock, acquire, default_actor, holder, needs_state_read
from .preview import describe, fingerprints, overwrites, region_problems, regions, simulate
from .registry import applied_count, chain, checksum, find, index
from .steps import Step

Progress = Callable[[str], None]


def _applied_count(sheets: Mapping[str, Sheet]) -> int:
    """How many chain migrations the workbook's version includes."""
    return applied_count(version_of(sheets))


def _pending(sheets: Mapping[str, Sheet], to: str | None) -> list[ModuleType]:
    done = _applied_count(sheets)
    stop = len(chain()) if to is None else index(to) + 1
    return chain()[done:stop]


def _unverified(sheets: Mapping[str, Sheet]) -> list[ledger.LedgerEntry]:
    """Runs whose change landed but whose verification never finished (a run was killed)."""
    last: dict[str, ledger.LedgerEntry] = {}
    for entry in ledger.read_ledger(sheets):
        last[entry.migration_id] = entry
    return [e for e in last.values() if e.status == "applied"]


# --- reports ---------------------------------------------------------------------------------

@dataclass
class PlannedMigration:
    id: str
    description: str
    version_from: str
    version_to: str
    steps: list[Step]
    writes: list[str]
    #: The change and the sheets it is expected to leave (the run writes this plan's change).
    changes: ChangeSet = field(default_factory=ChangeSet, repr=False)
    predicted: dict[str, Sheet] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description, "from": self.version_from,
                "to": self.version_to, "steps": [s.text for s in self.steps],
                "write": self.writes}


@dataclass
class Plan:
    """What a run would do: nothing here has been written."""

    workbook: str
    kind: str
    direction: str
    version: str
    target: str
    migrations: list[PlannedMigration]
    resume: list[str]
    requests: list[str]
    lock: str | None

    def __bool__(self) -> bool:
        return bool(self.migrations or self.resume)

    def key(self) -> list[tuple[str, list[str]]]:
        """The structural content an admin confirmed (counts may move with the shop's work)."""
        return [(m.id, [s.text for s in m.steps if s.structural]) for m in self.migrations]

    def as_dict(self) -> dict[str, Any]:
        return {"workbook": self.workbook, "kind": self.kind, "direction": self.direction,
                "version": self.version, "target": self.target,
                "migrations": [m.as_dict() for m in self.migrations], "resume": self.resume,
                "requests": self.requests, "lock": self.lock}


@dataclass
class RunReport:
    action: str
    version_before: str
    version_after: str
    plan: Plan
    dry_run: bool = False
    applied: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)
    backup_id: str | None = None
    requests: dict[str, int] = field(default_factory=dict)
    backup_requests: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.verified)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["plan"] = self.plan.as_dict()
        return out


@dataclass
class VerifyReport:
    version: str
    checked: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Status:
    workbook: str
    kind: str
    version: str
    pending: list[str]
    history: list[ledger.LedgerEntry]
    unverified: list[str]
    last_backup: str | None
    lock: str | None
    checksum_mismatch: list[str]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["history"] = [{k: v for k, v in asdict(e).items() if k != "details"}
                          for e in self.history]
        return out


# --- planning --------------------------------------------------------------------------------

def _requests(file_lock: bool, migrations: Sequence[PlannedMigration],
              resume: Sequence[str], backup: bool) -> list[str]:
    """The requests of a run, as an admin reads them: with a run-long file lock (.xlsx) a run
    is one load and one save per migration; with the lock in the workbook (Google) it reads and
    writes around each step."""
    if file_lock:
        out = ["1 load of the file (this plan); the file lock is held for the whole run"]
        out += ["backup: a verified copy of the file"] if backup else []
        out += [f"1 atomic save: {m.id} ({'; '.join(m.writes)})" for m in migrations]
        out += ["1 atomic save: record the resumed runs as verified"] if resume and not migrations else []
        return out
    out = ["1 read: the whole workbook (this plan)",
           f"1 write: append this run's row to {LOCK_SHEET!r} (take the lock)"]
    out += ["backup: its own requests (a Drive copy, then reading it back)"] if backup else []
    out += ["1 read: confirm the lock, plan again on fresh data"]
    for m in migrations:
        out += [f"1 write: one atomic batchUpdate for {m.id}: {'; '.join(m.writes)}",
                "1 read: read it back and verify"]
    out += ["1 write: record the result in the ledger and release the lock"]
    return out


def _plan(workbook: Workbook, sheets: Mapping[str, Sheet], todo: Sequence[ModuleType],
          direction: str, *, force: bool = False, resume: Sequence[str] = (),
          backups: Backups | None = None) -> Plan:
    """Plan ``todo`` on ``sheets`` (each migration on the expected result of the previous)."""
    version = version_of(sheets)
    if METADATA not in sheets:
        raise SchemaError(f"sheet {METADATA!r} not found: migrations log to it")
    planned, current, expect = [], dict(sheets), version
    for m in todo:
        if direction == "up":
            if m.revises != expect:
                raise SchemaError(f"{m.id} upgrades from {m.revises}, but the workbook is at {expect}")
            expect = m.version
            steps = m.check(current) or [Step("already in place: record it in the ledger only",
                                              change=False)]
            changes = m.upgrade(current)
            frm, to = m.revises, m.version
        else:
            changes = m.downgrade(current, force)
            steps = [Step(line) for line in describe(changes, current)] or [
                Step("columns already gone: record the revert only", change=False)]
            frm, to = m.version, m.revises
        predicted = simulate(current, changes)
        planned.append(PlannedMigration(m.id, m.description, frm, to, steps,
                                        describe(changes, current) or ["nothing but the ledger"],
                                        changes, predicted))
        current = predicted
    target = planned[-1].version_to if planned else version
    held = holder(workbook, sheets)
    return Plan(workbook.title, workbook.kind, direction, version, target, planned, list(resume),
                _requests(not needs_state_read(workbook), planned, resume,
                          bool(planned) and backups is not None),
                held.describe() if held else None)


def plan(workbook: Workbook, *, to: str | None = None, backups: Backups | None = None) -> Plan:
    """The dry run of ``up``: the exact changes and the requests it will make; writes nothing.

    ``backups``: the backup feature ``up`` would be given (its requests are then in the plan).
    """
    sheets = workbook.read()
    return _plan(workbook, sheets, _pending(sheets, to), "up",
                 resume=[f"verify {e.migration_id} (ledger row {e.row})" for e in _unverified(sheets)],
                 backups=backups)


# --- running ---------------------------------------------------------------------------------

class _Run:
    """One locked run: backup, then each migration written, verified and recorded."""

    def __init__(self, workbook: Workbook, action: str, *, actor: str | None,
                 progress: Progress | None) -> None:
        self.workbook, self.action = workbook, action
        self.actor = actor or default_actor()
        self.token = str(uuid.uuid4())
        self.progress = progress or (lambda step: None)
        self.started = time.monotonic()
        self.stats0 = workbook.stats.snapshot()
        self.backup_stats: dict[str, int] = {"reads": 0, "writes": 0, "retries": 0}
        self.backup_id: str | None = None
        self.final = ChangeSet()

    def step(self, name: str) -> None:
        self.progress(name)

    def requests(self) -> dict[str, int]:
        now = self.workbook.stats.snapshot()
        return {k: now[k] - self.stats0[k] - self.backup_stats[k] for k in now}

    def backup(self, backups: Backups | None, backup_id: str | None, folder: str | None) -> None:
        """Take a verified backup, or check that ``backup_id`` is of this workbook and matches
        it as it is now (done before the lock is taken: the lock itself changes the workbook)."""
        if backups is None:
            if backup_id:
                raise UsageError(f"backup {backup_id} given, but no backup feature to check it "
                                 "with (pass backups=spoolsheet.backup)")
            return
        before = self.workbook.stats.snapshot()
        try:
            if backup_id:
                report = backups.verify(self.workbook, backup_id, against_source=True, folder=folder)
                if not report.ok:
                    raise VerificationError(
                        f"backup {backup_id} does not match the workbook as it is now: "
                        + "; ".join(report.problems[:3])
                        + "; take a fresh backup (leave out --backup-id)")
                self.backup_id = backup_id
            else:
                # create(verify=True) raises VerificationError unless the copy verified
                self.backup_id = backups.create(self.workbook, folder=folder,
                                                label=f"pre-{self.action}", verify=True,
                                                actor=self.actor).id
        finally:
            after = self.workbook.stats.snapshot()
            self.backup_stats = {k: self.backup_stats[k] + after[k] - before[k] for k in after}
        self.step(f"backup done: {self.backup_id}")

    def write(self, changes: ChangeSet) -> dict[str, Sheet] | None:
        """Apply ``changes``; after an ambiguous failure, re-read and tell whether it landed."""
        try:
            self.workbook.apply(changes)
            return None
        except AmbiguousWriteError:
            sheets = self.workbook.read()
            if any(e.details.get("run") == self.token for e in ledger.read_ledger(sheets)):
                return sheets
            raise

    def event(self, changes: ChangeSet, sheets: Mapping[str, Sheet], kind: str,
              migration: ModuleType, **meta: Any) -> None:
        log_event(changes, Event(kind, worker_nombre=self.actor, operacion="MIGRATION",
                                 accion=migration.id,
                                 metadata={"migration_id": migration.id, "run": self.token,
                                           "backup_id": self.backup_id, **meta}),
                  sheets[METADATA])


def _verify_resumed(run: _Run, sheets: Mapping[str, Sheet], lock: RunLock) -> list[str]:
    """Finish the verification of runs that landed but were never verified."""
    done = []
    for entry in _unverified(sheets):
        m = find(entry.migration_id)
        problems = region_problems(entry.details.get("regions", {}), sheets)
        problems += m.verify(None, sheets) if m is not None else []
        status = "verify_failed" if problems else "verified"
        ledger.update(run.final, sheets, entry.row, status=status,
                      details={**entry.details, "problems": problems} if problems else None)
        if problems:
            lock.release_into(run.final)
            run.workbook.apply(run.final)
            raise VerificationError(f"{entry.migration_id} (ledger row {entry.row}) landed but "
                                    "does not verify: " + "; ".join(problems))
        done.append(entry.migration_id)
    return done


def _apply_one(run: _Run, lock: RunLock, m: ModuleType, sheets: Mapping[str, Sheet],
               planned: PlannedMigration) -> dict[str, Sheet]:
    """Write one planned migration (change + ledger row + event, atomically), read it back,
    verify. ``planned`` was made on ``sheets``."""
    changes, predicted, steps = planned.changes, planned.predicted, planned.steps
    direction = "up" if planned.version_to == m.version else "down"
    if direction == "up":
        check_after = lambda after: m.verify(sheets, after)  # noqa: E731
        status, event, version = ("applied" if lock.final_write else "verified",
                                  "MIGRATION_APPLIED", m.version)
    else:
        check_after = m.verify_downgrade
        status, event, version = "reverted", "MIGRATION_REVERTED", m.version
    protected = regions(sheets, changes)
    expected = fingerprints(predicted, protected)
    problems = overwrites(sheets, changes, protected) + check_after(predicted)
    if problems:
        raise VerificationError(f"{m.id}: the planned change would not verify, nothing was "
                                "written: " + "; ".join(problems))
    details = {"run": run.token, "direction": direction, "steps": [s.text for s in steps],
               "regions": expected}
    row = ledger.record(changes, sheets, migration_id=m.id, schema_version=version,
                        description=m.description, status=status, applied_by=run.actor,
                        backup_id=run.backup_id, checksum=checksum(m), details=details,
                        duration_s=time.monotonic() - run.started)
    run.event(changes, sheets, event, m, version_from=m.revises if direction == "up" else m.version,
              version_to=m.version if direction == "up" else m.revises,
              steps=[s.text for s in steps])
    lock.heartbeat(changes)  # a long backup may have used half the TTL: renew in this write
    after = run.write(changes)
    run.step(f"write done: {m.id}")
    after = after or run.workbook.read()
    problems = region_problems(expected, after, predicted) + check_after(after)
    run.step(f"verify done: {m.id}")
    if problems:
        ledger.update(run.final, after, row, status="verify_failed" if direction == "up" else status,
                      details={**details, "problems": problems})
        lock.release_into(run.final)
        run.workbook.apply(run.final)
        raise VerificationError(f"{m.id} was written but does not verify: " + "; ".join(problems))
    if status == "applied":
        ledger.update(run.final, after, row, status="verified",
                      duration_s=time.monotonic() - run.started)
    return after


def _run(workbook: Workbook, action: str, *, to: str | None, dry_run: bool, force: bool,
         backup_id: str | None, backup_folder: str | None, actor: str | None,
         confirm: Callable[[Plan], bool] | None, lock_ttl: float, break_lock: bool,
         progress: Progress | None, backups: Backups | None) -> RunReport:
    run = _Run(workbook, action, actor=actor, progress=progress)
    # A plan to show (or a lock state to check, on Google) needs the whole workbook now; an
    # .xlsx run with --force decides from the ledger alone and reads the rest under its lock.
    full_first = dry_run or not force or needs_state_read(workbook)
    sheets = workbook.read(None if full_first else [
        t for t in (ledger.LEDGER_SHEET,) if t in workbook.sheet_titles()])
    version = version_of(sheets)

    def todo_of(sheets: Mapping[str, Sheet]) -> list[ModuleType]:
        if action == "up":
            return _pending(sheets, to)
        done = _applied_count(sheets)
        stop = done - 1 if to is None else index(to) + 1
        if to is not None and stop > done:
            raise UsageError(f"--to {to!r} is ahead of the workbook's version {version}; use up")
        return list(reversed(chain()[max(stop, 0):done]))

    def plan_of(sheets: Mapping[str, Sheet]) -> Plan:
        resume = [f"verify {e.migration_id} (ledger row {e.row})"
                  for e in _unverified(sheets)] if action == "up" else []
        return _plan(workbook, sheets, todo_of(sheets), action, force=force, resume=resume,
                     backups=backups)

    def nothing(plan: Plan) -> RunReport:
        report = RunReport(action, version, version, plan, dry_run=dry_run)
        report.requests, report.duration_s = run.requests(), time.monotonic() - run.started
        return report

    if not full_first and not (todo_of(sheets) or (action == "up" and _unverified(sheets))):
        return nothing(Plan(workbook.title, workbook.kind, action, version, version, [], [], [], None))
    shown = plan_of(sheets) if full_first else None
    if shown is not None and (dry_run or not shown):
        return nothing(shown)
    if not force and (shown is None or confirm is None or not confirm(shown)):
        raise UsageError("not confirmed: nothing was changed (pass force=True / --force to skip "
                         "the question)")
    if backup_id:
        run.backup(backups, backup_id, backup_folder)
    lock = acquire(workbook, sheets, actor=actor, purpose=f"migrate {action}", ttl=lock_ttl,
                   break_lock=break_lock)
    with holding(lock):
        run.step("lock acquired")
        if not backup_id:
            run.backup(backups, None, backup_folder)
        sheets = workbook.read()
        lock.confirm(sheets)
        fresh = plan_of(sheets)
        if shown is not None and fresh.key() != shown.key():
            raise ConflictError("the workbook changed between the plan you confirmed and now "
                                f"({fresh.key()} instead of {shown.key()}); nothing was changed, "
                                "look at the plan again")
        report = RunReport(action, version, version, fresh)
        if action == "up":
            report.verified = _verify_resumed(run, sheets, lock)
        for i, m in enumerate(todo_of(sheets)):
            # the first runs the plan just made; later ones are planned on the sheets read back
            planned = fresh.migrations[0] if i == 0 else _plan(
                workbook, sheets, [m], action, force=force).migrations[0]
            sheets = _apply_one(run, lock, m, sheets, planned)
            report.applied.append(m.id)
        lock.release_into(run.final)
        if run.final:
            workbook.apply(run.final)
        run.step("record done")
    report.version_after = version_of(sheets)
    report.backup_id = run.backup_id
    report.requests, report.backup_requests = run.requests(), run.backup_stats
    report.duration_s = time.monotonic() - run.started
    return report



@contextmanager
def holding(lock):
    """Close ``lock`` however the block ends; a failure to close never hides the block's own error."""
    try:
        yield lock
    except BaseException:
        with suppress(SpoolsheetError):
            lock.close()
        raise
    lock.close()


# --- the public functions (one per CLI command) ----------------------------------------------

def up(workbook: Workbook, *, to: str | None = None, dry_run: bool = False, force: bool = False,
       backup_id: str | None = None, backup_folder: str | None = None, actor: str | None = None,
       confirm: Callable[[Plan], bool] | None = None, lock_ttl: float = DEFAULT_TTL,
       break_lock: bool = False, progress: Progress | None = None,
       backups: Backups | None = None) -> RunReport:
    """Apply every pending migration (up to ``to``): lock, verified backup, write, verify, record.

    Without ``force`` the plan is handed to ``confirm`` first (the library never prompts).
    ``backups`` (e.g. the module ``spoolsheet.backup``) takes the verified backup; without it
    nothing is backed up. ``backup_id`` uses an existing backup instead of taking one; it must be
    of this workbook and match its current content. A run killed at any point is finished by the next one.
    """
    return _run(workbook, "up", to=to, dry_run=dry_run, force=force, backup_id=backup_id,
                backup_folder=backup_folder, actor=actor, confirm=confirm, lock_ttl=lock_ttl,
                break_lock=break_lock, progress=progress, backups=backups)


def down(workbook: Workbook, *, to: str | None = None, dry_run: bool = False, force: bool = False,
         backup_id: str | None = None, backup_folder: str | None = None, actor: str | None = None,
         confirm: Callable[[Plan], bool] | None = None, lock_ttl: float = DEFAULT_TTL,
         break_lock: bool = False, progress: Progress | None = None,
         backups: Backups | None = None) -> RunReport:
    """Revert the last migration (or every one after ``to``), after a verified backup (``backups``).

    A migration may refuse (e.g. v3.0 while spools are occupied); ``force`` overrides that and
    the confirmation.
    """
    return _run(workbook, "down", to=to, dry_run=dry_run, force=force, backup_id=backup_id,
                backup_folder=backup_folder, actor=actor, confirm=confirm, lock_ttl=lock_ttl,
                break_lock=break_lock, progress=progress, backups=backups)


def verify(workbook: Workbook) -> VerifyReport:
    """Check that the workbook holds what its schema version promises (1 read, writes nothing)."""
    sheets = workbook.read()
    checked, problems = [], []
    for m in chain()[:_applied_count(sheets)]:
        checked.append(m.id)
        problems += m.verify(None, sheets)
    for entry in _unverified(sheets):
        problems += [f"{entry.migration_id} (ledger row {entry.row}), never verified: {p}"
                     for p in region_problems(entry.details.get("regions", {}), sheets)]
    return VerifyReport(version_of(sheets), checked, problems)


def baseline(workbook: Workbook, migration_id: str, *, dry_run: bool = False, force: bool = False,
             actor: str | None = None, confirm: Callable[[Plan], bool] | None = None,
             lock_ttl: float = DEFAULT_TTL, break_lock: bool = False,
             progress: Progress | None = None) -> RunReport:
    """Adopt a workbook migrated by hand: check it holds ``migration_id`` (and every one before),
    then record them as baselined, changing no data."""
    if find(migration_id) is None:
        index(migration_id)  # raises, listing the known ones
    run = _Run(workbook, "baseline", actor=actor, progress=progress)

    def planned(sheets: Mapping[str, Sheet]) -> Plan:
        todo = _pending(sheets, migration_id)
        for m in todo:
            missing = [s.text for s in m.check(sheets) if s.change]
            problems = missing + m.verify(None, sheets)
            if problems:
                raise VerificationError(f"{m.id} is not in place, so it cannot be baselined: "
                                        + "; ".join(problems) + "; use `migrate up` instead")
        plan_ = _plan(workbook, sheets, [], "baseline")
        plan_.migrations = [PlannedMigration(m.id, m.description, m.revises, m.version,
                                             [Step("record as baselined (no data changes)")],
                                             ["1 ledger row", "1 Metadata event"]) for m in todo]
        plan_.target = todo[-1].version if todo else plan_.version
        return plan_

    sheets = workbook.read()
    shown = planned(sheets)
    report = RunReport("baseline", shown.version, shown.version, shown, dry_run=dry_run)
    if dry_run or not shown:
        report.requests = run.requests()
        return report
    if not force and (confirm is None or not confirm(shown)):
        raise UsageError("not confirmed: nothing was changed")
    lock = acquire(workbook, sheets, actor=actor, purpose="migrate baseline", ttl=lock_ttl,
                   break_lock=break_lock)
    with holding(lock):
        run.step("lock acquired")
        sheets = workbook.read()
        lock.confirm(sheets)
        fresh = planned(sheets)
        changes = ChangeSet()
        for m in _pending(sheets, migration_id):
            ledger.record(changes, sheets, migration_id=m.id, schema_version=m.version,
                          description=m.description, status="baselined", applied_by=run.actor,
                          backup_id=None, checksum=checksum(m), details={"run": run.token})
            run.event(changes, sheets, "MIGRATION_BASELINED", m)
            report.applied.append(m.id)
        lock.release_into(changes)
        workbook.apply(changes)
        run.step("record done")
    report.version_after = fresh.target
    report.requests, report.duration_s = run.requests(), time.monotonic() - run.started
    return report


def _last_backup(sheets: Mapping[str, Sheet], history: Sequence[ledger.LedgerEntry]) -> str | None:
    """The newest backup the workbook knows of: its Metadata BACKUP_CREATED events, the ledger."""
    from ..audit import read_events

    found = None
    try:
        for event in read_events(sheets[METADATA]) if METADATA in sheets else ():
            if event.evento_tipo == "BACKUP_CREATED" and event.metadata.get("backup_id"):
                found = f"{event.metadata['backup_id']} ({event.timestamp})"
    except SpoolsheetError:
        found = None
    if found is None:
        found = next((e.backup_id for e in reversed(history) if e.backup_id), None)
    return found


def status(workbook: Workbook) -> Status:
    """Schema version, pending migrations, history, last backup and lock (1 read)."""
    sheets = workbook.read()
    history = ledger.read_ledger(sheets)
    mismatch = sorted({e.migration_id for e in history if e.checksum
                       and (m := find(e.migration_id)) is not None
                       and e.checksum != checksum(m)})
    held = holder(workbook, sheets)
    return Status(workbook.title, workbook.kind, version_of(sheets),
                  [m.id for m in _pending(sheets, None)], history,
                  [e.migration_id for e in _unverified(sheets)], _last_backup(sheets, history),
                  held.describe() if held else None, mismatch)
