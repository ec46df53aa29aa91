"""A step of a migration plan, as a migration's ``check`` reports it."""

from __future__ import annotations

from dataclasses import dataclass


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
