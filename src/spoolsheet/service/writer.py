"""The service's one writer: a thread that group-commits whatever arrived, paced to the quota.

Callers ``submit`` a StateChange and wait on its future. The thread waits for the pacer's next
slot (``writes_per_minute`` evenly spaced: each group costs at most one read and one write
request) and for room in the quota (``quota.py``: GET endpoints spend reads too), takes every
change queued by then (lingering a little while they keep arriving: ``_settle``), in arrival
order, and hands them to ``OccupationService.commit`` as one group: one atomic write. So a
caller waits at most for the next write, and the more tablets push at once, the bigger (not
the more numerous) the writes.

Reads for the API go through ``reading()``, which holds the same lock as a commit: the
OccupationService is not thread-safe, and a read never sees a group half-applied.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager

from ..errors import SpoolsheetError, TransientBackendError
from ..occupation import OccupationService, Outcome, StateChange
from ..occupation.service import Result
from .quota import WINDOW, Quota


class Pacer:
    """Slots at least ``window / per_minute`` apart: one group write per slot.

    ``wait`` sleeps until the next slot is open; ``book`` takes it when the batch is really
    taken (the writer may linger past the slot), so the next one opens a whole interval later.
    """

    def __init__(self, per_minute: float, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("writes per minute must be more than 0")
        self.interval = window / per_minute
        self._clock = clock
        self._next = clock()

    def wait(self, stop: threading.Event) -> bool:
        """Sleep until the next slot is open (False if ``stop`` was set meanwhile)."""
        delay = self._next - self._clock()
        return not (delay > 0 and stop.wait(delay))

    def book(self) -> None:
        """Take the open slot now: the next opens ``interval`` from now."""
        self._next = max(self._clock(), self._next) + self.interval


#: Past its slot the writer lingers while changes keep arriving, until none came for QUIET of
#: the pacer's interval or LINGER of it passed (on Google's 60 a minute: 50 ms, 250 ms).
QUIET, LINGER = 0.05, 0.25


class Writer:
    """Owns ``service`` for its thread's life: every change and every read goes through it."""

    def __init__(self, service: OccupationService, quota: Quota, *, max_group: int = 500) -> None:
        self.service = service
        self.quota = quota
        self.pacer = Pacer(quota.limits["writes"], quota.window)
        self.quiet, self.linger = QUIET * self.pacer.interval, LINGER * self.pacer.interval
        self.max_group = max_group
        self._arrived = 0.0  # time.monotonic() of the last change queued
        self.groups = 0  # groups committed so far
        self._queue: collections.deque[tuple[StateChange, Future[Result]]] = collections.deque()
        self._ready = threading.Condition()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # held by a commit and by every read
        self._thread = threading.Thread(target=self._run, name="spoolsheet-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the group in flight, then refuse what is still queued (nothing of it landed)."""
        self._stop.set()
        with self._ready:
            self._ready.notify_all()
        self._thread.join(timeout)
        while self._queue:
            _, future = self._queue.popleft()
            future.set_result(TransientBackendError("the service is stopping; nothing of this "
                                                    "change was written; try again"))

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    @property
    def last_write(self) -> dt.datetime | None:
        return self.service.last_write

    def submit(self, change: StateChange) -> Future[Result]:
        """Queue ``change`` for the next group; the future gets its Outcome or its refusal."""
        future: Future[Result] = Future()
        if self._stop.is_set():
            future.set_result(TransientBackendError("the service is stopping; try again"))
            return future
        with self._ready:
            self._queue.append((change, future))
            self._arrived = time.monotonic()
            self._ready.notify()
        return future

    def change(self, change: StateChange) -> Outcome:
        """Submit and wait (for callers that are threads themselves)."""
        result = self.submit(change).result()
        if isinstance(result, Exception):
            raise result
        return result

    @contextmanager
    def reading(self) -> Iterator[OccupationService]:
        """The service, for a read, between two groups."""
        with self._lock:
            yield self.service

    def _settle(self) -> bool:
        """Linger past the slot while changes keep arriving, until none came for ``quiet`` or
        ``linger`` passed (False if ``stop`` was set meanwhile).

        The tablets the last group answered send their next change at once, in a burst the
        event loop needs a moment to hand over; a change that just missed the batch would wait
        a whole slot (1 s on Google) for the next group. The pacer counts the next slot from
        the take, so the quota holds."""
        deadline = time.monotonic() + self.linger
        while (delay := min(self._arrived + self.quiet, deadline) - time.monotonic()) > 0:
            if self._stop.wait(delay):
                return False
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._ready:
                while not self._queue and not self._stop.is_set():
                    self._ready.wait()
            if self._stop.is_set() or not self.pacer.wait(self._stop):
                return
            # Room for the group's read and write, waited for without the lock: a GET served
            # from the cache meanwhile needs no quota.
            if not (self.quota.wait("reads", self._stop) and self.quota.wait("writes", self._stop)
                    and self._settle()):
                return
            self.pacer.book()
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), self.max_group))]
            try:
                with self._lock:
                    results = self.service.commit([c for c, _ in batch])
            except Exception as exc:  # a bug below must not strand the callers or the thread
                failed = SpoolsheetError(f"internal error while writing ({type(exc).__name__}); "
                                         f"nothing of this group was confirmed; try again")
                results = [failed for _ in batch]
            self.groups += 1
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)
