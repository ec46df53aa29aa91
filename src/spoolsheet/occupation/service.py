"""``OccupationService``: the long-lived reader and group-committing writer of one workbook.

``commit(changes)`` is the one write path; ``tomar`` / ``pausar`` / ``completar`` are a group of
one. Inside ``workbook.exclusive()`` a group:

1. reads fresh, in ONE request (``read_regions``), only what it touches: Operaciones' header,
   its TAG column and the rows involved (plus workers, roles, the ledger and the Metadata header
   when their short cache expired). Rows are found by TAG in that read: a spool whose row moved
   since the last read (rows inserted by hand) is refused (``RowMoved``), never overwritten.
   When the backend's ``revision()`` says nothing changed since our last read or write, the
   TAG column is not read (the TAGs stand where that read found them), and when the whole board
   was known then, nothing is read at all;
2. checks each change in arrival order against that state (``commit.Group``);
3. writes every accepted change (cells, version + 1, Metadata event) as ONE ChangeSet: one
   ``spreadsheets.batchUpdate`` on Google, one atomic file replacement on .xlsx. A failed write
   fails every change in it; an ambiguous one (no answer after sending) is settled by reading
   back the events' ids before anyone is answered.

An Idempotency-Key travels in the event's metadata_json, so a retry finds its first answer in the
log even after a restart and never applies twice. On .xlsx the exclusive section is the file
lock (airtight across processes); on Google a lock inside this process: run one writer per
workbook (docs/occupation.md).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from ..audit import apply_logged, metadata_columns, read_events
from ..errors import DataError, SheetNotFound, SpoolsheetError, TransientBackendError, UsageError
from ..ledger import LEDGER_SHEET
from ..schema import (
    METADATA,
    METADATA_HEADERS,
    OPERACIONES,
    ROLES,
    TAG_COLUMN,
    TRABAJADORES,
    V2_1_HEADERS,
    ColumnMap,
)
from ..values import shop_today
from ..workbook import Region, Sheet, Workbook
from . import rules
from .commit import Action, Group, Outcome, StateChange
from .directory import Directory, Worker
from .errors import LayoutDrift, NotMigrated, SheetChanged
from .rules import Holding, Operation, Spool
from .view import MIGRATE_HINT, REQUIRED_VERSION, Operaciones, tag_rows

Result = Outcome | SpoolsheetError


class LayoutCheck(Protocol):
    """The migration chain's drift check (``migrations.layout_check``), handed in: occupation
    cannot import migrations. Called with the header rows of ``sheets`` (those the workbook
    has) and the ledger; returns the problems, [] when none."""

    @property
    def sheets(self) -> Collection[str]: ...

    def __call__(self, sheets: Mapping[str, Sheet], /) -> list[str]: ...


#: The sheets beside Operaciones a read may name; one missing reads as [] and ``Directory.load``
#: names it (the read itself does not ask for the sheet list first).
SLOW_SHEETS = (TRABAJADORES, ROLES, METADATA, LEDGER_SHEET)
#: Where the schema puts the TAG column: a fresh process reads it there before knowing the header.
SCHEMA_TAG_COLUMN = V2_1_HEADERS.index(TAG_COLUMN) + 1
#: Where the schema puts Metadata's tag_spool: a history reads the log's rows of one TAG there.
SCHEMA_LOG_TAG_COLUMN = METADATA_HEADERS.index("tag_spool") + 1


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


def receipts_from_log(metadata: Sheet) -> dict[str, Outcome]:
    """Every occupation event of the log that carries an Idempotency-Key, by key.

    Lenient on purpose: a row edited by hand into something unreadable is no answer to any key,
    and must not stop the service.
    """
    cmap = metadata_columns(metadata)
    idx = {name: cmap.index(name) for name in
           ("id", "evento_tipo", "tag_spool", "operacion", "accion", "metadata_json")}
    out: dict[str, Outcome] = {}
    for r in range(2, len(metadata.rows) + 1):
        raw = metadata.cell(r, idx["metadata_json"])
        if not isinstance(raw, str) or "idempotency_key" not in raw:
            continue
        try:
            meta = json.loads(raw)
        except ValueError:
            continue
        key = meta.get("idempotency_key") if isinstance(meta, dict) else None
        event_id, tipo, tag, operacion, accion = (
            str(metadata.cell(r, idx[name]) or "").strip()
            for name in ("id", "evento_tipo", "tag_spool", "operacion", "accion"))
        outcome = (Outcome.from_logged(event_id, tipo, tag, operacion, accion, meta)
                   if key else None)
        if outcome is not None and isinstance(key, str):
            out[key] = outcome
    return out


class OccupationService:
    """The object a long-lived program keeps per workbook (the HTTP service keeps one).

    ``cache_ttl``: seconds workers, roles and the schema version are kept. ``view_ttl``: seconds
    the board (every spool, for ``spools`` / ``get``) is kept between reads; the service's own
    writes keep it current, hand edits are seen when it expires. 0 (the library's default) reads
    on every call. ``layout_check``: run whenever the directory is (re)loaded, on the header rows
    of the sheets it names, read in the same request; drift refuses every call (``LayoutDrift``) until
    the sheet is fixed, and ``drift`` keeps what the last check found.
    """

    def __init__(self, workbook: Workbook, *, cache_ttl: float = 60.0, view_ttl: float = 0.0,
                 clock: Callable[[], float] = time.monotonic,
                 layout_check: LayoutCheck | None = None) -> None:
        self.workbook = workbook
        self.directory = Directory(cache_ttl, clock)
        self.layout_check = layout_check
        self.drift: list[str] = []  # what the last layout check found
        self.view_ttl = view_ttl
        self._clock = clock
        self._layout: Operaciones | None = None  # header + where each TAG stands (no rows)
        self._layout_at: object | None = None  # the backend's revision the layout is right at
        self._board: Operaciones | None = None  # every row, as last read plus our own writes
        self._board_at: float | None = None
        self._shown: Operaciones | None = None  # only the columns a listing shows (no row_hash)
        self._shown_at: float | None = None
        self._revision: object | None = None  # the backend's revision after our last read/write
        self._receipts: dict[str, Outcome] | None = None  # by Idempotency-Key, loaded on first use
        self._taken: dict[str, tuple[int, Operation]] = {}  # our TOMARs: tag → (worker, op)
        self.last_write: dt.datetime | None = None  # UTC time of the last write that landed

    # --- reading -----------------------------------------------------------------------------

    def _slow_regions(self, with_log: bool) -> list[Region]:
        """What the directory needs (when stale) and the log (when asked): regions to read."""
        regions: list[Region] = []
        if self.directory.stale():
            regions += [Region(TRABAJADORES), Region(ROLES), Region(LEDGER_SHEET)]
        if with_log:
            regions.append(Region(METADATA))
        elif self.directory.stale():
            regions.append(Region(METADATA, 1, 1))
        if self.directory.stale() and self.layout_check is not None:
            read = {r.title for r in regions}
            regions += [Region(t, 1, 1) for t in sorted(self.layout_check.sheets)
                        if t not in read]
        return regions

    def _take_slow(self, regions: Sequence[Region], cells: Sequence[list[list]]) -> None:
        """Load the directory and the log's keys from what ``_slow_regions`` asked for."""
        sheets = {r.title: Sheet(info, c) for r, c in zip(regions, cells, strict=True)
                  if (info := self.workbook.sheet_info(r.title)) is not None}
        if TRABAJADORES in sheets:
            if self.layout_check is not None:  # before loading: refused, the next call checks again
                self.drift = self.layout_check(sheets)
                if self.drift:
                    raise LayoutDrift(f"{self.workbook.title!r} has drifted from the layout its "
                                      "migrations give it: " + "; ".join(self.drift) + "; nothing "
                                      "was written; see `spoolsheet migrate check`")
            self.directory.load(sheets)
            found = self.directory.schema_version
            if version_key(found) < version_key(REQUIRED_VERSION):
                self.directory.expire()  # so that the next call sees a migration at once
                raise NotMigrated(f"{self.workbook.title!r} is at schema {found}, occupation "
                                  f"needs {REQUIRED_VERSION}; {MIGRATE_HINT}")
            if self.directory.dropped:
                self.directory.expire()
                raise NotMigrated(f"{self.workbook.title!r} is at schema {found}: " + ", ".join(
                    f"{mid} dropped {name!r}" for name, mid in self.directory.dropped.items())
                    + f" from {OPERACIONES!r}, which occupation needs; occupation cannot run on "
                    "it until `spoolsheet migrate down` undoes that")
        if any(r.title == METADATA and r.last_row is None for r in regions) and METADATA in sheets:
            self._receipts = receipts_from_log(sheets[METADATA])

    def _read(self, regions: Sequence[Region], *, described: bool = False) -> list[list[list]]:
        """One read (``read_described`` for small regions); ``SLOW_SHEETS`` and the layout
        check's may be missing (the check names a sheet it expects and does not find)."""
        read = self.workbook.read_described if described else self.workbook.read_regions
        checked = tuple(self.layout_check.sheets) if self.layout_check is not None else ()
        return read(regions, optional=(*SLOW_SHEETS, *checked))

    def _read_board(self, *extra: Region) -> list[list[list]]:
        """Every row of Operaciones, the slow sheets when stale and ``extra``: one request.
        Returns the cells of ``extra``."""
        revision = self.workbook.revision()
        slow = self._slow_regions(with_log=False)
        cells = self._read([*slow, Region(OPERACIONES), *extra])
        self._take_slow(slow, cells[:len(slow)])
        board = Operaciones.whole(OPERACIONES, cells[len(slow)])
        self._board, self._board_at = board, self._clock()
        self._layout = Operaciones(OPERACIONES, board.header, dict(board.tags))
        self._revision = self._layout_at = revision
        return cells[len(slow) + 1:]

    def board(self) -> Operaciones:
        """Operaciones as it is (within ``view_ttl``; at once when the revision says unchanged)."""
        board, at = self._board, self._board_at
        if board is not None and at is not None and not self.directory.stale():
            revision = self.workbook.revision()
            if self._clock() - at < self.view_ttl or (
                    revision is not None and revision == self._revision):
                return board
        self._read_board()
        assert self._board is not None
        return self._board

    def _listing(self, hashed: bool) -> Operaciones:
        """What ``survey`` lists: the board when it is fresh, or nothing is known yet and the
        listing shows row_hash; else a read of only the columns shown, with no row_hash
        (``get`` gives it): within ``view_ttl``, or when nothing is known yet (a CLI process:
        the slow sheets and the header first, then the columns)."""
        board, at = self._board, self._board_at
        fresh = board is not None and at is not None and self._clock() - at < self.view_ttl
        if not fresh and not hashed and self._layout is None:
            slow = self._slow_regions(with_log=False)
            cells = self._read([*slow, Region(OPERACIONES, 1, 1)], described=True)
            self._take_slow(slow, cells[:len(slow)])
            header = cells[len(slow)][0] if cells[len(slow)] else []
            listed = self._columns_shown(Operaciones(OPERACIONES, header, {}))
            if self._layout is None:  # (the board, read whole instead, sets it)
                self._layout = Operaciones(OPERACIONES, listed.header, dict(listed.tags))
            return listed
        layout = self._layout
        if fresh or layout is None or self.directory.stale() or not self.view_ttl:
            return self.board()
        shown, at = self._shown, self._shown_at
        if shown is not None and at is not None and self._clock() - at < self.view_ttl:
            return shown
        return self._columns_shown(layout)

    def _columns_shown(self, layout: Operaciones) -> Operaciones:
        """Only the columns a listing shows, with the header again (one request): the board
        read whole instead when the header is not ``layout``'s any more."""
        columns = sorted(set(layout.cols.values()))
        runs: list[tuple[int, int]] = []
        for col in columns:
            if runs and runs[-1][1] == col - 1:
                runs[-1] = (runs[-1][0], col)
            else:
                runs.append((col, col))
        cells = self.workbook.read_regions([Region(OPERACIONES, 1, 1), *[
            Region(OPERACIONES, 2, None, first, last) for first, last in runs]])
        header = cells[0][0] if cells[0] else []
        if header != layout.header:  # columns moved by hand: read the whole sheet again
            self._layout = self._board = self._shown = None
            return self.board()
        self._shown = Operaciones.shown(OPERACIONES, header, runs, cells[1:])
        self._shown_at = self._clock()
        return self._shown

    def get(self, tag: str) -> Spool:
        """The spool as it is now, with the ``version`` and ``row_hash`` to expect when changing it.

        Past the first read, only what a state change reads: the header, the TAG column and the
        row (one request, a few KB), unless the board is fresh or the revision says unchanged."""
        return self._one(tag)[0]

    def _one(self, tag: str, *extra: Region) -> tuple[Spool, list[list[list]]]:
        """The spool ``tag`` read fresh (cheaply when the layout is known) and ``extra``'s cells,
        in one request."""
        board, at = self._board, self._board_at
        if not extra and board is not None and at is not None and not self.directory.stale():
            revision = self.workbook.revision()
            if self._clock() - at < self.view_ttl or (
                    revision is not None and revision == self._revision):
                return board.spool(tag), []
        if self._layout is None and extra:  # nothing known (a CLI process): not the whole sheet
            view, cells = self._first([tag], self._slow_regions(with_log=False), *extra)
            self._layout = Operaciones(OPERACIONES, view.header, dict(view.tags))
            self._revision = None
            return view.spool(tag), cells
        if self._layout is not None:  # workers and roles ride along when their cache expired
            view, cells = self._touched([tag], self._slow_regions(with_log=False), *extra)
            self._layout = Operaciones(OPERACIONES, view.header, dict(view.tags))
            self._revision = None  # the board is no longer known whole at any revision
            if view.where(tag) in view.rows:
                return view.spool(tag), cells
        cells = self._read_board(*extra)  # new to us, moved, or nothing known yet: read it whole
        assert self._board is not None
        return self._board.spool(tag), cells

    def survey(self, *, free: bool = False, occupied: bool = False, op: Operation | None = None,
               hashed: bool = True) -> list[Spool | DataError]:
        """Every spool in sheet order (or only the free, or only the occupied ones; with ``op``
        only those it concerns: ``rules.concerns``), and the DataError naming the cell of each
        spool that cannot be read; ``hashed=False``: without row_hash (a listing for people)."""
        if free and occupied:
            raise UsageError("--free and --occupied exclude each other; give one or neither")
        return [s for s in self._listing(hashed).survey(hashed=hashed) if not isinstance(s, Spool)
                or not ((free and not s.free) or (occupied and s.free)
                        or (op is not None and not rules.concerns(s, op)))]

    def spools(self, *, free: bool = False, occupied: bool = False,
               op: Operation | None = None) -> list[Spool]:
        """Every readable spool (or only the free, or only the occupied ones, or only those
        ``op`` concerns), in sheet order."""
        return [s for s in self.survey(free=free, occupied=occupied, op=op)
                if isinstance(s, Spool)]

    def workers(self) -> list[Worker]:
        """Every worker of Trabajadores with the active roles Roles grants, by Id."""
        if self.directory.stale():
            slow = self._slow_regions(with_log=False)
            self._take_slow(slow, self._read(slow))
        return sorted(self.directory.workers.values(), key=lambda w: w.id)

    def history(self, tag: str) -> list[Holding]:
        """Who held the spool, for which operation, from when to when: from the Metadata log's
        rows of its TAG only, in the column where the schema puts it (read again from where
        the header has it, if elsewhere: one request more)."""
        key, col = tag.strip(), SCHEMA_LOG_TAG_COLUMN
        spool, (header, log) = self._one(tag, Region(METADATA, 1, 1),
                                         Region(METADATA, where=(col, key)))
        info = self.workbook.sheet_info(METADATA)
        if info is None:
            raise SheetNotFound(f"sheet {METADATA!r} not found in {self.workbook.title!r}")
        found = metadata_columns(Sheet(info, header)).index("tag_spool")
        if found != col:
            log = self.workbook.read_regions([Region(METADATA, where=(found, key))])[0]
        return rules.holdings(read_events(Sheet(info, header + log[1:]), tag=spool.tag),
                              spool.tag)

    # --- changing ----------------------------------------------------------------------------

    def tomar(self, tag: str, *, worker: int | str, op: str | Operation,
              expect_version: int | None = None, expect_row_hash: str | None = None,
              key: str | None = None, client: str | None = None) -> Outcome:
        """Take a free spool for ARM or SOLD."""
        return self.one(StateChange.of(Action.TOMAR, tag, worker, op, expect_version=expect_version,
                                       expect_row_hash=expect_row_hash, key=key, client=client))

    def pausar(self, tag: str, *, worker: int | str, expect_version: int | None = None,
               expect_row_hash: str | None = None, key: str | None = None,
               client: str | None = None) -> Outcome:
        """Release a spool you hold, keeping its progress."""
        return self.one(StateChange.of(Action.PAUSAR, tag, worker, expect_version=expect_version,
                                       expect_row_hash=expect_row_hash, key=key, client=client))

    def completar(self, tag: str, *, worker: int | str, expect_version: int | None = None,
                  expect_row_hash: str | None = None, key: str | None = None,
                  client: str | None = None) -> Outcome:
        """Finish the operation you took the spool for, and release it."""
        return self.one(StateChange.of(Action.COMPLETAR, tag, worker,
                                       expect_version=expect_version,
                                       expect_row_hash=expect_row_hash, key=key, client=client))

    def one(self, change: StateChange) -> Outcome:
        """A group of one: its outcome, or its refusal raised."""
        result = self.commit([change])[0]
        if isinstance(result, SpoolsheetError):
            raise result
        return result

    def commit(self, changes: Sequence[StateChange]) -> list[Result]:
        """Apply a group of state changes as one write; each gets its outcome or its refusal.

        Changes are judged in order against the state the earlier accepted ones leave; a retry
        with a known Idempotency-Key gets its first outcome (``replayed``) and writes nothing.
        If the read or the write fails, every change the failure concerns gets that error and
        nothing of the group landed.
        """
        results: list[Result | None] = [None] * len(changes)
        with self.workbook.exclusive():
            try:
                view = self._fresh(changes)
            except SpoolsheetError as exc:
                if not isinstance(exc, TransientBackendError):
                    self._layout = self._board = None  # whatever moved, read it whole next time
                return [exc for _ in changes]
            group = Group(view, self.directory, shop_today(), self._taken_for)
            first: dict[str, int] = {}  # key → index of the change in this group that has it
            accepted: list[int] = []
            for i, change in enumerate(changes):
                try:
                    if change.key and (change.key in first or change.key in (self._receipts or {})):
                        continue  # answered below, from the first outcome
                    results[i] = group.add(change)
                    accepted.append(i)
                    if change.key:
                        first[change.key] = i
                except SpoolsheetError as exc:
                    results[i] = exc
            if group.events:
                try:
                    self._write(group)
                except SpoolsheetError as exc:
                    for i in accepted:
                        results[i] = exc
                    self._layout = self._board = None  # read everything afresh next time
                    accepted = []
                self._landed(group, [results[i] for i in accepted])
            for i, change in enumerate(changes):
                if results[i] is None:
                    results[i] = self._replay(change, results[first[change.key]]
                                              if change.key in first else None)
        return [r for r in results if r is not None]

    def _replay(self, change: StateChange, same_group: Result | None) -> Result:
        """The answer to a change whose Idempotency-Key was seen before."""
        assert change.key is not None
        prior = same_group if same_group is not None else (self._receipts or {})[change.key]
        if isinstance(prior, SpoolsheetError):
            return prior
        try:
            worker_id = self.directory.worker(change.worker).id
        except SpoolsheetError as exc:
            return exc
        if not prior.matches(change, worker_id):
            return UsageError(f"Idempotency-Key {change.key!r} was used for another request "
                              f"({prior.action} {prior.tag} by {prior.worker}); a key names "
                              f"one request")
        return replace(prior, replayed=True, spool=None)

    def _fresh(self, changes: Sequence[StateChange]) -> Operaciones:
        """The state the group is judged on: one read of what it touches (or none)."""
        with_log = self._receipts is None and any(c.key for c in changes)
        board, layout = self._board, self._layout
        revision = self.workbook.revision()
        if (board is not None and layout is not None and not with_log
                and not self.directory.stale() and revision is not None
                and revision == self._revision):
            return Operaciones(OPERACIONES, board.header, dict(board.tags), dict(board.rows))
        slow = self._slow_regions(with_log)
        tags = [c.tag for c in changes]
        view = (self._first(tags, slow) if layout is None else self._touched(tags, slow))[0]
        self._layout = Operaciones(OPERACIONES, view.header, dict(view.tags))
        self._revision = None  # the board is known whole at a revision only after a whole read
        return view

    def _first(self, tags: Sequence[str], slow: Sequence[Region],
               *extra: Region) -> tuple[Operaciones, list[list[list]]]:
        """What a group reads when nothing is known yet (a CLI process), in two requests, with
        no sheet list and no whole Operaciones: its header and TAG column where the schema puts
        it (one request more when the header has it elsewhere), with ``slow`` and ``extra``
        (whose cells it returns); then the rows the TAGs stand at, the header again and one row
        of each other sheet read, for their sizes (``read_described``). A header or row that
        changed in between is refused."""
        revision = self.workbook.revision()
        tag_col = SCHEMA_TAG_COLUMN
        for _ in range(2):
            cells = self._read([*slow, Region(OPERACIONES, 1, 1),
                                Region(OPERACIONES, 2, None, tag_col, tag_col), *extra])
            header = cells[len(slow)][0] if cells[len(slow)] else []
            found = ColumnMap.from_row(OPERACIONES, header).positions(TAG_COLUMN)
            if len(found) != 1 or found[0] == tag_col:
                break
            tag_col = found[0]
        at = tag_rows([r[0] if r else None for r in cells[len(slow) + 1]])
        rows = sorted({r for t in tags for r in at.get(t.strip(), [])})
        sized = list(dict.fromkeys(r.title for r in (*slow, *extra) if r.title != OPERACIONES))
        again = self._read([Region(OPERACIONES, 1, 1), *[Region(OPERACIONES, r, r) for r in rows],
                            *[Region(t, 1, 1) for t in sized]], described=True)
        self._take_slow(slow, cells[:len(slow)])
        read = {r: c[0] if c else [] for r, c in zip(rows, again[1:], strict=False)}
        view = Operaciones(OPERACIONES, header, at, read)
        stands = {r: t for t, rs in at.items() for r in rs}
        if (again[0][0] if again[0] else []) != header or any(
                str(row[tag_col - 1] if tag_col <= len(row) else "").strip() != stands[r]
                for r, row in read.items()):
            raise SheetChanged(f"{OPERACIONES} changed while it was read (a row or column "
                               f"moved); nothing was written; try again")
        self._layout_at = revision
        return view, cells[len(slow) + 2:]

    def _touched(self, tags: Sequence[str], slow: Sequence[Region],
                 *extra: Region) -> tuple[Operaciones, list[list[list]]]:
        """One request: ``slow``, Operaciones' header, its TAG column, the rows ``tags`` stood at
        when last read, and ``extra`` (whose cells it returns). Needs the layout. The TAG column
        is left out when the backend's revision says nothing changed since the layout was right
        (our own writes move no row): the rows stand where the layout has them."""
        layout = self._layout
        assert layout is not None
        revision = self.workbook.revision()
        known = revision is not None and revision == self._layout_at
        tag_col = layout.tag_column
        rows = sorted({r for t in tags for r in layout.tags.get(t.strip(), [])})
        regions = [Region(OPERACIONES, 1, 1),
                   *([] if known else [Region(OPERACIONES, 2, None, tag_col, tag_col)]),
                   *[Region(OPERACIONES, r, r) for r in rows]]
        cells = self._read([*slow, *regions, *extra])
        self._take_slow(slow, cells[:len(slow)])
        header, *read = cells[len(slow):len(slow) + len(regions)]
        at = dict(layout.tags) if known else tag_rows([r[0] if r else None for r in read.pop(0)])
        view = Operaciones(OPERACIONES, header[0] if header else [], at,
                           {r: c[0] if c else [] for r, c in zip(rows, read, strict=True)})
        self._layout_at = revision
        if view.tag_column != tag_col or view.header != layout.header:
            self._layout = self._board = None
            if view.tag_column != tag_col:
                raise SheetChanged(f"the header of {OPERACIONES} changed since it was read "
                                   f"(the TAG column moved); nothing was written; try again")
        if self._board is not None and view.tags != self._board.tags:
            self._board = None  # rows moved by hand: the board must be read again
        return view, cells[len(slow) + len(regions):]

    def _taken_for(self, spool: Spool) -> Operation:
        """The operation the holder took the spool for, when its columns do not tell (ARM paused
        and SOLD taken): from our own TOMARs, else the holder's last TOMAR_SPOOL in the log."""
        taken = self._taken.get(spool.tag)
        if taken and spool.holder and taken[0] == spool.holder.id:
            return taken[1]
        log = self.workbook.read_sheet(METADATA, formulas=False)
        return rules.operation_from_log(spool, read_events(log))

    def _write(self, group: Group) -> None:
        """Apply the group's one ChangeSet; if Google cannot say whether it landed, its events'
        ids in Metadata decide (the write is atomic)."""
        assert self.directory.metadata is not None  # loaded before any event was built
        apply_logged(self.workbook, group.changes, group.events, self.directory.metadata)

    def _landed(self, group: Group, outcomes: Sequence[Result | None]) -> None:
        """What a group that landed leaves: the board, the keys, our TOMARs, the revision."""
        done = [o for o in outcomes if isinstance(o, Outcome)]
        if not done:
            return
        self.last_write = dt.datetime.now(dt.UTC)
        now = self.workbook.revision()
        if self._revision is not None:  # the board was whole before the write: it still is
            self._revision = now
        if self._layout_at is not None:  # a state change moves no row: the layout still holds
            self._layout_at = now
        self._taken.update(group.taken)
        if self._receipts is not None:
            self._receipts.update({o.key: o for o in done if o.key})
        for name in ("_board", "_shown"):
            view = getattr(self, name)
            if view is not None and view.tags == group.view.tags:
                for o in done:
                    view.rows[o.row] = group.view.rows[o.row]
            else:
                setattr(self, name, None)

