"""The state of a spool and the rules of TOMAR / PAUSAR / COMPLETAR, over records, with no I/O.

A ``Spool`` is one Operaciones row read through the values codec. The state of each operation is
derived from its columns (DOMAIN.md, "State of a spool"), never from display strings:
no worker → pending; worker, no date → in progress (occupied) or paused (free); date → done.
Each rule returns the spool as it must be afterwards, or raises the refusal that says why not;
``changed_cells`` turns the difference into the cells one atomic write sets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum

from ..audit import LoggedEvent
from ..errors import DataError
from ..schema import FECHA_OCUPACION, OCUPADO_POR, TAG_COLUMN, VERSION
from ..values import Cell, WorkerRef, format_date, is_blank, parse_date, parse_int
from .directory import Worker
from .errors import MissingRole, NotHolder, OperationDone, PrerequisiteMissing, SpoolOccupied, WorkerInactive


class Operation(StrEnum):
    ARM = "ARM"
    SOLD = "SOLD"


class Stage(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in progress"
    PAUSED = "paused"
    DONE = "done"


#: Per operation: the Spool fields of its worker and its date, and the role it needs.
WORKER_FIELD = {Operation.ARM: "armador", Operation.SOLD: "soldador"}
DATE_FIELD = {Operation.ARM: "fecha_armado", Operation.SOLD: "fecha_soldadura"}
ROLE = {Operation.ARM: "Armador", Operation.SOLD: "Soldador"}

#: Spool field → the Operaciones header it is read from and written to (found by name).
FIELD_COLUMNS = {
    "holder": OCUPADO_POR, "since": FECHA_OCUPACION, "version": VERSION,
    "materiales": "Fecha_Materiales", "armador": "Armador", "fecha_armado": "Fecha_Armado",
    "soldador": "Soldador", "fecha_soldadura": "Fecha_Soldadura",
}
COLUMNS = (TAG_COLUMN, *FIELD_COLUMNS.values())


@dataclass(frozen=True)
class Spool:
    """One spool as read. ``row`` is where it stood in that read (rows are found by TAG, never
    kept); ``row_hash`` fingerprints every cell of the row, None for a record built from a write."""

    tag: str
    row: int
    version: int
    holder: WorkerRef | None
    since: dt.date | None
    materiales: dt.date | None
    armador: str | None
    fecha_armado: dt.date | None
    soldador: str | None
    fecha_soldadura: dt.date | None
    row_hash: str | None = None

    @property
    def free(self) -> bool:
        return self.holder is None

    def stage(self, op: Operation) -> Stage:
        if getattr(self, WORKER_FIELD[op]) is None:
            return Stage.PENDING
        if getattr(self, DATE_FIELD[op]) is not None:
            return Stage.DONE
        return Stage.PAUSED if self.free else Stage.IN_PROGRESS

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-able values: dates as ISO text, the holder as ``INICIALES(ID)``."""
        out = asdict(self)
        out["holder"] = str(self.holder) if self.holder else None
        for key, value in out.items():
            if isinstance(value, dt.date):
                out[key] = value.isoformat()
        out.update({f"{op.value.lower()}_stage": self.stage(op).value for op in Operation})
        return out


def read_spool(sheet: str, row: int, cells: Sequence[Cell], columns: Mapping[str, int],
               row_hash: str | None) -> Spool:
    """A row's cells → ``Spool``; a cell that cannot be read is a DataError naming where it is."""

    def get(name: str) -> Cell:
        col = columns[name]
        return cells[col - 1] if col <= len(cells) else None

    def date(field: str) -> dt.date | None:
        name = FIELD_COLUMNS[field]
        return parse_date(get(name), sheet=sheet, row=row, column=name)

    def text(field: str) -> str | None:
        value = get(FIELD_COLUMNS[field])
        return None if is_blank(value) else str(value).strip()

    version = parse_int(get(VERSION), sheet=sheet, row=row, column=VERSION)
    if version is None:
        raise DataError("version is blank; the v3.0 migration gives every spool a version "
                        "(check it with `spoolsheet migrate verify`)", sheet=sheet, row=row,
                        column=VERSION)
    if version < 0:
        raise DataError(f"version is {version}; a version counts state changes from 0, so it is "
                        "never negative (fix the cell by hand)", sheet=sheet, row=row,
                        column=VERSION)
    return Spool(
        tag=str(get(TAG_COLUMN)).strip(), row=row, version=version,
        holder=WorkerRef.parse(get(OCUPADO_POR), sheet=sheet, row=row, column=OCUPADO_POR),
        since=date("since"), materiales=date("materiales"),
        armador=text("armador"), fecha_armado=date("fecha_armado"),
        soldador=text("soldador"), fecha_soldadura=date("fecha_soldadura"),
        row_hash=row_hash,
    )


# --- the rules -------------------------------------------------------------------------------

def check_qualified(worker: Worker, op: Operation) -> None:
    if not worker.activo:
        raise WorkerInactive(f"worker {worker.ref} ({worker.name}) is not active")
    if not worker.has_role(ROLE[op]):
        raise MissingRole(f"worker {worker.ref} ({worker.name}) does not have the active role "
                          f"{ROLE[op]} needed for {op}")


