"""Planning: which migrations a run does, each one's change made and checked on the expected
result of the one before, and the requests the run will make. Reads nothing itself, writes
nothing: every function takes the sheets as read.

Planning is also the pre-flight: a migration that must not run (duplicate headers, no TAG
column, no Operaciones, data in the way) raises here, before any lock, backup or write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import SchemaError, UsageError, VerificationError
from ..ledger import LedgerEntry, read_ledger, schema_version
from ..progress import Progress, phase
from ..schema import METADATA
from ..workbook import Workbook
from ..workbook.base import Sheet
from .backups import Backups
from .lock import LOCK_SHEET, holder, needs_state_read
from .migration import Migration, Step
from .preview import describe, region_problems, same_sheets, simulate, written
from .registry import Chain, load
from .reports import Plan, PlannedMigration

#: What a run does: ``up`` and ``down`` change the schema, ``baseline`` records it as it is.
ACTIONS = ("up", "down", "baseline", "stamp")
#: Actions that record what is there and change no data (``stamp`` does not even check it).
RECORD_ONLY = {"baseline": "baselined", "stamp": "stamped"}


def unverified(sheets: Mapping[str, Sheet]) -> list[LedgerEntry]:
    """Runs whose change landed but whose verification never finished (a run was killed)."""
    last: dict[str, LedgerEntry] = {}
    for entry in read_ledger(sheets):
        last[entry.migration_id] = entry
    return [e for e in last.values() if e.status == "applied"]


def resumed_regions(entry: LedgerEntry, sheets: Mapping[str, Sheet]) -> list[str]:
    """A landed but never verified run's protected regions not as it left them: checked only
    when nothing landed after it (a later revision was planned on its result and may change
    them on purpose, e.g. drop a column; its own regions cover the rest)."""
    if any(e.row > entry.row for e in read_ledger(sheets)):
        return []
    return region_problems(entry.details.get("regions", {}), sheets)


def resumed_problems(entry: LedgerEntry, sheets: Mapping[str, Sheet], chain: Chain) -> list[str]:
    """Why a landed but never verified run does not verify: its regions, then its columns
    (those a later applied revision dropped are not looked for)."""
    problems = resumed_regions(entry, sheets)
    m = chain.find(entry.migration_id)
    if m is None:
        return problems
    applied = chain[chain.index(m.id) + 1:chain.applied_count(schema_version(sheets))]
    return problems + m.verify(None, sheets, {c for n in applied for c in n.drops()})


def todo(action: str, sheets: Mapping[str, Sheet], to: str | None, chain: Chain) -> list[Migration]:
    """The migrations of ``chain`` that ``action`` runs, in the order it runs them."""
    version = schema_version(sheets)
    done = chain.applied_count(version)
    if action == "down":
        stop = done - 1 if to is None else chain.index(to) + 1
        if to is not None and stop > done:
            raise UsageError(f"--to {to!r} is ahead of the workbook's version {version}; use up")
        return list(reversed(chain[max(stop, 0):done]))
    stop = len(chain) if to is None else chain.index(to) + 1
    return chain[done:stop]


def requests(file_lock: bool, migrations: Sequence[PlannedMigration], resume: Sequence[str],
             backup: bool) -> list[str]:
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
        out += [f"1 write: one atomic batchUpdate for {m.id}: {'; '.join(m.writes)}"
                if m.parts == 1 else
                f"{m.write_requests} writes (over Google's 10 MB per request: not atomic; a "
                f"killed run resumes): {m.id} as {m.parts} batchUpdates in order, then its "
                f"ledger row and event: {'; '.join(m.writes)}",
                "1 read: read it back and verify"]
    out += ["1 write: record the result in the ledger and release the lock"]
    return out


def _planned(m: Migration, current: Mapping[str, Sheet], action: str, force: bool,
             progress: Progress | None = None) -> PlannedMigration:
    """One migration planned on ``current`` (its change, steps and expected result); each part
    of the work is a phase that its operations count in rows."""
    if action in RECORD_ONLY:
        problems: list[str] = []
        if action == "baseline":
            with phase(progress, f"checking that {m.id} is in place"):
                problems = [s.text for s in m.check(current) if s.change]
            with phase(progress, f"verifying {m.id} as it stands"):
                problems += m.verify(None, current)
        if problems:
            raise VerificationError(f"{m.id} is not in place, so it cannot be baselined: "
                                    + "; ".join(problems) + "; use `migrate up` instead")
        how = "no data changes" if action == "baseline" else "not checked, no data changes"
        return PlannedMigration(m.id, m.description, m.revises, m.version,
                                [Step(f"record as {RECORD_ONLY[action]} ({how})")],
                                ["1 ledger row", "1 Metadata event"], predicted=dict(current))
    if action == "up":
        with phase(progress, f"planning {m.id}: what is in place and its change"):
            steps, changes = m.check_and_upgrade(current)
        steps = steps or [Step("already in place: record it in the ledger only", change=False)]
        frm, to = m.revises, m.version
    else:
        with phase(progress, f"planning {m.id}: its change"):
            changes, frm, to = m.downgrade(current, force), m.version, m.revises
        steps = [Step(line) for line in describe(changes, current)] or [
            Step("columns already gone: record the revert only", change=False)]
    with phase(progress, f"planning {m.id}: the result it expects"):
        predicted = simulate(current, changes)
    return PlannedMigration(m.id, m.description, frm, to, steps,
                            describe(changes, current) or ["nothing but the ledger"],
                            changes, predicted)


def carried(planned: PlannedMigration, m: Migration, was: Mapping[str, Sheet],
            now: Mapping[str, Sheet]) -> PlannedMigration | None:
    """``planned`` (made on ``was``) as it would be made again on ``now``, when ``now`` holds
    ``was``'s very cells (a backend that hands back what it read: .xlsx with the file unchanged
    but for this run's own appends), so that planning twice costs one plan; else None. Only
    the audit log and the lock sheet may have grown (the run's backup logs its event; a lock
    row), unless the migration names or writes them: its plan looks at the sheets it names."""
    changes = planned.changes
    if planned.id != m.id or changes.moves_structure or changes.deleted_sheets:
        return None
    touched = written(changes)
    if not same_sheets(was, now, {METADATA, LOCK_SHEET} - touched - m.sheets()):
        return None
    predicted = {t: now[t] if t in now and t not in touched else s
                 for t, s in planned.predicted.items()}
    return replace(planned, predicted=predicted)


def make(workbook: Workbook, sheets: Mapping[str, Sheet], action: str, migrations: Sequence[Migration],
         *, force: bool = False, backups: Backups | None = None,
         progress: Progress | None = None,
         earlier: tuple[Mapping[str, Sheet], Plan] | None = None) -> Plan:
    """Plan ``migrations`` on ``sheets``, each on the expected result of the one before
    (``progress`` hears each one's phases, counted in rows). ``earlier``: a plan of the same
    migrations and the sheets it was made on, each of its migrations ``carried`` where it can be."""
    version = schema_version(sheets)
    if METADATA not in sheets:
        raise SchemaError(f"sheet {METADATA!r} not found: migrations log to it")
    planned: list[PlannedMigration] = []
    current, expect = dict(sheets), version
    was, before = earlier if earlier is not None else (None, None)
    for i, m in enumerate(migrations):
        if action != "down":
            if m.revises != expect:
                raise SchemaError(f"{m.id} upgrades from {m.revises}, but the workbook is at {expect}")
            expect = m.version
        kept = None
        if was is not None and before is not None and i < len(before.migrations):
            with phase(progress, f"planning {m.id}: are these the cells it was planned on?"):
                kept = carried(before.migrations[i], m, was, current)
        planned.append(kept or _planned(m, current, action, force, progress))
        was = before.migrations[i].predicted if kept and before is not None else None
        planned[-1].parts = len(workbook.split(planned[-1].changes,
                                               {t: s.info for t, s in current.items()}))
        current = planned[-1].predicted
    resume = [f"verify {e.migration_id} (ledger row {e.row})"
              for e in unverified(sheets)] if action == "up" else []
    held = holder(workbook, sheets)
    backup = bool(planned) and backups is not None and action not in RECORD_ONLY
    return Plan(workbook.title, workbook.kind, action, version,
                planned[-1].version_to if planned else version, planned, resume,
                requests(not needs_state_read(workbook), planned, resume, backup),
                held.held() if held else None)


def plan(workbook: Workbook, *, to: str | None = None, backups: Backups | None = None,
         migrations_dir: str | Path | None = None, progress: Progress | None = None) -> Plan:
    """The dry run of ``up``: the exact changes and the requests it will make; writes nothing.

    ``backups``: the backup feature ``up`` would be given (its requests are then in the plan).
    ``migrations_dir``: a shop's revision folder (see ``registry.load``). ``progress`` hears the
    read and the migrations planned, as in ``up``.
    """
    with phase(progress, "reading the workbook (to plan)"):
        sheets = workbook.read()
    return make(workbook, sheets, "up", todo("up", sheets, to, load(migrations_dir)),
                backups=backups, progress=progress)
