"""``OccupationService``: read fresh, check, build ONE ChangeSet, apply it.

Every state change runs inside ``workbook.exclusive()``:

1. one read of Operaciones (of every sheet when the slow-changing ones' cache expired);
2. the spool is found by TAG in that read and parsed (see ``RowIndex`` for the one shortcut);
3. the caller's expectations are checked against that fresh read (``expect_version``, and
   ``expect_row_hash`` for a row edited by hand since the caller read it), then the rules;
4. the row's changed cells, its version + 1 and the Metadata event go into one ChangeSet and
   one ``apply``: one ``spreadsheets.batchUpdate`` on Google, one atomic file replacement on .xlsx.

On .xlsx the exclusive section is the file lock, so read-check-write is atomic across threads and
processes. On Google it is a lock inside this process: threads are safe, separate processes are
not (Sheets has no compare-and-set); docs/occupation.md says how to deploy around that.
Cost on Google: 1 read + 1 write per operation. The one exception is COMPLETAR on a spool whose
ARM and SOLD are both started: the columns cannot tell which one the holder took, and the
Metadata log is read to find out (one more read).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..audit import Event, log_event, metadata_columns, read_events
from ..errors import DataError, SheetNotFound, TransientBackendError, UsageError
from ..fingerprint import sheet_fingerprint
from ..schema import METADATA, OPERACIONES, TAG_COLUMN, V3_COLUMNS
from ..values import is_blank, shop_today
from ..workbook import ChangeSet, Sheet, SheetInfo, Workbook, XlsxBackend, columns
from ..workbook.retry import AmbiguousWriteError
from . import rules
from .directory import Directory, Worker
from .errors import NotMigrated, RowChanged, SpoolNotFound, VersionConflict
from .rules import Holding, Operation, Spool

REQUIRED_VERSION = "v3.0"
MIGRATE_HINT = "run `spoolsheet migrate up` first"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


def parse_operation(op: str | Operation) -> Operation:
    try:
        return Operation(str(op).strip().upper())
    except ValueError:
        raise UsageError(f"--op must be ARM or SOLD, got {op!r}") from None


def spool_at(info: SheetInfo, row: int, cells: list, cols: dict[str, int]) -> Spool:
    """Parse one Operaciones row, with the fingerprint of all its cells as its ``row_hash``."""
    row_hash = sheet_fingerprint(Sheet(info, [cells]), grid=False)
    return rules.read_spool(info.title, row, cells, cols, row_hash)


class Operaciones:
    """Operaciones as read: its columns found by header name, its spools found by TAG."""

    def __init__(self, sheet: Sheet) -> None:
        cmap = columns(sheet)
        missing = [spec.name for spec in V3_COLUMNS if spec.name not in cmap]
        if missing:
            raise NotMigrated(f"sheet {sheet.title!r} has no {', '.join(missing)} column: the "
                              f"workbook is not at {REQUIRED_VERSION}; {MIGRATE_HINT}")
        self.sheet = sheet
        self.cols = cmap.require(rules.COLUMNS)

    def tag_rows(self) -> dict[str, list[int]]:
        """Every TAG and the rows it stands at (more than one is a data error, raised on use)."""
        out: dict[str, list[int]] = {}
        for row in range(2, len(self.sheet.rows) + 1):
            value = self.sheet.cell(row, self.cols[TAG_COLUMN])
            if not is_blank(value):
                out.setdefault(str(value).strip(), []).append(row)
        return out

    def _spool(self, tag: str, rows: list[int]) -> Spool:
        if len(rows) > 1:
            raise DataError(f"TAG {tag} appears in rows {' and '.join(map(str, rows))}",
                            sheet=self.sheet.title, column=TAG_COLUMN)
        return spool_at(self.sheet.info, rows[0], self.sheet.row(rows[0]), self.cols)

    def spool(self, tag: str) -> Spool:
        tag = tag.strip()
        rows = self.tag_rows().get(tag)
        if not rows:
            raise SpoolNotFound(f"spool {tag} not found in {self.sheet.title}", tag=tag)
        return self._spool(tag, rows)

    def spools(self) -> Iterator[Spool]:
        """Every spool, in the order of the sheet."""
        for tag, rows in self.tag_rows().items():
            yield self._spool(tag, rows)


@dataclass
class RowIndex:
    """Where each TAG stood in a full read of Operaciones on .xlsx, and the backend's counters
    (loads, writes) right after it or after our last write.

    Why it is safe: inside the exclusive section no other writer of the file runs. If since then
    the backend has not loaded the file again (a change on disk makes it reload) and has made no
    write but ours, the workbook in memory is that read plus our own writes, and ours never move
    a row. So the row numbers still hold, and the row itself is read fresh from memory. Any other
    load or write, an expired directory, or a changed header: back to a full read.
    """

    info: SheetInfo
    header: list
    cols: dict[str, int]
    rows: dict[str, list[int]]
    stamp: tuple[int, int]


@dataclass(frozen=True)
class Outcome:
    """What one TOMAR / PAUSAR / COMPLETAR did: the spool before and after, and its event."""

    action: str
    before: Spool
    after: Spool
    operation: Operation | None
    worker: Worker
    event: Event

    def __str__(self) -> str:
        what = f" {self.operation}" if self.operation else ""
        return (f"{self.action}{what} {self.before.tag}: {self.worker.ref} "
                f"(version {self.before.version} → {self.after.version})")


Decision = tuple[Spool, Operation | None, str]  # the spool afterwards, its operation, event type


class OccupationService:
    """The long-lived object an HTTP API keeps per workbook: each call is one read and one write.

    On .xlsx the backend keeps the workbook loaded and reloads it only when the file changed on
    disk, so an operation costs about one save.
    """

    def __init__(self, workbook: Workbook, *, cache_ttl: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.workbook = workbook
        self.directory = Directory(cache_ttl, clock)
        self._index: RowIndex | None = None  # .xlsx only: Google is always read whole

    def _stamp(self) -> tuple[int, int]:
        return (self.workbook.stats.reads, self.workbook.stats.writes)

    # --- reading -----------------------------------------------------------------------------

    def _read(self, *extra: str) -> tuple[Operaciones, dict[str, Sheet]]:
        """One read; refuses a workbook that is not at v3.0.

        While the slow sheets are cached: Operaciones and ``extra``. When they expired: every
        sheet, which is still one request, and also tells the Google backend the whole sheet
        list, so that the write that follows needs no request of its own to learn sheet ids.
        """
        stale = self.directory.stale()
        sheets = self.workbook.read(None if stale else [OPERACIONES, *extra])
        if stale:
            self.directory.load(sheets)
        found = self.directory.schema_version
        if version_key(found) < version_key(REQUIRED_VERSION):
            self.directory.expire()  # so that the next call sees a migration at once
            raise NotMigrated(f"{self.workbook.title!r} is at schema {found}, occupation needs "
                              f"{REQUIRED_VERSION}; {MIGRATE_HINT}")
        if OPERACIONES not in sheets:
            raise SheetNotFound(f"sheet {OPERACIONES!r} not found in {self.workbook.title!r}")
        return Operaciones(sheets[OPERACIONES]), sheets

    def get(self, tag: str) -> Spool:
        """The spool as it is now, with the ``version`` and ``row_hash`` to expect when changing it."""
        return self._read()[0].spool(tag)

    def spools(self, *, free: bool = False, occupied: bool = False) -> list[Spool]:
        """Every spool (or only the free, or only the occupied ones), in sheet order."""
        if free and occupied:
            raise UsageError("--free and --occupied exclude each other; give one or neither")
        return [s for s in self._read()[0].spools()
                if not (free and not s.free) and not (occupied and s.free)]

    def history(self, tag: str) -> list[Holding]:
        """Who held the spool, for which operation, from when to when (from the Metadata log)."""
        ops, sheets = self._read(METADATA)
        spool = ops.spool(tag)
        return rules.holdings(read_events(sheets[METADATA]), spool.tag)

    # --- changing ----------------------------------------------------------------------------

    def tomar(self, tag: str, *, worker: int, op: str | Operation,
              expect_version: int | None = None, expect_row_hash: str | None = None) -> Outcome:
        operation = parse_operation(op)

        def decide(spool: Spool, who: Worker, today: dt.date) -> Decision:
            return rules.tomar(spool, who, operation, today), operation, "TOMAR_SPOOL"

        return self._change("TOMAR", tag, worker, expect_version, expect_row_hash, decide)

    def pausar(self, tag: str, *, worker: int, expect_version: int | None = None,
               expect_row_hash: str | None = None) -> Outcome:
        def decide(spool: Spool, who: Worker, today: dt.date) -> Decision:
            started = rules.started_operations(spool)
            return (rules.pausar(spool, who), started[0] if len(started) == 1 else None,
                    "PAUSAR_SPOOL")

        return self._change("PAUSAR", tag, worker, expect_version, expect_row_hash, decide)

    def completar(self, tag: str, *, worker: int, expect_version: int | None = None,
                  expect_row_hash: str | None = None) -> Outcome:
        def decide(spool: Spool, who: Worker, today: dt.date) -> Decision:
            rules.check_holder(spool, who)
            started = rules.started_operations(spool)
            operation = started[0] if len(started) == 1 else self._taken_for(spool)
            return (rules.completar(spool, who, operation, today), operation,
                    f"COMPLETAR_{operation}")

        return self._change("COMPLETAR", tag, worker, expect_version, expect_row_hash, decide)

    def _fresh(self, tag: str) -> tuple[Spool, dict[str, int]]:
        """The spool as it is now, and the columns; call inside the exclusive section.

        Operaciones is read whole, except on .xlsx between writes of our own (``RowIndex``):
        then only its header and the spool's row are read from the workbook in memory, which
        is reloaded first if the file changed on disk.
        """
        index, backend = self._index, self.workbook.backend
        rows = index.rows.get(tag.strip(), []) if index and not self.directory.stale() else []
        if index is not None and len(rows) == 1 and isinstance(backend, XlsxBackend):
            header, cells = backend.read_rows(OPERACIONES, [1, rows[0]])
            if self._stamp() == index.stamp and header == index.header:
                return spool_at(index.info, rows[0], cells, index.cols), index.cols
        ops, _ = self._read()
        if isinstance(backend, XlsxBackend):
            self._index = RowIndex(ops.sheet.info, ops.sheet.row(1), ops.cols, ops.tag_rows(),
                                   self._stamp())
        return ops.spool(tag), ops.cols

    def _taken_for(self, spool: Spool) -> Operation:
        """The operation of the holder's last TOMAR_SPOOL: one more read, only when needed."""
        return rules.operation_from_log(spool, read_events(self.workbook.read_sheet(METADATA)))

    def _change(self, action: str, tag: str, worker_id: int, expect_version: int | None,
                expect_row_hash: str | None,
                decide: Callable[[Spool, Worker, dt.date], Decision]) -> Outcome:
        with self.workbook.exclusive():
            before, cols = self._fresh(tag)
            if expect_version is not None and expect_version != before.version:
                raise VersionConflict(before.tag, expect_version, before.version)
            if expect_row_hash is not None and expect_row_hash != before.row_hash:
                raise RowChanged(before.tag, before.row, before.version)
            worker, today = self.directory.worker(worker_id), shop_today()
            after, operation, event_type = decide(before, worker, today)
            changes = ChangeSet()
            for column, value in rules.changed_cells(before, after).items():
                changes.set(OPERACIONES, before.row, cols[column], value)
            event = Event(
                event_type, tag_spool=before.tag, worker_id=worker.id, worker_nombre=worker.name,
                operacion=operation.value if operation else "", accion=action,
                fecha_operacion=today,
                metadata={"version_before": before.version, "version_after": after.version,
                          "row": before.row, "worker": str(worker.ref)})
            log_event(changes, event, self.directory.metadata)
            self._apply(changes, event)
            if self._index is not None:
                self._index.stamp = self._stamp()
        return Outcome(action, before, after, operation, worker, event)

    def _apply(self, changes: ChangeSet, event: Event) -> None:
        """Apply; if Google cannot say whether the write landed, re-read and find out.

        The write is one atomic batchUpdate, so its event row is in Metadata if and only if the
        spool row changed with it: the event's id decides.
        """
        try:
            self.workbook.apply(changes)
        except AmbiguousWriteError as exc:
            try:
                metadata = self.workbook.read_sheet(METADATA)
            except TransientBackendError:
                raise exc from None  # still unknown: say so rather than guess
            id_col = metadata_columns(metadata).index("id")
            if event.id in metadata.column(id_col, start=2):
                return
            raise TransientBackendError(
                f"{exc.args[0].removesuffix('; the write may have been applied')}; re-read: it "
                f"did not land, nothing changed; try again", status=exc.status) from exc
