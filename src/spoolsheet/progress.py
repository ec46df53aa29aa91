"""How the library says how far a long operation is, without ever printing.

A long operation (a backup, a restore, a migration, a sample) takes ``progress: Progress | None``
and calls it with a ``Step`` whenever it starts a phase or advances one. The library never
imports Rich or writes to a terminal; the CLI turns the steps into a progress display (only on
a terminal, never on the stdout of a ``--json`` command), and the service or a test may log them.

A backend cannot be handed the callback (it serves every caller), so while a ``phase`` runs it
listens for the bytes the backend moves meanwhile: a backend calls ``download`` when an answer
starts arriving (or a part is decompressed), ``upload`` when it starts sending a request body
(or writing a file), and tells the callback it gets how many bytes are done, so a long read or
write shows bytes of total (or bytes and rate) instead of a bare "reading" or "writing". A total
not known in advance may be estimated (the size of the same answer last time): it is shown as
an estimate, and the phase's end says the real size.

In the same way a count (``counting``, or ``parts`` turning the running phase into one) listens
for the code that goes through rows deep below it (``scanned``: an operation checking a column,
a fingerprint), so that it moves within a sheet as it is worked through, not only between
sheets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
#: A scan (or a writer going through rows) tells how far it is once per this many items...
EVERY = 16
#: ...which reports it at most once per this many seconds (a redraw costs more than a row).
PERIOD = 0.05


@dataclass(frozen=True)
class Step:
    """One report: the phase (a short sentence a person reads), and how far it is.

    ``total`` is None when the size is not known in advance; ``unit`` says what is counted
    ("rows", "bytes", "sheets", "requests"). ``done == total`` closes the phase unless the
    total is ``estimated``.
    """

    phase: str
    done: int = 0
    total: int | None = None
    unit: str = "rows"
    estimated: bool = False  # the total is a guess (a display marks it), corrected at the end

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total and not self.estimated


Progress = Callable[[Step], None]
#: Told the bytes of one transfer done so far (an answer's body as decoded, gzip undone; a
#: request body handed to the socket; a file's bytes written; a part's bytes decompressed).
Received = Callable[[int], None]
#: The running phase's listener: given a transfer's size (None: unknown) and an estimate of
#: it (None: none), its ``Received``.
_listener: ContextVar[Callable[[int | None, int | None], Received] | None] = ContextVar(
    "transfer", default=None)
#: The running count's listener: told a scan's items done of its items.
_scan: ContextVar[Callable[[int, int], None] | None] = ContextVar("scan", default=None)


@dataclass
class _Phase:
    """The running phase, which ``parts`` may turn into a count (``counted``)."""

    progress: Progress
    name: str
    counted: bool = False


_running: ContextVar[_Phase | None] = ContextVar("phase", default=None)


def report(progress: Progress | None, phase: str, done: int = 0, total: int | None = None,
           unit: str = "rows", estimated: bool = False) -> None:
    """Call ``progress`` if there is one (the library's only way to show how far it is)."""
    if progress is not None:
        progress(Step(phase, done, total, unit, estimated))


@contextmanager
def phase(progress: Progress | None, name: str) -> Iterator[None]:
    """One step of unknown size (a request, a save): reported when it starts and when it is done;
    the bytes a backend moves meanwhile (``download``, ``upload``) are reported as they go, each
    transfer counted after the ones before it: the total shown is theirs and the running one's
    (its size, or its estimate), until its bytes reach it. None then: the phase still works
    (an answer is parsed, Google applies a body sent) and only its end closes it."""
    report(progress, name, 0, None, "steps")
    if progress is None:
        yield
        return
    got = 0  # bytes of this phase's transfers so far

    def transfer(size: int | None, estimate: int | None) -> Received:
        base = got

        def received(done: int) -> None:
            nonlocal got
            got = base + done
            total = size if size is not None else estimate
            if total is None or done >= total:  # a step at its total would close the phase
                report(progress, name, got, None, "bytes")
            else:
                report(progress, name, got, base + total, "bytes", size is None)

        return received

    running = _Phase(progress, name)
    token, named = _listener.set(transfer), _running.set(running)
    try:
        yield
    finally:
        _listener.reset(token)
        _running.reset(named)
    if running.counted:
        return  # its count said the last word
    if got:
        report(progress, name, got, got, "bytes")
    else:
        report(progress, name, 1, 1, "steps")


def download(size: int | None, estimate: int | None = None) -> Received | None:
    """For a backend starting to receive an answer (or decompress a part) of ``size`` bytes
    (None when not known; ``estimate``: a guess at it then): the callback to tell the bytes
    received so far, or None when no phase is listening."""
    return _heard(size, estimate)


def upload(size: int) -> Received | None:
    """For a backend starting to send a request body (or write a file, or lay out a part of
    one) of ``size`` bytes: as ``download``, the callback to tell the bytes done so far; the
    phase counts both alike."""
    return _heard(size, None)


def _heard(size: int | None, estimate: int | None) -> Received | None:
    listener = _listener.get()
    return None if listener is None else listener(size, estimate)


@contextmanager
def counting(progress: Progress | None, name: str, sizes: Mapping[str, int],
             unit: str = "rows", share: float = 1.0) -> Iterator[Callable[[str], None] | None]:
    """Report ``name`` at 0 of the sizes' sum now; the callback yielded marks one part (a sheet)
    done, so the display counts e.g. rows fingerprinted of all rows, and while the block runs
    every ``scanned`` pass advances the count within the first part not yet done (never back,
    never past it): through ``share`` of what is left of that part, from where the count
    stands when the pass begins (1: a part is one pass, as a sheet fingerprinted; less when a
    part makes passes not known in advance, so that each one moves it). None without
    ``progress``."""
    if progress is None:
        yield None
        return
    total, done, left = sum(sizes.values()), 0, dict(sizes)
    shown = told = 0  # how far it is, and how far it was last reported
    when = time.monotonic()
    report(progress, name, 0, total, unit)

    def show(at: int, now: bool = False) -> None:
        """Move to ``at`` (never back); report it at once (``now``) or once a ``PERIOD``."""
        nonlocal shown, told, when
        shown = max(shown, at)
        if shown > told and (now or time.monotonic() - when >= PERIOD):
            told, when = shown, time.monotonic()
            report(progress, name, shown, total, unit)

    def advance(part: str) -> None:
        nonlocal done
        done += left.pop(part, 0)
        show(done, now=True)

    start = 0  # where the count stood when the running pass began

    def scan(at: int, of: int) -> None:
        nonlocal start
        if not at:
            start = shown
        end = done + next(iter(left.values()), 0)
        if of and end > start:
            show(start + int((end - start) * share * min(at, of) / of))

    token = _scan.set(scan)
    try:
        yield advance
    finally:
        _scan.reset(token)


@contextmanager
def parts(sizes: Sequence[int], unit: str = "rows") -> Iterator[Callable[[int], None]]:
    """Inside a ``phase``: its work is these parts (say, each operation's rows), done in order,
    so the phase becomes a count of their sum; ``done(n)`` (the callback yielded) says the first
    ``n`` parts are done. A part's passes are not known in advance (a quick check of a column,
    then a slow backfill function): each moves it through half of what is left. Outside a phase
    (or without a callback) it counts nothing."""
    running = _running.get()
    keys = [str(i) for i in range(len(sizes))]
    with counting(running.progress if running else None, running.name if running else "",
                  dict(zip(keys, sizes, strict=True)), unit, share=0.5) as advance:
        if running is None or advance is None:
            yield lambda n: None
            return
        running.counted = True
        closed = 0

        def done(n: int) -> None:
            nonlocal closed
            for key in keys[closed:n]:
                advance(key)
            closed = max(closed, n)

        yield done


def scanned(items: Sequence[T]) -> Sequence[T] | Iterator[T]:
    """``items`` as they are, or, while a count runs, an iterator over them telling it how far
    it is (every ``EVERY`` items): for a pass over a sheet's rows that takes seconds, or over a
    few rows each slow (a shop's backfill function)."""
    tell = _scan.get()
    return items if tell is None else _telling(items, tell)


def _telling(items: Sequence[T], tell: Callable[[int, int], None]) -> Iterator[T]:
    n = len(items)
    for i, item in enumerate(items):
        if not i % EVERY:  # a call every few rows; the count reads the clock
            tell(i, n)
        yield item
    tell(n, n)