def tomar(spool: Spool, worker: Worker, op: Operation, today: dt.date) -> Spool:
    """Take a free spool for ``op``; the operation's worker column is set only if empty
    (any qualified worker may continue another's work)."""
    check_qualified(worker, op)
    if spool.holder is not None:
        raise SpoolOccupied(spool.tag, spool.holder, spool.since, spool.version)
    if spool.stage(op) is Stage.DONE:
        done = getattr(spool, DATE_FIELD[op])
        raise OperationDone(f"spool {spool.tag}: {op} is already done ({format_date(done)})",
                            tag=spool.tag)
    if op is Operation.ARM and spool.materiales is None:
        raise PrerequisiteMissing(f"spool {spool.tag}: ARM needs Fecha_Materiales, which is empty",
                                  tag=spool.tag)
    if op is Operation.SOLD and spool.stage(Operation.ARM) is Stage.PENDING:
        raise PrerequisiteMissing(f"spool {spool.tag}: SOLD needs ARM started (Armador is empty)",
                                  tag=spool.tag)
    worker_field = WORKER_FIELD[op]
    keep = getattr(spool, worker_field)
    fields: dict[str, object] = {worker_field: keep or str(worker.ref)}
    return replace(spool, holder=worker.ref, since=today, version=spool.version + 1,
                   row_hash=None, **fields)  # type: ignore[arg-type]  # field named by op


def concerns(spool: Spool, op: Operation) -> bool:
    """Whether ``op`` is what the spool is about now: held for it, or free and ready to be taken
    for it (not done, its prerequisite met). What the board lists per operation."""
    stage = spool.stage(op)
    if not spool.free:
        return stage is Stage.IN_PROGRESS
    if stage is Stage.DONE:
        return False
    if op is Operation.ARM:
        return spool.materiales is not None
    return spool.stage(Operation.ARM) is not Stage.PENDING


def check_holder(spool: Spool, worker: Worker) -> None:
    if spool.holder is None or spool.holder.id != worker.id:
        raise NotHolder(spool.tag, worker.ref, spool.holder, spool.version)


def pausar(spool: Spool, worker: Worker) -> Spool:
    """Release a spool its holder took, keeping the progress made."""
    check_holder(spool, worker)
    return replace(spool, holder=None, since=None, version=spool.version + 1, row_hash=None)


def completar(spool: Spool, worker: Worker, op: Operation, today: dt.date) -> Spool:
    """Finish ``op`` (the operation the spool was taken for) and release it."""
    check_holder(spool, worker)
    if spool.stage(op) is Stage.DONE:
        raise OperationDone(f"spool {spool.tag}: {op} is already done", tag=spool.tag)
    worker_field = WORKER_FIELD[op]
    keep = getattr(spool, worker_field)
    fields: dict[str, object] = {DATE_FIELD[op]: today, worker_field: keep or str(worker.ref)}
    return replace(spool, holder=None, since=None, version=spool.version + 1, row_hash=None,
                   **fields)  # type: ignore[arg-type]  # fields named by op


def changed_cells(before: Spool, after: Spool) -> dict[str, Cell]:
    """Header name → value for every field a rule changed; text as text, None clears."""
    out: dict[str, Cell] = {}
    for field, column in FIELD_COLUMNS.items():
        old, new = getattr(before, field), getattr(after, field)
        if old != new:
            out[column] = str(new) if isinstance(new, WorkerRef) else new
    return out


# --- which operation a holder took the spool for ---------------------------------------------

def started_operations(spool: Spool) -> list[Operation]:
    """Operations started and not done: what a holder can be working on."""
    return [op for op in Operation if spool.stage(op) in (Stage.IN_PROGRESS, Stage.PAUSED)]


def operation_from_log(spool: Spool, events: Iterable[LoggedEvent]) -> Operation:
    """The operation of the holder's last TOMAR_SPOOL of this spool, for when the columns do not
    tell (ARM paused and SOLD taken: both started, neither done)."""
    taken = [e for e in events if e.evento_tipo == "TOMAR_SPOOL" and e.tag_spool == spool.tag]
    if taken and spool.holder and taken[-1].worker_id == spool.holder.id:
        try:
            return Operation(taken[-1].operacion.strip().upper())
        except ValueError:
            pass
    raise DataError(f"spool {spool.tag} is held by {spool.holder} but neither its columns nor the "
                    f"Metadata log tell which operation it was taken for", row=spool.row,
                    column=OCUPADO_POR)


# --- history ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Holding:
    """One span during which a worker held a spool: from its TOMAR to its PAUSAR or COMPLETAR."""

    worker_id: int | None
    worker: str  # INICIALES(ID) as the event recorded it, else the worker's name
    operation: str
    start: dt.datetime | dt.date | None
    end: dt.datetime | dt.date | None
    ended_by: str | None  # "PAUSAR", "COMPLETAR", "TOMAR again", or None while still held

    def duration(self, now: dt.datetime) -> dt.timedelta | None:
        if not isinstance(self.start, dt.datetime):
            return None
        end = self.end if self.end is not None else now
        return end - self.start if isinstance(end, dt.datetime) else None


def holdings(events: Iterable[LoggedEvent], tag: str) -> list[Holding]:
    """Pair each TOMAR_SPOOL of ``tag`` with the PAUSAR_SPOOL or COMPLETAR_* that ended it."""
    out: list[Holding] = []
    open_: Holding | None = None
    for e in events:
        if e.tag_spool != tag:
            continue
        if e.evento_tipo == "TOMAR_SPOOL":
            if open_ is not None:  # taken again with no release logged (see docs: races)
                out.append(replace(open_, end=e.timestamp, ended_by="TOMAR again"))
            who = str(e.metadata.get("worker") or e.worker_nombre)
            open_ = Holding(e.worker_id, who, e.operacion, e.timestamp, None, None)
        elif open_ is not None and e.evento_tipo in ("PAUSAR_SPOOL", "COMPLETAR_ARM",
                                                     "COMPLETAR_SOLD"):
            out.append(replace(open_, end=e.timestamp, ended_by=e.evento_tipo.split("_")[0]))
            open_ = None
    if open_ is not None:
        out.append(open_)
    return out
