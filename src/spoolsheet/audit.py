"""The append-only audit log in the Metadata sheet: events, validated, never edited.

Every event has a known type (an unknown one is an error, never dropped silently) and
``metadata_json`` that is real JSON. Events are added to a ``ChangeSet`` so that they land in
the same atomic write as the change they describe.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import SchemaError, TransientBackendError, UsageError
from .schema import METADATA, METADATA_HEADERS, ColumnMap
from .values import Cell, format_date, format_datetime, is_blank, parse_date, parse_int, parse_json, shop_now
from .workbook.base import Region, Sheet
from .workbook.changes import ChangeSet
from .workbook.retry import AmbiguousWriteError

if TYPE_CHECKING:
    from .workbook import Workbook

_OPS = ("ARM", "SOLD", "METROLOGIA")
EVENT_TYPES: frozenset[str] = frozenset(
    [f"{verb}_{op}" for verb in ("INICIAR", "COMPLETAR", "CANCELAR") for op in _OPS]
    + ["TOMAR_SPOOL", "PAUSAR_SPOOL", "BACKUP_CREATED", "BACKUP_RESTORED",
       "MIGRATION_APPLIED", "MIGRATION_REVERTED", "MIGRATION_BASELINED"]
)

#: The note (``ChangeSet.set_note``) each BACKUP_CREATED event keeps in its own write: the
#: backup's id, name and creation time as JSON, which ``migrate status`` reads instead of
#: scanning the whole log (the log stays the record; older workbooks have no note).
LAST_BACKUP_NOTE = "spoolsheet.last_backup"
_NOTED = ("backup_id", "backup_name", "created")


@dataclass(frozen=True)
class Event:
    evento_tipo: str
    tag_spool: str = ""
    worker_id: int | None = None
    worker_nombre: str = ""
    operacion: str = ""
    accion: str = ""
    fecha_operacion: dt.date | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timestamp: dt.datetime = field(default_factory=shop_now)

    def __post_init__(self) -> None:
        if self.evento_tipo not in EVENT_TYPES:
            raise UsageError(f"unknown audit event type {self.evento_tipo!r}; known: "
                             + ", ".join(sorted(EVENT_TYPES)))

    def metadata_json(self) -> str:
        return json.dumps(dict(self.metadata), ensure_ascii=False, sort_keys=True, default=str)

    def row(self) -> list[Cell]:
        """The event as a Metadata row, in METADATA_HEADERS order. Every text cell stays text."""
        return [
            self.id,
            format_datetime(self.timestamp),
            self.evento_tipo,
            self.tag_spool,
            self.worker_id if self.worker_id is not None else "",
            self.worker_nombre,
            self.operacion,
            self.accion,
            format_date(self.fecha_operacion or self.timestamp.date()),
            self.metadata_json(),
        ]


def metadata_columns(sheet: Sheet) -> ColumnMap:
    """Metadata's header, matched case-insensitively; all ten columns must be there."""
    cmap = ColumnMap.from_row(sheet.title, sheet.row(1))
    cmap.require(METADATA_HEADERS)
    return cmap


def log_event(changes: ChangeSet, event: Event, metadata: Sheet | None = None) -> ChangeSet:
    """Add ``event`` to ``changes`` as a row appended to Metadata.

    With the Metadata sheet as read, the row follows its header order (production may reorder
    columns); without it, the standard order is used.
    """
    values = event.row()
    if metadata is not None:
        cmap = metadata_columns(metadata)
        row: list[Cell] = [None] * cmap.width
        for name, value in zip(METADATA_HEADERS, values, strict=True):
            row[cmap.index(name) - 1] = value
        values = row
    if event.evento_tipo == "BACKUP_CREATED":
        changes.set_note(LAST_BACKUP_NOTE, json.dumps(
            {k: event.metadata[k] for k in _NOTED if k in event.metadata}, ensure_ascii=False))
    return changes.append_rows(METADATA, [values])


