"""The service's one writer: a thread that group-commits whatever arrived, paced to the quota.

Callers ``submit`` a StateChange and wait on its future. The thread waits for the pacer's next
slot (``writes_per_minute`` evenly spaced: each group costs at most one read and one write
request) and for room in the quota (``quota.py``: GET endpoints spend reads too), takes every
change queued by then, in arrival order, and hands them to
``OccupationService.commit`` as one group: one atomic write. So a caller waits at most for the
next write, and the more tablets push at once, the bigger (not the more numerous) the writes.

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
    """Evenly spaced slots, ``per_minute`` of them a minute: one group write per slot."""

    def __init__(self, per_minute: float, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("writes per minute must be more than 0")
        self.interval = window / per_minute
        self._clock = clock
        self._next = clock()

    def wait(self, stop: threading.Event) -> bool:
        """Sleep until the next slot (False if ``stop`` was set meanwhile), then take it."""
        delay = self._next - self._clock()
        if delay > 0 and stop.wait(delay):
            return False
        self._next = max(self._clock(), self._next) + self.interval
        return True


class Writer:
    """Owns ``service`` for its thread's life: every change and every read goes through it."""

    def __init__(self, service: OccupationService, quota: Quota, *, max_group: int = 500) -> None:
        self.service = service
        self.quota = quota
        self.pacer = Pacer(quota.limits["writes"], quota.window)
        self.max_group = max_group
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

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._ready:
                while not self._queue and not self._stop.is_set():
                    self._ready.wait()
            if self._stop.is_set() or not self.pacer.wait(self._stop):
                return
            # Room for the group's read and write, waited for without the lock: a GET served
            # from the cache meanwhile needs no quota.
            if not (self.quota.wait("reads", self._stop) and self.quota.wait("writes", self._stop)):
                return
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
