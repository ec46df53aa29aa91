"""The migration lock: one run at a time, with an owner, an expiry and a heartbeat.

Google Sheets has no compare-and-set, so the lock is a queue: each run *appends* its row to the
``spoolsheet_lock`` sheet (appends are serialised by Google) and the first live row (not
released, not expired) holds the lock. A run checks that nobody holds it (read), appends its row
(write), and on its next read confirms that its row is the first live one; if another run's row
came first, it releases its own row and stops. Whatever the timing, two runs never both see
themselves first. A row left by a killed run stops counting when it expires.

Where the backend's ``exclusive()`` is a lock across processes with a local note file
(``Workbook.sidecar``: .xlsx), it is held for the whole run instead: airtight, and the OS drops it
when the process dies. The owner and expiry go into the note so that a second run can say who
holds it; writing them into the workbook would cost two extra saves of the whole file.

Either way, a holder on this host whose process is gone holds nothing (``LockRecord.holds``).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import BackendError, ConflictError, TransientBackendError
from ..fs import atomic_write_text, process_alive, this_host
from ..schema import LOCK_SHEET, ColumnMap
from ..values import Cell, is_blank, shop_time
from ..workbook import Workbook
from ..workbook.base import Sheet
from ..workbook.changes import ChangeSet
from ..workbook.retry import AmbiguousWriteError

LOCK_HEADERS = ("owner", "token", "purpose", "acquired", "expires", "heartbeat", "released")
DEFAULT_TTL = 900.0
_TIME = "%Y-%m-%dT%H:%M:%SZ"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)


def _fmt(moment: dt.datetime) -> str:
    return moment.strftime(_TIME)


def _parse(text: object) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(str(text).strip(), _TIME)
    except ValueError:
        return None


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def owner_name(actor: str | None) -> str:
    """Who holds a lock, as people read it: ``actor@host:pid``."""
    return f"{actor or default_actor()}@{this_host()}:{os.getpid()}"


class LockHeld(ConflictError):
    """Another run holds the migration lock (exit 3); the message names it and its expiry."""


@dataclass(frozen=True)
class HeldLock:
    """Who holds the lock as reports give it: for machines (``acquired``/``expires``: UTC ISO
    8601 with its offset) and, through ``describe``, for people (shop time, zone named)."""
    holder: str
    purpose: str
    acquired: str
    expires: str

    def describe(self) -> str:
        expires = dt.datetime.fromisoformat(self.expires)
        return f"{self.holder} ({self.purpose}), expires {shop_time(expires)} ({_fmt(expires)})"


def _utc(moment: dt.datetime) -> str:
    """A lock row's moment (naive UTC) as machines read it."""
    return moment.replace(tzinfo=dt.UTC).isoformat()


@dataclass(frozen=True)
class LockRecord:
    owner: str
    token: str
    purpose: str
    acquired: dt.datetime
    expires: dt.datetime
    heartbeat: dt.datetime
    released: str = ""
    row: int | None = None

    def live(self, now: dt.datetime | None = None) -> bool:
        return not self.released and self.expires > (now or utcnow())

    def alive(self) -> bool | None:
        """Whether the holder's process still runs: known only on its own host (else None)."""
        host, _, pid = self.owner.rpartition("@")[2].rpartition(":")
        return process_alive(host, int(pid)) if host and pid.isdigit() else None

    def holds(self) -> bool:
        """Live, and not left by a process of this host that is gone (a killed run)."""
        return self.live() and self.alive() is not False

    def held_message(self, title: str) -> str:
        """Why another run must not start, and when ``--break-lock`` is safe."""
        if self.alive():
            advice = ("its process still runs on this host: wait for it to finish (--break-lock "
                      "is NOT safe while it runs)")
        else:
            advice = ("it runs on another host, so it cannot be checked from here: wait for the "
                      "expiry, or use --break-lock once you know that run is no longer running")
        return f"a migration run holds the lock on {title!r}: {self.held().describe()}; {advice}"

    def held(self) -> HeldLock:
        return HeldLock(self.owner, self.purpose, _utc(self.acquired), _utc(self.expires))

    def cells(self) -> list[Cell]:
        return [self.owner, self.token, self.purpose, _fmt(self.acquired), _fmt(self.expires),
                _fmt(self.heartbeat), self.released]

    def as_json(self) -> dict[str, str]:
        return dict(zip(LOCK_HEADERS, map(str, self.cells()), strict=True))


def _record(values: Mapping[str, object], row: int | None = None) -> LockRecord | None:
    acquired, expires, beat = (_parse(values.get(k)) for k in ("acquired", "expires", "heartbeat"))
    if is_blank(values.get("token")) or acquired is None or expires is None or beat is None:
        return None
    return LockRecord(str(values.get("owner") or ""), str(values["token"]),
                      str(values.get("purpose") or ""), acquired, expires, beat,
                      released=str(values.get("released") or ""), row=row)