def apply_logged(workbook: Workbook, changes: ChangeSet, events: Sequence[Event],
                 metadata: Sheet) -> None:
    """Apply ``changes``, which log ``events`` in the same atomic write; when the backend cannot
    say whether it landed (the answer was lost), the events' ids in Metadata decide (one read):
    there, it landed whole; absent, nothing did. Never repeated blindly, never guessed."""
    try:
        workbook.apply(changes)
    except AmbiguousWriteError as exc:
        col = metadata_columns(metadata).index("id")
        try:
            found = workbook.read_regions([Region(METADATA, 2, None, col, col)])[0]
        except TransientBackendError:
            raise exc from None  # still unknown: say so rather than guess
        logged = {str(r[0]) for r in found if r and not is_blank(r[0])}
        ids = {e.id for e in events}
        if ids <= logged:
            return
        if ids & logged:  # cannot happen with one atomic write: say so rather than guess
            raise exc
        raise TransientBackendError(
            f"{exc.args[0].removesuffix('; the write may have been applied')}; re-read: it "
            f"did not land, nothing changed; try again", status=exc.status) from exc


@dataclass(frozen=True)
class LoggedEvent:
    """An event as read back from the sheet (``row`` is its 1-based row number)."""

    row: int
    id: str
    timestamp: dt.datetime | dt.date | None
    evento_tipo: str
    tag_spool: str
    worker_id: int | None
    worker_nombre: str
    operacion: str
    accion: str
    metadata: dict[str, Any]


def log_rows(sheet: Sheet, columns: Mapping[str, int], key: str, json_column: str,
             rows: Iterable[int] | None = None
             ) -> Iterator[tuple[int, Callable[[str], Cell], dict[str, Any]]]:
    """The rows of an append-only log sheet (Metadata, the migration ledger) whose ``key`` cell
    is filled (of ``rows`` only, when given): the row number, its cells by column name, and its
    ``json_column`` parsed (``{}`` when blank; a bad one is a SchemaError naming the sheet and
    row)."""
    for r in range(2, len(sheet.rows) + 1) if rows is None else rows:
        def get(name: str, r: int = r) -> Cell:
            return sheet.cell(r, columns[name]) if name in columns else None

        if is_blank(get(key)):
            continue
        try:
            data = parse_json(get(json_column))
        except ValueError:
            raise SchemaError(f"sheet {sheet.title!r} row {r}: {json_column} is not valid "
                              "JSON") from None
        yield r, get, data if isinstance(data, dict) else {"value": data}


def read_events(sheet: Sheet, *, tag: str | None = None,
                kind: str | None = None) -> Iterator[LoggedEvent]:
    """Every event in the Metadata sheet, oldest first; with ``tag`` / ``kind`` only the events
    of that TAG_SPOOL / evento_tipo, the others skipped before any of their cells is parsed (a
    spool's history, the last backup: a few rows of a log of many thousands). A bad
    metadata_json of an event read is a SchemaError."""
    cmap = metadata_columns(sheet)
    idx = {name: cmap.index(name) for name in METADATA_HEADERS}
    rows = None
    if tag is not None or kind is not None:
        tags, kinds = idx["tag_spool"], idx["evento_tipo"]
        rows = [r for r in range(2, len(sheet.rows) + 1)
                if (tag is None or str(sheet.cell(r, tags) or "") == tag)
                and (kind is None or str(sheet.cell(r, kinds)) == kind)]
    for r, get, meta in log_rows(sheet, idx, "evento_tipo", "metadata_json", rows):
        worker = get("worker_id")
        yield LoggedEvent(
            row=r,
            id=str(get("id") or ""),
            timestamp=parse_date(get("timestamp"), sheet=sheet.title, row=r, column="timestamp"),
            evento_tipo=str(get("evento_tipo")),
            tag_spool=str(get("tag_spool") or ""),
            worker_id=parse_int(worker, sheet=sheet.title, row=r, column="worker_id"),
            worker_nombre=str(get("worker_nombre") or ""),
            operacion=str(get("operacion") or ""),
            accion=str(get("accion") or ""),
            metadata=meta,
        )
