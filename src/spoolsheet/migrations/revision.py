"""A revision file, as the machinery sees it: a ``Migration`` made of the operations it asks for.

A revision file is a plain module::

    id = "v3_1_estado_detalle"
    version = "v3.1"
    revises = "v3.0"
    description = "Estado_Detalle: a readable state per spool"

    def upgrade(op):
        op.add_column("Operaciones", "Estado_Detalle", "text", backfill=lambda row: ...)

    def downgrade(op):        # optional: without it, the inverses of upgrade's operations
        op.drop_column("Operaciones", "Estado_Detalle", allow_data_loss=op.force)

``Revision`` runs ``upgrade(op)`` on an ``Operations`` recorder, then plans each operation on
the expected result of the ones before: all of them become the one change of the revision.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping, Set
from pathlib import Path
from types import ModuleType

from ..errors import ConflictError, DataError, SchemaError
from ..progress import parts
from ..workbook.base import Sheet
from ..workbook.changes import ChangeSet, Resize
from .migration import Step
from .ops import AddColumn, AddSheet, DropColumn, DropSheet, Op, Operations, RenameColumn, RenameSheet
from .preview import simulate

FIELDS = ("id", "version", "revises", "description")


class Revision:
    """A revision module with ``upgrade(op)`` (and maybe ``downgrade(op)``) as a ``Migration``."""

    def __init__(self, module: ModuleType, path: Path) -> None:
        missing = [f for f in FIELDS if not isinstance(getattr(module, f, None), str)]
        if missing or not callable(getattr(module, "upgrade", None)):
            raise SchemaError(f"revision file {path}: needs {', '.join(FIELDS)} (text) and "
                              f"upgrade(op); missing: {', '.join(missing) or 'upgrade'}")
        self.module, self.path, self.__file__ = module, path, str(path)
        self.id: str = module.id
        self.version: str = module.version
        self.revises: str = module.revises
        self.description: str = module.description

    def __repr__(self) -> str:
        return f"Revision({self.id!r}, {self.path.name})"

    def ops(self, direction: str, force: bool = False) -> list[Op]:
        op = Operations(self.version, force)
        down = getattr(self.module, "downgrade", None)
        if direction == "up":
            self.module.upgrade(op)
        elif callable(down):
            down(op)
        else:
            for forward in reversed(self.ops("up")):
                inverse = forward.inverse()
                if inverse is None:
                    raise SchemaError(f"revision file {self.path.name}: {forward.line()} has no "
                                      "inverse; write downgrade(op)")
                op.ops.append(inverse)
        return op.ops

    def _plan(self, direction: str, sheets: Mapping[str, Sheet], force: bool = False,
              anywhere: bool = False) -> tuple[list[Step], ChangeSet]:
        """Each operation planned on the result of the ones before: its steps, one change
        (``anywhere``: see ``AddColumn``); the running phase counts the operations' rows."""
        steps: list[Step] = []
        changes, current = ChangeSet(), dict(sheets)
        ops = self.ops(direction, force)
        with parts(_thirds(op.counted_rows(sheets) for op in ops)) as done:
            for i, op in enumerate(ops):
                if isinstance(op, AddColumn):
                    op.anywhere = anywhere
                steps += op.steps(current)
                done(3 * i + 1)
                step = op.change(current)
                done(3 * i + 2)
                if step:
                    changes.extend(step)
                    if i < len(ops) - 1:  # the next operation is planned on its result
                        current = simulate(current, step)
                done(3 * i + 3)
        return steps, _one_resize_per_sheet(changes)

    def check(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        """Whether it is in place, its columns wherever later revisions left them (``baseline``
        adopts it so); ``upgrade`` refuses those that are not where this run puts them."""
        return _changing(self._plan("up", sheets, anywhere=True)[0])

    def upgrade(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        return self._plan("up", sheets)[1]

    def check_and_upgrade(self, sheets: Mapping[str, Sheet]) -> tuple[list[Step], ChangeSet]:
        """``check`` and ``upgrade`` in one pass over the rows. Where this run puts the columns
        the two agree: ``check``'s columns found anywhere differ only for a group standing in
        order elsewhere, which ``upgrade`` refuses (its operations' own steps raise) either way."""
        steps, changes = self._plan("up", sheets)
        return _changing(steps), changes

    def downgrade(self, sheets: Mapping[str, Sheet], force: bool = False) -> ChangeSet:
        return self._plan("down", sheets, force)[1]

    def _verify(self, direction: str, before: Mapping[str, Sheet] | None,
                after: Mapping[str, Sheet], gone: Set[tuple[str, str]] = frozenset()) -> list[str]:
        problems: list[str] = []
        current = dict(before) if before is not None else None
        ops = self.ops(direction, force=True)
        with parts(_thirds(op.counted_rows(after) for op in ops)) as done:  # the running phase's count
            for i, op in enumerate(ops):
                if not (isinstance(op, AddColumn) and (op.sheet, op.name) in gone):
                    problems += op.verify(current, after)
                done(3 * i + 1)
                if current is not None and i < len(ops) - 1:  # the next one's "before"
                    try:
                        step = op.change(current)
                        done(3 * i + 2)
                        current = simulate(current, step)
                    except (SchemaError, DataError, ConflictError):
                        current = None
                done(3 * i + 3)
        return problems

    def verify(self, before: Mapping[str, Sheet] | None, after: Mapping[str, Sheet],
               gone: Set[tuple[str, str]] = frozenset()) -> list[str]:
        return self._verify("up", before, after, gone)

    def columns(self, direction: str = "up") -> dict[str, list[list[str]]]:
        """``{"adds": [[sheet, column], ...], "drops": [...], "renames": [[sheet, old, new]]}``,
        in operation order: the columns its operations in ``direction`` create and remove by
        name (a rename removes the old name and creates the new one). The ledger row keeps it,
        so that readers need no plan text."""
        out: dict[str, list[list[str]]] = {"adds": [], "drops": [], "renames": []}
        for op in self.ops(direction, force=True):
            if isinstance(op, AddColumn):
                out["adds"].append([op.sheet, op.name])
            elif isinstance(op, DropColumn):
                out["drops"].append([op.sheet, op.name])
            elif isinstance(op, RenameColumn):
                out["drops"].append([op.sheet, op.old])
                out["adds"].append([op.sheet, op.new])
                out["renames"].append([op.sheet, op.old, op.new])
        return out

    def drops(self) -> set[tuple[str, str]]:
        return {(sheet, name) for sheet, name in self.columns("up")["drops"]}

    def sheets(self) -> set[str]:
        out: set[str] = set()
        for op in self.ops("up"):
            if isinstance(op, AddSheet | DropSheet):
                out.add(op.name)
            elif isinstance(op, RenameSheet):
                out |= {op.old, op.new}
            elif isinstance(sheet := getattr(op, "sheet", None), str):
                out.add(sheet)
        return out

    def verify_downgrade(self, sheets: Mapping[str, Sheet]) -> list[str]:
        return self._verify("down", None, sheets)


def _changing(steps: list[Step]) -> list[Step]:
    """The steps of a revision not yet in place ([] when it is)."""
    return steps if any(s.change for s in steps) else []


def _thirds(rows: Iterable[int]) -> list[int]:
    """Each operation's rows as three parts of a count, one per pass over them: its check, its
    change and the result simulated (planning), or its verification, its change and the result
    (verifying); a part not run is marked done all the same."""
    return [n // 3 + (k < n % 3) for n in rows for k in range(3)]


def _one_resize_per_sheet(changes: ChangeSet) -> ChangeSet:
    """Keep the last grid size asked for each sheet (operations grow or shrink in turn)."""
    last: dict[str, Resize] = {}
    for rs in changes.resizes:
        old = last.get(rs.sheet)
        last[rs.sheet] = Resize(rs.sheet, rs.rows or (old.rows if old else None),
                                  rs.cols or (old.cols if old else None))
    changes.resizes[:] = list(last.values())
    return changes


def load_file(path: Path) -> Revision:
    """Import one revision file (a plain module outside any package) as a ``Revision``."""
    spec = importlib.util.spec_from_file_location(f"spoolsheet_revision_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise SchemaError(f"revision file {path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a shop's own file: any error in it is named, one line
        raise SchemaError(f"revision file {path}: {type(exc).__name__}: {exc}") from exc
    return Revision(module, path)
