"""What the machinery asks of one migration (the ``Migration`` protocol) and a step of its plan.

A migration module (``v3_0_occupation``) is one: module attributes and functions satisfy the
protocol, and mypy checks the registry against it. Everything is a pure function of the sheets
as read; the machinery does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Protocol

from ..workbook.base import Sheet
from ..workbook.changes import ChangeSet


@dataclass(frozen=True)
class Step:
    """One thing a migration would do (or keep). ``change``: it writes something.

    ``structural`` steps (columns and their positions, grid sizes) must be the same in the plan
    an admin confirmed and in the plan made on fresh data under the lock; counts (rows to
    backfill) may differ by the rows the shop added meanwhile.
    """

    text: str
    change: bool = True
    structural: bool = True

    def __str__(self) -> str:
        return self.text


class Migration(Protocol):
    """One step of the schema chain: from ``revises`` to ``version``."""

    @property
    def id(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def revises(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def __file__(self) -> str | None:
        """Its source file: the ledger keeps a checksum of it."""

    def check(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        """Pre-flight and what ``upgrade`` would do ([] when in place); raises to refuse."""

    def upgrade(self, sheets: Mapping[str, Sheet]) -> ChangeSet: ...

    def check_and_upgrade(self, sheets: Mapping[str, Sheet]) -> tuple[list[Step], ChangeSet]:
        """``check`` and ``upgrade`` of the same sheets, in one pass (what ``up`` plans)."""

    def downgrade(self, sheets: Mapping[str, Sheet], force: bool = False) -> ChangeSet:
        """The way back; refuses (raises) to lose work unless ``force``."""

    def verify(self, before: Mapping[str, Sheet] | None, after: Mapping[str, Sheet],
               gone: Set[tuple[str, str]] = frozenset()) -> list[str]:
        """Problems with the upgraded ``after`` (``before``: what the upgrade was planned on;
        ``gone``: (sheet, column) a later revision dropped, not looked for)."""

    def columns(self, direction: str = "up") -> dict[str, list[list[str]]]:
        """``{"adds": [[sheet, column], ...], "drops": [...], "renames": [[sheet, old, new]]}``:
        the columns ``direction`` (``up``/``down``) creates, removes and renames by name,
        recorded in its ledger row."""

    def drops(self) -> set[tuple[str, str]]:
        """(sheet, column) its upgrade drops (or renames away)."""

    def sheets(self) -> set[str]:
        """Every sheet its upgrade's operations name: all its verification looks at."""

    def verify_downgrade(self, sheets: Mapping[str, Sheet]) -> list[str]: ...
