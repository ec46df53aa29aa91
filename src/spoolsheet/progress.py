"""How the library says how far a long operation is, without ever printing.

A long operation (a backup, a restore, a migration, a sample) takes ``progress: Progress | None``
and calls it with a ``Step`` whenever it starts a phase or advances one. The library never
imports Rich or writes to a terminal; the CLI turns the steps into a progress display (only on
a terminal, never on the stdout of a ``--json`` command), and the service or a test may log them.

A backend cannot be handed the callback (it serves every caller), so while a ``phase`` runs it
listens for the bytes of the answers received meanwhile: a backend calls ``download`` when an
answer starts arriving and tells the callback it gets how many bytes have come, and a long read
shows bytes of total (or bytes and rate) instead of a bare "reading".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
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
#: Told the bytes of one answer received so far (its body as decoded, gzip undone).
Received = Callable[[int], None]
#: The running phase's listener: given an answer's size (None: unknown), its ``Received``.
_listener: ContextVar[Callable[[int | None], Received] | None] = ContextVar("download",
                                                                           default=None)


def report(progress: Progress | None, phase: str, done: int = 0, total: int | None = None,
           unit: str = "rows") -> None:
    """Call ``progress`` if there is one (the library's only way to show how far it is)."""
    if progress is not None:
        progress(Step(phase, done, total, unit))


@contextmanager
def phase(progress: Progress | None, name: str) -> Iterator[None]:
    """One step of unknown size (a request, a save): reported when it starts and when it is done;
    the bytes of answers a backend receives meanwhile (``download``) are reported as it goes."""
    report(progress, name, 0, None, "steps")
    if progress is None:
        yield
        return
    got = 0  # bytes of this phase's answers so far

    def answer(size: int | None) -> Received:
        base = got

        def received(done: int) -> None:
            nonlocal got
            got = base + done
            report(progress, name, got, None if size is None else base + size, "bytes")

        return received

    token = _listener.set(answer)
    try:
        yield
    finally:
        _listener.reset(token)
    if got:
        report(progress, name, got, got, "bytes")
    else:
        report(progress, name, 1, 1, "steps")


def download(size: int | None) -> Received | None:
    """For a backend starting to receive an answer of ``size`` bytes (None when not known): the
    callback to tell the bytes received so far, or None when no phase is listening."""
    listener = _listener.get()
    return None if listener is None else listener(size)


def counter(progress: Progress | None, name: str, sizes: Mapping[str, int],
            unit: str = "rows") -> Callable[[str], None] | None:
    """Report ``name`` at 0 of the sizes' sum now; the callback returned marks one part (a sheet)
    done, so the display counts e.g. rows fingerprinted of all rows. None without ``progress``."""
    if progress is None:
        return None
    total, done = sum(sizes.values()), 0
    report(progress, name, 0, total, unit)

    def advance(part: str) -> None:
        nonlocal done
        done += sizes.get(part, 0)
        report(progress, name, done, total, unit)

    return advance
