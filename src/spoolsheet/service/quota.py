"""The storage's per-minute quota, counted on every request the service makes, reads included.

Google allows one user 60 read and 60 write requests a minute; over it, 429. The writer's pacer
spaces group writes evenly, but fresh reads, cache refreshes and the GET endpoints read too, and
they share the same 60 reads. ``Paced`` is the service's workbook: before each request it waits
until one more of that kind fits in the last minute, and after it counts what the backend really
sent (retries included, from the backend's own ``RequestStats``), so the service stays within
the quota instead of leaning on Google's 429 and the retry budget.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from ..values import Cell
from ..workbook import ChangeSet, Region, Sheet, SheetInfo, Workbook

WINDOW = 60.0  # seconds: Google's quotas are per minute
KINDS = ("reads", "writes")


class Quota:
    """Requests of each kind in the last minute, and how long until one more fits.

    ``limits`` are per ``window``; the writer's pacer spaces groups at ``limits["writes"]`` a
    window."""

    def __init__(self, reads_per_minute: float, writes_per_minute: float, *,
                 window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = {"reads": reads_per_minute, "writes": writes_per_minute}
        self.window = window  # seconds the limits count over (a test shortens it)
        self._clock = clock
        self._seen: dict[str, collections.deque[float]] = {k: collections.deque() for k in KINDS}
        self._lock = threading.Lock()

    def used(self, kind: str) -> int:
        """Requests of ``kind`` counted in the last minute."""
        with self._lock:
            return len(self._prune(kind))

    def _prune(self, kind: str) -> collections.deque[float]:
        seen, now = self._seen[kind], self._clock()
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        return seen

    def delay(self, kind: str) -> float:
        """Seconds until one more request of ``kind`` fits in the last minute (0: now)."""
        with self._lock:
            seen = self._prune(kind)
            if len(seen) < self.limits[kind]:
                return 0.0
            return max(0.0, seen[len(seen) - int(self.limits[kind])] + self.window - self._clock())

    def wait(self, kind: str, stop: threading.Event | None = None) -> bool:
        """Sleep until one more request of ``kind`` fits (False if ``stop`` was set meanwhile)."""
        stop = stop or threading.Event()
        while (delay := self.delay(kind)) > 0:
            if stop.wait(delay):
                return False
        return True

    def record(self, kind: str, count: int = 1) -> None:
        """``count`` requests of ``kind`` just sent (counted from now: the later, the safer)."""
        with self._lock:
            self._seen[kind].extend([self._clock()] * count)


class Paced(Workbook):
    """``workbook``, each request to its storage waiting for room in ``quota`` first.

    Only the calls that may reach the storage wait; ``sheets()`` waits only while the backend
    does not know them yet (it asks once, then keeps them).
    """

    def __init__(self, workbook: Workbook, quota: Quota) -> None:
        super().__init__(workbook.backend)
        self.quota = quota

    @contextmanager
    def _spending(self, kind: str) -> Iterator[None]:
        self.quota.wait(kind)
        before = self.stats.snapshot()
        try:
            yield
        finally:
            after = self.stats.snapshot()
            for counted in KINDS:
                if after[counted] > before[counted]:
                    self.quota.record(counted, after[counted] - before[counted])

    def _asked(self, before: int) -> None:
        """Record the reads a call that usually answers from what is known did make."""
        if self.stats.reads > before:
            self.quota.record("reads", self.stats.reads - before)

    def sheets(self) -> list[SheetInfo]:
        before = self.stats.reads
        infos = super().sheets()
        self._asked(before)
        return infos

    def sheet_info(self, title: str) -> SheetInfo | None:
        before = self.stats.reads
        info = super().sheet_info(title)
        self._asked(before)
        return info

    def read(self, titles: Sequence[str] | None = None, *,
             formulas: bool = True) -> dict[str, Sheet]:
        with self._spending("reads"):
            return super().read(titles, formulas=formulas)

    def read_regions(self, regions: Sequence[Region], *, formulas: bool = False,
                     optional: Sequence[str] = ()) -> list[list[list[Cell]]]:
        with self._spending("reads"):
            return super().read_regions(regions, formulas=formulas, optional=optional)

    def read_described(self, regions: Sequence[Region], *,
                       optional: Sequence[str] = ()) -> list[list[list[Cell]]]:
        with self._spending("reads"):
            return super().read_described(regions, optional=optional)

    def apply(self, changes: ChangeSet, *, atomic: bool = True) -> None:
        with self._spending("writes"):
            super().apply(changes, atomic=atomic)