def sheet_records(sheets: Mapping[str, Sheet]) -> list[LockRecord]:
    """The lock rows in ``sheets``, in sheet order (rows that do not parse are ignored)."""
    sheet = sheets.get(LOCK_SHEET)
    if sheet is None or not sheet.rows:
        return []
    idx = ColumnMap.from_row(sheet.title, sheet.row(1)).require(LOCK_HEADERS)
    out = []
    for r in range(2, len(sheet.rows) + 1):
        rec = _record({k: sheet.cell(r, c) for k, c in idx.items()}, row=r)
        if rec is not None:
            out.append(rec)
    return out


def lock_file(workbook: Workbook) -> Path | None:
    """The note of who holds the run-long ``exclusive()``; None: the lock is the lock sheet."""
    return workbook.sidecar("migration-lock.json")


def file_record(path: Path) -> LockRecord | None:
    try:
        return _record(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError):
        return None


def needs_state_read(workbook: Workbook) -> bool:
    """Whether taking the lock needs the lock rows read first (no run-long file lock)."""
    return lock_file(workbook) is None


def holder(workbook: Workbook, sheets: Mapping[str, Sheet]) -> LockRecord | None:
    """The lock that holds this workbook, if any (no request: ``sheets`` as read)."""
    path = lock_file(workbook)
    if path is not None:
        rec = file_record(path)
        return rec if rec and rec.holds() else None
    return next((r for r in sheet_records(sheets) if r.holds()), None)


class RunLock(ABC):
    """The lock one run holds. ``release_into`` adds the release to the run's final write.

    ``final_write``: releasing needs a write of its own (Google), so the run records its final
    ledger status there; without one (.xlsx) the change's own write carries the final status.
    """

    final_write = True

    def __init__(self, workbook: Workbook, record: LockRecord, ttl: float) -> None:
        self.workbook, self.record, self.ttl = workbook, record, ttl

    @property
    def token(self) -> str:
        return self.record.token

    def _due(self) -> bool:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # precise; records keep seconds
        return (now - self.record.heartbeat).total_seconds() > self.ttl / 2

    def _renewed(self) -> LockRecord:
        now = utcnow()
        return replace(self.record, heartbeat=now, expires=now + dt.timedelta(seconds=self.ttl))

    @abstractmethod
    def confirm(self, sheets: Mapping[str, Sheet]) -> None:
        """Check, on the run's next read, that the lock is really ours."""

    @abstractmethod
    def heartbeat(self, changes: ChangeSet | None = None) -> None:
        """Extend the expiry once more than half of the TTL has passed: inside ``changes`` (the
        run's next write, so it costs no request) when given, else with a write of its own."""

    @abstractmethod
    def release_into(self, changes: ChangeSet) -> None:
        """Add the release to ``changes`` (the run's last write), where the backend needs one."""

    @abstractmethod
    def close(self) -> None:
        """Release without a final write (errors, or nothing left to record)."""


class SheetLock(RunLock):
    """The Google form: our row in the lock sheet, first live row wins."""

    def confirm(self, sheets: Mapping[str, Sheet]) -> None:
        records = sheet_records(sheets)
        ours = next((r for r in records if r.token == self.token), None)
        if ours is None:
            raise TransientBackendError(f"the lock row of this run did not land in {LOCK_SHEET!r}; "
                                        "nothing was changed, run again")
        self.record = replace(self.record, row=ours.row)
        if not ours.live():
            self.close()
            raise LockHeld(f"the lock of this run expired before it was confirmed (TTL "
                           f"{self.ttl:.0f} s); nothing was changed, run again")
        first = next(r for r in records if r.holds())
        if first.token != self.token:
            self.close()
            raise LockHeld(f"another migration run took the lock at the same moment: "
                           f"{first.held().describe()}")

    def heartbeat(self, changes: ChangeSet | None = None) -> None:
        if not self._due():
            return
        if self.record.row is None:
            self.confirm(self.workbook.read([LOCK_SHEET]))  # finds our row or raises
        self.record = self._renewed()
        renewal = changes if changes is not None else ChangeSet()
        renewal.set_row(LOCK_SHEET, _row(self.record), 1, self.record.cells())
        if changes is None:
            self.workbook.apply(renewal)

    def release_into(self, changes: ChangeSet) -> None:
        row = self.record.row
        if row is not None:
            _release(changes, self.record, f"released {_fmt(utcnow())}")
            self.record = replace(self.record, released="released")

    def close(self) -> None:
        if self.record.released:
            return
        if self.record.row is None:
            self._find_row()
        changes = ChangeSet()
        self.release_into(changes)
        self.workbook.apply(changes)

    def _find_row(self) -> None:
        records = sheet_records(self.workbook.read([LOCK_SHEET]))
        ours = next((r for r in records if r.token == self.token), None)
        if ours is not None:
            self.record = replace(self.record, row=ours.row)


