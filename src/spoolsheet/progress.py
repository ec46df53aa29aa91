"""How the library says how far a long operation is, without ever printing.

A long operation (a backup, a restore, a migration, a sample) takes ``progress: Progress | None``
and calls it with a ``Step`` whenever it starts a phase or advances one. The library never
imports Rich or writes to a terminal; the CLI turns the steps into a progress display (only on
a terminal, never on the stdout of a ``--json`` command), and the service or a test may log them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One report: the phase (a short sentence a person reads), and how far it is.

    ``total`` is None when the size is not known in advance; ``unit`` says what is counted
    ("rows", "bytes", "sheets", "requests"). ``done == total`` closes the phase.
    """

    phase: str
    done: int = 0
    total: int | None = None
    unit: str = "rows"

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total


Progress = Callable[[Step], None]


def report(progress: Progress | None, phase: str, done: int = 0, total: int | None = None,
           unit: str = "rows") -> None:
    """Call ``progress`` if there is one (the library's only way to show how far it is)."""
    if progress is not None:
        progress(Step(phase, done, total, unit))
