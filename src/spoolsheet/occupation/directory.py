"""What changes slowly, read with an operation's own read and kept for a short while.

Workers and roles, the Metadata header (so an event row follows production's column order) and
the schema version from the migration ledger. Re-reading them on every operation would cost
bandwidth, not requests: when the cache has expired, the operation's one read takes the whole
workbook, so an operation is still one read and one write. A worker
deactivated by hand is therefore seen within ``ttl`` seconds, not at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..audit import metadata_columns
from ..errors import DataError, SheetNotFound
from ..ledger import AT_VERSION, REVERTED, read_ledger, schema_version
from ..schema import METADATA, OPERACIONES, ROLES, TRABAJADORES, V3_COLUMNS, normalise_header
from ..values import Cell, WorkerRef, parse_bool, parse_int
from ..workbook import Sheet, columns
from .errors import UnknownWorker


def dropped_columns(sheets: Mapping[str, Sheet]) -> dict[str, str]:
    """The v3.0 columns occupation needs that a run in the ledger removed from Operaciones and
    none put back since, each with that run's migration id. Read from the ``drops`` and ``adds``
    ([sheet, column] pairs) each run records in its details, not from its plan text, whose
    wording may change; a row recorded before those fields existed removes nothing."""
    names = {normalise_header(spec.name): spec.name for spec in V3_COLUMNS}
    gone: dict[str, str] = {}
    for entry in read_ledger(sheets):
        if entry.status not in (*AT_VERSION, REVERTED):
            continue
        for key in ("drops", "adds"):
            for sheet, column in entry.details.get(key) or ():
                name = names.get(normalise_header(column))
                if sheet != OPERACIONES or name is None:
                    continue
                if key == "drops":
                    gone[name] = entry.migration_id
                else:
                    gone.pop(name, None)
    return gone


@dataclass(frozen=True)
class Worker:
    id: int
    nombre: str
    apellido: str
    activo: bool
    roles: frozenset[str]  # the worker's active roles, as Roles spells them

    @property
    def ref(self) -> WorkerRef:
        return WorkerRef.of(self.id, self.nombre, self.apellido)

    @property
    def name(self) -> str:
        return f"{self.nombre} {self.apellido}".strip()

    def has_role(self, role: str) -> bool:
        return normalise_header(role) in {normalise_header(r) for r in self.roles}

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-able values: the ``INICIALES(ID)`` form as ``ref``, roles sorted."""
        return {"id": self.id, "ref": str(self.ref), "nombre": self.nombre,
                "apellido": self.apellido, "activo": self.activo, "roles": sorted(self.roles)}


def read_workers(trabajadores: Sheet, roles: Sheet) -> dict[int, Worker]:
    """Trabajadores (Id | Nombre | Apellido | Activo) joined with Roles (Id | Rol | Activo).

    A role row whose Activo is false grants nothing; a duplicate worker Id is a DataError.
    """
    t = columns(trabajadores).require(("Id", "Nombre", "Apellido", "Activo"))
    r = columns(roles).require(("Id", "Rol", "Activo"))
    granted: dict[int, set[str]] = {}
    for row in range(2, len(roles.rows) + 1):
        worker_id = parse_int(roles.cell(row, r["Id"]), sheet=roles.title, row=row, column="Id")
        if worker_id is not None and parse_bool(roles.cell(row, r["Activo"])):
            granted.setdefault(worker_id, set()).add(str(roles.cell(row, r["Rol"]) or "").strip())
    workers: dict[int, Worker] = {}
    first_row: dict[int, int] = {}
    for row in range(2, len(trabajadores.rows) + 1):
        def cell(name: str, row: int = row) -> Cell:
            return trabajadores.cell(row, t[name])

        worker_id = parse_int(cell("Id"), sheet=trabajadores.title, row=row, column="Id")
        if worker_id is None:
            continue
        if worker_id in workers:
            raise DataError(f"worker Id {worker_id} appears twice (rows {first_row[worker_id]} "
                            f"and {row})", sheet=trabajadores.title, row=row, column="Id")
        first_row[worker_id] = row
        workers[worker_id] = Worker(
            worker_id, str(cell("Nombre") or "").strip(), str(cell("Apellido") or "").strip(),
            parse_bool(cell("Activo")), frozenset(granted.get(worker_id, ())))
    return workers


class Directory:
    """The slow-changing sheets as last read; stale after ``ttl`` seconds."""

    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._loaded_at: float | None = None
        self.workers: dict[int, Worker] = {}
        self.metadata: Sheet | None = None  # the Metadata header row only
        self.schema_version = ""
        self.dropped: dict[str, str] = {}

    def stale(self) -> bool:
        return self._loaded_at is None or self._clock() - self._loaded_at >= self.ttl

    def load(self, sheets: Mapping[str, Sheet]) -> None:
        """Take what is needed from a read of the whole workbook; a missing sheet is named."""
        for title in (TRABAJADORES, ROLES, METADATA):
            if title not in sheets:
                raise SheetNotFound(f"sheet {title!r} not found: occupation needs it")
        workers = read_workers(sheets[TRABAJADORES], sheets[ROLES])
        metadata = sheets[METADATA]
        metadata_columns(metadata)
        self.workers = workers
        self.metadata = Sheet(metadata.info, metadata.rows[:1])
        self.schema_version = schema_version(sheets)
        self.dropped = dropped_columns(sheets)
        self._loaded_at = self._clock()

    def expire(self) -> None:
        self._loaded_at = None

    def worker(self, given: int | str) -> Worker:
        """The worker given as its Id (``93``) or as ``INICIALES(ID)`` (``MR(93)``, checked)."""
        worker_id, initials = WorkerRef.given(given)
        found = self.workers.get(worker_id)
        if found is None:
            raise UnknownWorker(f"no worker with Id {worker_id} in {TRABAJADORES}")
        if initials is not None and initials != found.ref.initials:
            raise UnknownWorker(f"no worker {given}: worker {worker_id} in {TRABAJADORES} is "
                                f"{found.ref} ({found.name})")
        return found
