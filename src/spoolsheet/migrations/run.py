"""Running: one locked run that backs up, writes each planned migration atomically, verifies it
and records it; ``up``, ``down`` and ``baseline`` are the same run with a different action.

Order, on every backend: read and plan (the pre-flight: a refusal writes nothing, no lock, no
backup) → confirm → take the lock → backup → read again, confirm the lock, plan again on fresh
data (it must match what was confirmed) → per migration: the change + ledger row + Metadata event
in one atomic write, read back and verified → ledger "verified" and lock released.

Requests of ``up`` on Google (excluding the backup's own), whatever the number of rows: 6
(read, lock row, read, the change, read back, ledger + release). A change over Google's 10 MB
per request is written as the parts ``Workbook.split`` gives, in order, then its ledger row and
event (N parts: N + 1 writes instead of 1, not atomic; a run stopped between them is finished
by the next, whose operations see what is done). On .xlsx the run holds the file
lock throughout; the change, its ledger row and its event are one atomic save, verified on its
expected result before the save and from the saved workbook after it: one load and one save.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, TypedDict, Unpack

from .. import ledger
from ..audit import Event, log_event
from ..errors import (
    ConflictError,
    RequestTooLarge,
    SpoolsheetError,
    TransientBackendError,
    UsageError,
    VerificationError,
)
from ..fingerprint import KeptHashes
from ..progress import Progress, counting, phase, report
from ..schema import METADATA
from ..workbook import Workbook
from ..workbook.base import Sheet
from ..workbook.changes import ChangeSet
from ..workbook.retry import AmbiguousWriteError
from . import planning
from .backups import Backups
from .lock import DEFAULT_TTL, RunLock, acquire, default_actor
from .migration import Migration
from .preview import (
    as_predicted,
    fingerprints,
    overwrites,
    region_problems,
    regions,
    simulate,
    written,
)
from .registry import checksum, load
from .reports import Plan, PlannedMigration, RunReport


class RunOptions(TypedDict, total=False):
    """What every run takes (``up``, ``down``, ``baseline``).

    ``dry_run``: plan only. ``force``: do not ask ``confirm(plan) -> bool`` (the library never
    prompts; without either nothing is done); for ``down`` also revert work a migration would
    otherwise refuse to lose. ``actor`` names who runs it in the ledger. ``lock_ttl``: seconds
    before a lock left by a killed run can be taken over; ``break_lock`` releases one first.
    ``migrations_dir``: a shop's revision folder (default ``SPOOLSHEET_MIGRATIONS``).
    ``progress`` hears each step ("lock acquired", "backup done: ID", "write done: ID", ...)
    and how far the long ones are: rows fingerprinted and verified of the total, the backup's
    own steps (it is given the same callback), reads and writes as steps of unknown size.
    """

    dry_run: bool
    force: bool
    actor: str | None
    confirm: Callable[[Plan], bool] | None
    lock_ttl: float
    break_lock: bool
    progress: Progress | None
    migrations_dir: str | Path | None


class ChangeOptions(RunOptions, total=False):
    """What ``up`` and ``down`` take besides: ``to`` (a migration id or version), ``backups`` (the
    backup feature, e.g. the module ``spoolsheet.backup``: without it no backup is taken),
    ``backup_id`` (an existing backup of this workbook that matches it now, instead of a new
    one) and ``backup_folder``."""

    to: str | None
    backups: Backups | None
    backup_id: str | None
    backup_folder: str | None


class _Run:
    """One run: its options, its token, what it has done so far, its request counts."""

    def __init__(self, workbook: Workbook, action: str, options: ChangeOptions) -> None:
        self.workbook, self.action, self.options = workbook, action, options
        self.progress = options.get("progress")
        self.force = options.get("force", False)
        self.backups = options.get("backups") if action not in planning.RECORD_ONLY else None
        self.actor = options.get("actor") or default_actor()
        self.chain = load(options.get("migrations_dir"))
        self.token = str(uuid.uuid4())
        self.started = time.monotonic()
        self.stats0 = workbook.stats.snapshot()
        self.backup_stats: dict[str, int] = {"reads": 0, "writes": 0, "retries": 0}
        self.backup_id: str | None = None
        self.final = ChangeSet()
        #: what the backup fingerprinted, for the protected regions (the same cells on .xlsx)
        self.hashed = KeptHashes()

    def step(self, name: str) -> None:
        report(self.progress, name)

    def read(self, why: str) -> dict[str, Sheet]:
        with phase(self.progress, f"reading the workbook ({why})"):
            return self.workbook.read()

    def rows(self, name: str, regions: Mapping[str, tuple[int, int]]
             ) -> AbstractContextManager[Callable[[str], None] | None]:
        """Counts the rows of ``regions`` as each sheet is done and within it (fingerprinting,
        verifying)."""
        return counting(self.progress, name, {t: rows for t, (rows, _) in regions.items()})

    def todo(self, sheets: Mapping[str, Sheet]) -> list[Migration]:
        return planning.todo(self.action, sheets, self.options.get("to"), self.chain)

    def plan(self, sheets: Mapping[str, Sheet], todo: list[Migration] | None = None,
             earlier: tuple[Mapping[str, Sheet], Plan] | None = None) -> Plan:
        return planning.make(self.workbook, sheets, self.action,
                             self.todo(sheets) if todo is None else todo,
                             force=self.force, backups=self.backups, progress=self.progress,
                             earlier=earlier)

    def finish(self, result: RunReport) -> RunReport:
        now = self.workbook.stats.snapshot()
        result.requests = {k: now[k] - self.stats0[k] - self.backup_stats[k] for k in now}
        result.backup_requests, result.backup_id = self.backup_stats, self.backup_id
        result.duration_s = time.monotonic() - self.started
        return result

    def backup(self, backup_id: str | None) -> None:
        """Take a verified backup, or check that ``backup_id`` is of this workbook and matches
        it as it is now (done before the lock is taken: the lock itself changes the workbook)."""
        if self.backups is None:
            if backup_id:
                raise UsageError(f"backup {backup_id} given, but no backup feature to check it "
                                 "with (pass backups=spoolsheet.backup)")
            return
        folder = self.options.get("backup_folder")
        before = self.workbook.stats.snapshot()
        try:
            if backup_id:
                check = self.backups.verify(self.workbook, backup_id, against_source=True,
                                            folder=folder, progress=self.progress)
                if not check.ok:
                    raise VerificationError(
                        f"backup {backup_id} does not match the workbook as it is now: "
                        + "; ".join(list(check.problems)[:3])
                        + "; take a fresh backup (leave out --backup-id)")
                self.backup_id = backup_id
            else:  # create(verify=True) raises VerificationError unless the copy verified
                self.backup_id = self.backups.create(self.workbook, folder=folder,
                                                     label=f"pre-{self.action}", verify=True,
                                                     actor=self.actor, progress=self.progress,
                                                     fingerprints=self.hashed).id
        finally:
            after = self.workbook.stats.snapshot()
            self.backup_stats = {k: self.backup_stats[k] + after[k] - before[k] for k in after}

    def write(self, m: Migration, parts: list[ChangeSet],
              record: ChangeSet) -> dict[str, Sheet] | None:
        """Write the change in ``parts`` (``Workbook.split``) and then ``record`` (this run's
        ledger row and event): one atomic write when the change is one part, else each part in
        order, each whole, and the record after the last, so a run stopped between them has no
        ledger row and the next one finishes the revision through its operations' own checks."""
        if len(parts) == 1:
            changes = parts[0]
            with (phase(self.progress, f"writing {m.id} (one atomic write)"),
                  suppress(RequestTooLarge)):  # refused before sending: the record tipped it
                return self.landed(ChangeSet().extend(changes).extend(record), m)
        for n, part in enumerate(parts, start=1):
            with phase(self.progress, f"writing {m.id}: part {n} of {len(parts)} (not atomic)"):
                self.workbook.apply(part)
            self.step(f"part {n} of {len(parts)} written: {m.id}")
        with phase(self.progress, f"writing {m.id}: its ledger row"):
            return self.landed(record, m)

    def landed(self, changes: ChangeSet, m: Migration) -> dict[str, Sheet] | None:
        """Apply ``changes`` (holding this run's ledger row for ``m``); after an ambiguous
        failure, re-read and tell whether it landed: that row (this run's token AND ``m``'s id,
        not an earlier migration's of the same run) is there if and only if the whole atomic
        write is. Returns the sheets re-read, if any."""
        try:
            self.workbook.apply(changes)
            return None
        except AmbiguousWriteError as exc:
            try:
                sheets = self.read("did the write land?")
            except TransientBackendError:
                raise exc from None  # still unknown: say so rather than guess
            if any(e.details.get("run") == self.token and e.migration_id == m.id
                   for e in ledger.read_ledger(sheets)):
                return sheets
            raise TransientBackendError(
                f"{m.id}: {exc.args[0].removesuffix('; the write may have been applied')}; "
                "re-read: it did not land, nothing of it changed; run again",
                status=exc.status) from exc

    def record(self, changes: ChangeSet, sheets: Mapping[str, Sheet], m: Migration,
               data: ChangeSet | None = None, /, *, status: str, version: str, event: str,
               **details: Any) -> int:
        """This run's ledger row and Metadata event for ``m``, added to ``changes``, written
        with or after ``data`` (the migration's change)."""
        row = ledger.record(changes, sheets, migration_id=m.id, schema_version=version,
                            description=m.description, status=status, applied_by=self.actor,
                            backup_id=self.backup_id, checksum=checksum(m),
                            details={"run": self.token, **details},
                            duration_s=time.monotonic() - self.started)
        meta = {k: v for k, v in details.items()
                if k in ("version_from", "version_to", "steps", "stamped")}
        metadata = sheets[METADATA]
        header = metadata.row(1)
        resizes = [*changes.resizes, *(data.resizes if data else [])]
        for rs in resizes:  # the event row fits Metadata as the change leaves it
            if rs.sheet == METADATA and rs.cols is not None:
                header = header[:rs.cols]
        log_event(changes, Event(event, worker_nombre=self.actor, operacion="MIGRATION",
                                 accion=m.id,
                                 metadata={"migration_id": m.id, "run": self.token,
                                           "backup_id": self.backup_id, **meta}),
                  Sheet(metadata.info, [header]))
        return row

    def fail(self, lock: RunLock, sheets: Mapping[str, Sheet], row: int, status: str,
             details: Mapping[str, Any], problems: list[str], message: str) -> VerificationError:
        """Record a verification failure in the ledger, release the lock, and the error to raise."""
        ledger.update(self.final, sheets, row, status=status,
                      details={**details, "problems": problems})
        lock.release_into(self.final)
        self.workbook.apply(self.final)
        return VerificationError(message + "; ".join(problems))

    def verify_resumed(self, sheets: Mapping[str, Sheet], lock: RunLock) -> list[str]:
        """Finish the verification of runs that landed but were never verified."""
        done = []
        for entry in planning.unverified(sheets):
            problems = planning.resumed_problems(entry, sheets, self.chain)
            if problems:
                raise self.fail(lock, sheets, entry.row, "verify_failed", entry.details, problems,
                                f"{entry.migration_id} (ledger row {entry.row}) landed but does "
                                "not verify: ")
            ledger.update(self.final, sheets, entry.row, status="verified")
            done.append(entry.migration_id)
        return done

    def apply(self, lock: RunLock, m: Migration, sheets: Mapping[str, Sheet],
              planned: PlannedMigration) -> dict[str, Sheet]:
        """Write one planned migration (change + ledger row + event, atomically), read it back,
        verify. ``planned`` was made on ``sheets``."""
        if self.action in planning.RECORD_ONLY:  # no data changes: it rides in the final write
            changes = ChangeSet()
            status = planning.RECORD_ONLY[self.action]
            self.record(changes, sheets, m, status=status, version=m.version,
                        event="MIGRATION_BASELINED", **{status: True}, **m.columns("up"))
            self.final.extend(changes)
            return simulate(sheets, changes)
        changes, predicted, steps = planned.changes, planned.predicted, [s.text for s in planned.steps]
        up = self.action == "up"
        check: Callable[[Mapping[str, Sheet]], list[str]] = (
            (lambda after: m.verify(sheets, after)) if up else m.verify_downgrade)
        protected = regions(sheets, changes)
        with self.rows(f"fingerprinting what {m.id} must not change", protected) as done:
            expected = fingerprints(predicted, protected, done, self.hashed)
        self.hashed = KeptHashes()  # the rows it kept go before the write, not after
        layout = m.columns(self.action)
        with phase(self.progress, f"checking what {m.id} will write"):
            problems = overwrites(sheets, changes, protected, layout["renames"]) + check(predicted)
        if problems:
            raise VerificationError(f"{m.id}: the planned change would not verify, nothing was "
                                    "written: " + "; ".join(problems))
        status = "reverted" if not up else "applied" if lock.final_write else "verified"
        parts = self.workbook.split(changes)
        details: dict[str, Any] = {"direction": self.action, **layout, "steps": steps,
                                   "regions": expected}
        if len(parts) > 1:  # the ledger says it was not one atomic write
            details["parts"] = len(parts)
        record = ChangeSet()
        row = self.record(record, sheets, m, changes, status=status, version=m.version,
                          event="MIGRATION_APPLIED" if up else "MIGRATION_REVERTED",
                          version_from=planned.version_from, version_to=planned.version_to,
                          **details)
        lock.heartbeat(record)  # a long backup may have used half the TTL: renew in this write
        after = self.write(m, parts, record)
        self.step(f"write done: {m.id}")
        after = after or self.read("to verify it")
        with self.rows(f"verifying {m.id}", protected) as done:
            # the very cells checked before the write: then so is every protected region
            same = as_predicted(predicted, after, record, m.sheets() | written(changes), done)
            problems = [] if same else region_problems(expected, after, predicted, done)
        if not same:
            with phase(self.progress, f"checking {m.id} as written"):
                problems += check(after)
        self.step(f"verify done: {m.id}")
        if problems:
            raise self.fail(lock, after, row, "verify_failed" if up else status,
                            {"run": self.token, **details}, problems,
                            f"{m.id} was written but does not verify: ")
        if status == "applied":
            ledger.update(self.final, after, row, status="verified",
                          duration_s=time.monotonic() - self.started)
        return after


