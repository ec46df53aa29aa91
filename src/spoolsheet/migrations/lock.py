"""The migration lock: one run at a time, with an owner, an expiry and a heartbeat.

Google Sheets has no compare-and-set, so the lock is a queue: each run *appends* its row to the
``spoolsheet_lock`` sheet (appends are serialised by Google) and the first live row (not
released, not expired) holds the lock. A run checks that nobody holds it (read), appends its row
(write), and on its next read confirms that its row is the first live one; if another run's row
came first, it releases its own row and stops. Whatever the timing, two runs never both see
themselves first. A row left by a killed run stops counting when it expires.

On .xlsx the file lock beside the workbook (``Workbook.exclusive``) is held for the whole run:
it is airtight and the OS drops it when the process dies. The owner and expiry are written to a
small JSON file beside the workbook so that a second run can say who holds it; writing them
into the workbook would cost two extra saves of the whole file.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import BackendError, ConflictError, TransientBackendError
from ..schema import ColumnMap
from ..values import is_blank
from ..workbook import Workbook
from ..workbook.base import Sheet
from ..workbook.changes import ChangeSet
from ..workbook.retry import AmbiguousWriteError

LOCK_SHEET = "spoolsheet_lock"
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
    return f"{actor or default_actor()}@{socket.gethostname()}:{os.getpid()}"


class LockHeld(ConflictError):
    """Another run holds the migration lock (exit 3); the message names it and its expiry."""


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

    def describe(self) -> str:
        return f"{self.owner} ({self.purpose}), expires {_fmt(self.expires)} UTC"

    def cells(self) -> list[object]:
        return [self.owner, self.token, self.purpose, _fmt(self.acquired), _fmt(self.expires),
                _fmt(self.heartbeat), self.released]

    def as_json(self) -> dict[str, str]:
        return dict(zip(LOCK_HEADERS, map(str, self.cells())))


def _record(values: Mapping[str, object], row: int | None = None) -> LockRecord | None:
    times = [_parse(values.get(k)) for k in ("acquired", "expires", "heartbeat")]
    if is_blank(values.get("token")) or None in times:
        return None
    return LockRecord(str(values.get("owner") or ""), str(values["token"]),
                      str(values.get("purpose") or ""), *times,  # type: ignore[arg-type]
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


def sidecar_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.migration-lock.json")


def sidecar_record(path: Path) -> LockRecord | None:
    try:
        return _record(json.loads(sidecar_path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError):
        return None


def _process_alive(owner: str) -> bool:
    """For an owner on this host, whether its process still runs; other hosts: assume so."""
    host_pid = owner.rsplit("@", 1)[-1]
    host, _, pid = host_pid.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def needs_state_read(workbook: Workbook) -> bool:
    """Whether taking the lock needs the lock rows read first (Google; .xlsx has its file lock)."""
    return workbook.kind != "xlsx"


def holder(workbook: Workbook, sheets: Mapping[str, Sheet]) -> LockRecord | None:
    """The live lock on this workbook, if any (no request: ``sheets`` as read)."""
    if workbook.kind == "xlsx":
        rec = sidecar_record(workbook.backend.path)
        return rec if rec and rec.live() and _process_alive(rec.owner) else None
    return next((r for r in sheet_records(sheets) if r.live()), None)


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
        first = next(r for r in records if r.live())
        if first.token != self.token:
            self.close()
            raise LockHeld(f"another migration run took the lock at the same moment: "
                           f"{first.describe()}")

    def heartbeat(self, changes: ChangeSet | None = None) -> None:
        if not self._due():
            return
        if self.record.row is None:
            self.confirm(self.workbook.read([LOCK_SHEET]))
        self.record = self._renewed()
        renewal = changes if changes is not None else ChangeSet()
        renewal.set_row(LOCK_SHEET, self.record.row, 1, self.record.cells())
        if changes is None:
            self.workbook.apply(renewal)

    def release_into(self, changes: ChangeSet) -> None:
        row = self.record.row
        if row is not None:
            changes.put(LOCK_SHEET, row, LOCK_HEADERS.index("released") + 1,
                        f"released {_fmt(utcnow())}")
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

    def __init__(self, workbook: Workbook, record: LockRecord, ttl: float, stack: ExitStack) -> None:
        super().__init__(workbook, record, ttl)
        self._stack = stack
        self._path = sidecar_path(workbook.backend.path)
        self._write()

    def _write(self) -> None:
        tmp = self._path.with_name(self._path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.record.as_json(), indent=1), encoding="utf-8")
        os.replace(tmp, self._path)

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
            if (sidecar_record(self.workbook.backend.path) or self.record).token == self.token:
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
    if workbook.kind == "xlsx":
        current = holder(workbook, sheets)
        if current is not None and not break_lock:
            raise LockHeld(f"a migration run holds the lock on {workbook.title!r}: "
                           f"{current.describe()}")
        stack = ExitStack()
        stack.enter_context(workbook.exclusive())
        return FileRunLock(workbook, record, ttl, stack)
    return _acquire_sheet(workbook, sheets, record, ttl, break_lock, actor)


def _acquire_sheet(workbook: Workbook, sheets: Mapping[str, Sheet], record: LockRecord,
                   ttl: float, break_lock: bool, actor: str | None) -> SheetLock:
    live = [r for r in sheet_records(sheets) if r.live()]
    if live and not break_lock:
        raise LockHeld(f"a migration run holds the lock on {workbook.title!r}: {live[0].describe()}")
    changes = ChangeSet()
    if LOCK_SHEET not in sheets:
        changes.add_sheet(LOCK_SHEET, rows=50, cols=len(LOCK_HEADERS))
        changes.set_row(LOCK_SHEET, 1, 1, LOCK_HEADERS)
    for r in live:
        changes.put(LOCK_SHEET, r.row, LOCK_HEADERS.index("released") + 1,
                    f"broken by {owner_name(actor)} at {_fmt(utcnow())}")
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

    On .xlsx this removes the owner file; a process still running keeps the file lock itself.
    """
    if workbook.kind == "xlsx":
        rec = sidecar_record(workbook.backend.path)
        sidecar_path(workbook.backend.path).unlink(missing_ok=True)
        return rec
    sheets = workbook.read([LOCK_SHEET]) if LOCK_SHEET in workbook.sheet_titles() else {}
    live = [r for r in sheet_records(sheets) if r.live()]
    if live:
        changes = ChangeSet()
        for r in live:
            changes.put(LOCK_SHEET, r.row, LOCK_HEADERS.index("released") + 1,
                        f"broken by {owner_name(actor)} at {_fmt(utcnow())}")
        workbook.apply(changes)
    return live[0] if live else None
