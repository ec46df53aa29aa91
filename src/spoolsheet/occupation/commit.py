"""Group commit: state changes validated in arrival order, the accepted ones one ChangeSet.

A ``Group`` starts from one fresh read of the rows it touches. Each ``StateChange`` is checked
against the state as the changes accepted before it in the group leave it (the first TOMAR of a
spool wins, a later one is refused as occupied), and every accepted change adds its cells, its
version + 1 and its Metadata event to the one ``ChangeSet`` the group writes: one
``spreadsheets.batchUpdate`` on Google, one file replacement on .xlsx. The write lands whole or
not at all, so every change of a group shares its fate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ..audit import Event, log_event
from ..errors import SpoolsheetError, UsageError
from ..schema import OPERACIONES
from ..values import WorkerRef
from ..workbook import ChangeSet
from . import rules
from .directory import Directory
from .errors import RowChanged, VersionConflict
from .rules import Operation, Spool
from .view import Operaciones, row_hash

#: The longest Idempotency-Key accepted (it is stored in the event's metadata_json).
MAX_KEY_LENGTH = 128


class Action(StrEnum):
    TOMAR = "TOMAR"
    PAUSAR = "PAUSAR"
    COMPLETAR = "COMPLETAR"


def parse_operation(op: str | Operation) -> Operation:
    try:
        return Operation(str(op).strip().upper())
    except ValueError:
        raise UsageError(f"--op must be ARM or SOLD, got {op!r}") from None


@dataclass(frozen=True)
class StateChange:
    """One TOMAR / PAUSAR / COMPLETAR asked for. ``key`` is the client's Idempotency-Key and
    ``client`` the name of the token (tablet) that sent it; both are recorded in the event."""

    action: Action
    tag: str
    worker: int | str
    op: Operation | None = None
    expect_version: int | None = None
    expect_row_hash: str | None = None
    key: str | None = None
    client: str | None = None

    @classmethod
    def of(cls, action: str | Action, tag: str, worker: int | str, op: str | Operation | None = None,
           *, expect_version: int | None = None, expect_row_hash: str | None = None,
           key: str | None = None, client: str | None = None) -> StateChange:
        """A checked request: bad input is a UsageError here, before anything is read."""
        try:
            act = Action(str(action).strip().upper())
        except ValueError:
            raise UsageError(f"the action must be TOMAR, PAUSAR or COMPLETAR, got {action!r}") from None
        if act is Action.TOMAR:
            if op is None:
                raise UsageError("TOMAR needs the operation (--op ARM or SOLD)")
            operation: Operation | None = parse_operation(op)
        elif op is not None:
            raise UsageError(f"{act} takes no operation: it acts on the one the spool was taken for")
        else:
            operation = None
        if not str(tag or "").strip():
            raise UsageError("no TAG given")
        if expect_version is not None and expect_version < 0:
            raise UsageError(f"expect_version must be 0 or more, got {expect_version}")
        if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()):
            raise UsageError(f"an Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable characters")
        WorkerRef.given(worker)  # the form only; whether the worker exists is a rule
        return cls(act, str(tag).strip(), worker, operation, expect_version, expect_row_hash,
                   key, client)


@dataclass(frozen=True)
class Outcome:
    """What one state change did: the spool's version before and after, and its event.

    ``spool`` is the spool as written (None for an outcome rebuilt from the log); ``replayed``
    says the answer is the one given before to the same Idempotency-Key, not a new change.
    """

    action: Action
    tag: str
    row: int
    operation: Operation | None
    worker: WorkerRef
    version_before: int
    version_after: int
    event_id: str
    event_type: str
    key: str | None = None
    client: str | None = None
    spool: Spool | None = None
    replayed: bool = False

    def __str__(self) -> str:
        what = f" {self.operation}" if self.operation else ""
        again = " (already done: the same request was answered before)" if self.replayed else ""
        return (f"{self.action}{what} {self.tag}: {self.worker} "
                f"(version {self.version_before} → {self.version_after}){again}")

    def matches(self, change: StateChange, worker_id: int) -> bool:
        """Is ``change`` the request this outcome answered (what a reused key must repeat)?"""
        return (change.action is self.action and change.tag == self.tag
                and worker_id == self.worker.id
                and (change.op is None or change.op is self.operation))

    def as_dict(self) -> dict[str, object]:
        return {"action": str(self.action), "tag": self.tag, "row": self.row,
                "operation": str(self.operation) if self.operation else None,
                "worker": str(self.worker), "version_before": self.version_before,
                "version": self.version_after, "event_id": self.event_id,
                "event_type": self.event_type, "replayed": self.replayed}

    @classmethod
    def from_logged(cls, event_id: str, evento_tipo: str, tag: str, operacion: str, accion: str,
                    metadata: Mapping[str, Any]) -> Outcome | None:
        """An occupation event as logged → its outcome (None for other events or a bad one)."""
        try:
            worker = WorkerRef.parse(metadata.get("worker"))
            if worker is None:
                return None
            return cls(Action(accion), tag, int(metadata["row"]),
                       Operation(operacion) if operacion else None, worker,
                       int(metadata["version_before"]), int(metadata["version_after"]),
                       event_id, evento_tipo, metadata.get("idempotency_key"),
                       metadata.get("client"), replayed=True)
        except (KeyError, TypeError, ValueError, SpoolsheetError):  # hand-edited: not ours to read
            return None


TakenFor = Callable[[Spool], Operation]


class Group:
    """One group commit being planned over a fresh read; ``changes`` is what it will write."""

    def __init__(self, view: Operaciones, directory: Directory, today: dt.date,
                 taken_for: TakenFor) -> None:
        self.view, self.directory, self.today = view, directory, today
        self.taken_for = taken_for
        self.changes = ChangeSet()
        self.events: list[Event] = []
        self.taken: dict[str, tuple[int, Operation]] = {}  # TOMARs accepted in this group

    def add(self, change: StateChange) -> Outcome:
        """Check ``change`` against the state so far; on success its cells join the write.

        Raises the refusal (or DataError naming the cell) and changes nothing when refused.
        """
        before = self.view.spool(change.tag)
        if change.expect_version is not None and change.expect_version != before.version:
            raise VersionConflict(before.tag, change.expect_version, before.version)
        if change.expect_row_hash is not None and change.expect_row_hash != before.row_hash:
            raise RowChanged(before.tag, before.row, before.version)
        worker = self.directory.worker(change.worker)
        after, operation, event_type = self._decide(change, before, worker)
        cells = rules.changed_cells(before, after)
        written = self.view.changed(before.row, cells)
        after = replace(after, row_hash=row_hash(written))
        metadata: dict[str, object] = {"version_before": before.version,
                                       "version_after": after.version, "row": before.row,
                                       "worker": str(worker.ref)}
        if change.key:
            metadata["idempotency_key"] = change.key
        if change.client:
            metadata["client"] = change.client
        event = Event(event_type, tag_spool=before.tag, worker_id=worker.id,
                      worker_nombre=worker.name, operacion=operation.value if operation else "",
                      accion=change.action.value, fecha_operacion=self.today, metadata=metadata)
        mine = ChangeSet()  # built whole before anything of it joins the group
        for column, value in cells.items():
            mine.put(OPERACIONES, before.row, self.view.cols[column], value)
        log_event(mine, event, self.directory.metadata)
        self.changes.extend(mine)
        self.view.rows[before.row] = written
        self.events.append(event)
        if change.action is Action.TOMAR and operation is not None:
            self.taken[before.tag] = (worker.id, operation)
        return Outcome(change.action, before.tag, before.row, operation, worker.ref,
                       before.version, after.version, event.id, event_type, change.key,
                       change.client, after)

    def _decide(self, change: StateChange, spool: Spool,
                worker) -> tuple[Spool, Operation | None, str]:
        if change.action is Action.TOMAR:
            assert change.op is not None
            return rules.tomar(spool, worker, change.op, self.today), change.op, "TOMAR_SPOOL"
        started = rules.started_operations(spool)
        if change.action is Action.PAUSAR:
            return (rules.pausar(spool, worker), started[0] if len(started) == 1 else None,
                    "PAUSAR_SPOOL")
        rules.check_holder(spool, worker)
        operation = started[0] if len(started) == 1 else self._taken_for(spool)
        return (rules.completar(spool, worker, operation, self.today), operation,
                f"COMPLETAR_{operation}")

    def _taken_for(self, spool: Spool) -> Operation:
        taken = self.taken.get(spool.tag)
        if taken and spool.holder and taken[0] == spool.holder.id:
            return taken[1]
        return self.taken_for(spool)