@contextmanager
def holding(lock: RunLock) -> Iterator[RunLock]:
    """Close ``lock`` however the block ends; a failure to close never hides the block's own error."""
    try:
        yield lock
    except BaseException:
        with suppress(SpoolsheetError):
            lock.close()
        raise
    lock.close()


def _run(workbook: Workbook, action: str, options: ChangeOptions) -> RunReport:
    run = _Run(workbook, action, options)
    first = run.read("to plan")
    shown = run.plan(first)  # the pre-flight: a refusal here has written nothing
    result = RunReport(action, shown.version, shown.version, shown,
                       dry_run=options.get("dry_run", False))
    if result.dry_run or not shown:
        return run.finish(result)
    confirm = options.get("confirm")
    if not run.force and (confirm is None or not confirm(shown)):
        raise UsageError("not confirmed: nothing was changed (pass force=True / --force to skip "
                         "the question)")
    given = options.get("backup_id")
    if given:
        run.backup(given)
        run.step(f"backup done: {run.backup_id or 'none (no backups given)'}")
    lock = acquire(workbook, first, actor=options.get("actor"),
                   purpose=f"migrate {action}", ttl=options.get("lock_ttl", DEFAULT_TTL),
                   break_lock=options.get("break_lock", False))
    earlier = [(first, shown)]  # what the plan under the lock may carry (then let go)
    del first, shown
    with holding(lock):
        run.step("lock acquired")
        if not given:
            run.backup(None)
        try:
            if not given:
                run.step(f"backup done: {run.backup_id or 'none (no backups given)'}")
            after = _locked(run, lock, earlier, result)
        except SpoolsheetError as exc:
            if run.backup_id and not given:  # say which backup this run made
                exc.args = (f"{exc} (this run's backup, taken before the failure: "
                            f"{run.backup_id})", *exc.args[1:])
            raise
    result.version_after = ledger.schema_version(after)
    return run.finish(result)