class FileRunLock(RunLock):
    """The .xlsx form: the workbook's file lock for the whole run, owner written beside it."""

    final_write = False

    def __init__(self, workbook: Workbook, record: LockRecord, ttl: float, stack: ExitStack,
                 path: Path) -> None:
        super().__init__(workbook, record, ttl)
        self._stack = stack
        self._path = path
        self._write()

    def _write(self) -> None:
        atomic_write_text(self._path, json.dumps(self.record.as_json(), indent=1))

    def confirm(self, sheets: Mapping[str, Sheet]) -> None:
        """Nothing to confirm: the file lock is exclusive."""

    def heartbeat(self, changes: ChangeSet | None = None) -> None:
        if self._due():
            self.record = self._renewed()
            self._write()

    def release_into(self, changes: ChangeSet) -> None:
        """Nothing to write: closing releases the file lock and removes the owner file."""

    def close(self) -> None:
        try:
            if (file_record(self._path) or self.record).token == self.token:
                self._path.unlink(missing_ok=True)
        finally:
            self._stack.close()


def acquire(workbook: Workbook, sheets: Mapping[str, Sheet], *, actor: str | None,
            purpose: str, ttl: float = DEFAULT_TTL, break_lock: bool = False) -> RunLock:
    """Take the migration lock, or raise ``LockHeld`` naming the holder and its expiry.

    ``sheets`` is the run's first read (Google: the lock sheet's rows). ``break_lock`` releases
    whatever lock is there first (the admin's escape after a crash).
    """
    now = utcnow()
    record = LockRecord(owner_name(actor), str(uuid.uuid4()), purpose, now,
                        now + dt.timedelta(seconds=ttl), now)
    path = lock_file(workbook)
    if path is None:
        return _acquire_sheet(workbook, sheets, record, ttl, break_lock, actor)
    current = holder(workbook, sheets)
    if current is not None and not break_lock:
        raise LockHeld(current.held_message(workbook.title))
    stack = ExitStack()
    stack.enter_context(workbook.exclusive())
    try:
        return FileRunLock(workbook, record, ttl, stack, path)
    except BaseException:
        stack.close()
        raise


def _acquire_sheet(workbook: Workbook, sheets: Mapping[str, Sheet], record: LockRecord,
                   ttl: float, break_lock: bool, actor: str | None) -> SheetLock:
    live = [r for r in sheet_records(sheets) if r.live()]
    holding = [r for r in live if r.holds()]
    if holding and not break_lock:
        raise LockHeld(holding[0].held_message(workbook.title))
    changes = ChangeSet()
    if LOCK_SHEET not in sheets:
        changes.add_sheet(LOCK_SHEET, rows=50, cols=len(LOCK_HEADERS))
        changes.set_row(LOCK_SHEET, 1, 1, LOCK_HEADERS)
    for r in live:  # a killed run's row too: say in the sheet why it stopped counting
        how = "broken" if r.holds() else "holder process gone; released"
        _release(changes, r, f"{how} by {owner_name(actor)} at {_fmt(utcnow())}")
    changes.append_rows(LOCK_SHEET, [record.cells()])
    try:
        with workbook.exclusive():
            workbook.apply(changes)
    except AmbiguousWriteError:
        pass  # the confirming read tells whether the row landed
    except BackendError as exc:
        if LOCK_SHEET not in sheets and exc.status == 400:
            raise LockHeld("another migration run created the lock sheet at the same moment; "
                           "run `spoolsheet migrate status` to see who holds it") from exc
        raise
    return SheetLock(workbook, record, ttl)


def break_lock(workbook: Workbook, *, actor: str | None = None) -> LockRecord | None:
    """Release whatever lock is held (the admin's escape); returns the lock that was broken.

    With a lock file this removes it; a process still running keeps the file lock itself.
    """
    path = lock_file(workbook)
    if path is not None:
        rec = file_record(path)
        path.unlink(missing_ok=True)
        return rec
    sheets = workbook.read([LOCK_SHEET]) if LOCK_SHEET in workbook.sheet_titles() else {}
    live = [r for r in sheet_records(sheets) if r.live()]
    if live:
        changes = ChangeSet()
        for r in live:
            _release(changes, r, f"broken by {owner_name(actor)} at {_fmt(utcnow())}")
        workbook.apply(changes)
    return live[0] if live else None


def _row(record: LockRecord) -> int:
    if record.row is None:  # records read from the lock sheet always know it
        raise TransientBackendError(f"the row of lock {record.token} in {LOCK_SHEET!r} is unknown")
    return record.row


def _release(changes: ChangeSet, record: LockRecord, note: str) -> None:
    changes.put(LOCK_SHEET, _row(record), LOCK_HEADERS.index("released") + 1, note)