def _locked(run: _Run, lock: RunLock, earlier: list[tuple[dict[str, Sheet], Plan]],
            result: RunReport) -> dict[str, Sheet]:
    """The run under its lock: plan on fresh data (its key must be the confirmed plan's, the
    one in ``earlier`` with the sheets it was made on: emptied once planned), resume, apply
    each migration, record. Returns the sheets as the run left them."""
    sheets = run.read("under the lock")
    lock.confirm(sheets)
    todo = run.todo(sheets)
    fresh = run.plan(sheets, todo, earlier[0])
    key = earlier.pop()[1].key()  # the pre-flight's sheets and plan are not held any longer
    if fresh.key() != key:
        raise ConflictError("the workbook changed between the plan you confirmed and now "
                            f"({fresh.key()} instead of {key}); nothing was changed, "
                            "look at the plan again")
    result.plan = fresh
    if run.action == "up":
        result.verified = run.verify_resumed(sheets, lock)
    for i, m in enumerate(todo):
        # the first runs the plan just made; later ones are planned on the sheets read back
        planned = fresh.migrations[0] if i == 0 else run.plan(sheets, [m]).migrations[0]
        sheets = run.apply(lock, m, sheets, planned)
        result.applied.append(m.id)
    lock.release_into(run.final)
    if run.final:
        run.workbook.apply(run.final)
    run.step("record done")
    return simulate(sheets, run.final)


def up(workbook: Workbook, **options: Unpack[ChangeOptions]) -> RunReport:
    """Apply every pending migration (up to ``to``): lock, verified backup, write, verify, record.

    A run killed at any point is finished by the next one. Options: ``ChangeOptions``.
    """
    return _run(workbook, "up", options)


def down(workbook: Workbook, **options: Unpack[ChangeOptions]) -> RunReport:
    """Revert the last migration (or every one after ``to``), after a verified backup.

    A migration may refuse (e.g. v3.0 while spools are occupied); ``force`` overrides that and
    the confirmation. Options: ``ChangeOptions``.
    """
    return _run(workbook, "down", options)


def baseline(workbook: Workbook, migration_id: str, **options: Unpack[RunOptions]) -> RunReport:
    """Adopt a workbook migrated by hand: check it holds ``migration_id`` (and every one before),
    then record them as baselined, changing no data (no backup: nothing to undo)."""
    return _record_only(workbook, "baseline", migration_id, options)


def stamp(workbook: Workbook, migration_id: str, **options: Unpack[RunOptions]) -> RunReport:
    """Record the workbook as at ``migration_id`` (and every one before) without checking or
    changing anything, for a sheet migrated by hand that ``baseline`` cannot confirm (Alembic's
    stamp). ``migrate check`` afterwards says how it differs from the chain's layout."""
    return _record_only(workbook, "stamp", migration_id, options)


def _record_only(workbook: Workbook, action: str, migration_id: str,
                 options: RunOptions) -> RunReport:
    chain = load(options.get("migrations_dir"))
    if chain.find(migration_id) is None:
        chain.index(migration_id)  # raises, listing the known ones
    return _run(workbook, action, ChangeOptions(**options, to=migration_id))
