"""What stands between a request and the data: scheduled faults, per-minute quotas, the log.

Kinds: ``read`` (GET), ``write`` (any other method, Drive copy included), ``token`` (the OAuth
endpoint) and ``control`` (``/_fake/...``). Only reads and writes meet faults and quotas.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from .errors import ApiError
from .messages import Reply

FAULTS = ("500", "503", "429", "hang", "reset", "lost-reply", "applied-504")
FAULT_KINDS = ("read", "write", "any")
QUOTA_KINDS = ("read", "write")

SERVICE_UNAVAILABLE_HTML = (
    "<html><head><title>503 Service Unavailable</title></head>"
    "<body><h1>Service Unavailable</h1>"
    "<p>The service is temporarily unavailable. Please try again later.</p></body></html>"
)


@dataclass
class LogEntry:
    method: str
    path: str
    kind: str
    user: str
    status: int | None = None  # None: the connection was dropped (reset, or a hang the client gave up on)
    fault: str | None = None
    request_bytes: int = 0
    response_bytes: int = 0  # the body as sent: what a client downloads

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Fault:
    kind: str
    nth: int
    fault: str
    times: int
    seen: int = 0

    def fires(self, kind: str) -> bool:
        """Count a request of ``kind``; True when it is one of the ``times`` requests from the nth on."""
        if self.kind not in ("any", kind):
            return False
        self.seen += 1
        return self.nth <= self.seen < self.nth + self.times

    @property
    def spent(self) -> bool:
        return self.seen >= self.nth + self.times - 1


class Faults:
    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def inject(self, kind: str = "any", nth: int = 1, fault: str = "503", times: int = 1) -> Fault:
        if kind not in FAULT_KINDS or fault not in FAULTS or nth < 1 or times < 1:
            raise ValueError(f"bad fault: kind={kind!r} nth={nth!r} fault={fault!r} times={times!r}")
        scheduled = Fault(kind, nth, fault, times)
        self.pending.append(scheduled)
        return scheduled

    def take(self, kind: str) -> str | None:
        """The fault this request meets, if any. Every pending fault counts the request."""
        hit = None
        for scheduled in self.pending:
            if scheduled.fires(kind) and hit is None:
                hit = scheduled.fault
        self.pending = [f for f in self.pending if not f.spent]
        return hit

    def clear(self) -> None:
        self.pending = []


def quota_error(kind: str, scope: str) -> ApiError:
    metric = "Read requests" if kind == "read" else "Write requests"
    limit = f"{metric} per minute per {scope}"
    message = (
        f"Quota exceeded for quota metric '{metric}' and limit '{limit}' of service "
        "'sheets.googleapis.com' for consumer 'project_number:000000000000'."
    )
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {"quota_metric": metric, "quota_limit": limit, "service": "sheets.googleapis.com"},
        }
    ]
    return ApiError(429, message, details=details)


def fault_reply(fault: str, kind: str) -> Reply:
    """The answer of a status fault ("500", "503", "429", "applied-504")."""
    if fault == "applied-504":  # google.rpc.Code DEADLINE_EXCEEDED: "may be returned even if
        # the operation has completed successfully"
        return Reply.error(ApiError(504, "Deadline expired before operation could complete."))
    if fault == "503":
        return Reply(503, SERVICE_UNAVAILABLE_HTML, "text/html; charset=UTF-8")
    if fault == "429":
        return Reply.error(quota_error(kind if kind in QUOTA_KINDS else "read", "user"))
    return Reply.error(ApiError(500, "Internal error encountered."))


class Quotas:
    """Per-minute request quotas per user and per project, each kind counted separately.

    A sliding window over ``clock`` (seconds): a request is admitted when fewer than the limit
    were admitted in the last ``window`` seconds; rejected requests do not count.
    """

    def __init__(self, clock: Callable[[], float], window: float = 60.0):
        self.clock = clock
        self.window = window
        self.limits: dict[tuple[str, str], int | None] = {
            ("user", "read"): 60,
            ("user", "write"): 60,
            ("project", "read"): 300,
            ("project", "write"): 300,
        }
        self._admitted: dict[tuple[str, str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def configure(self, **limits: int | None) -> None:
        """Set limits by name: ``read_per_user``, ``write_per_user``, ``read_per_project``,
        ``write_per_project``; None means unlimited."""
        for name, value in limits.items():
            kind, _, scope = name.partition("_per_")
            if (scope, kind) not in self.limits:
                raise ValueError(f"unknown quota {name!r}")
            self.limits[(scope, kind)] = value

    def reset(self) -> None:
        with self._lock:
            self._admitted.clear()

    def admit(self, kind: str, user: str) -> None:
        """Count one request or raise the 429 the real API would answer."""
        with self._lock:
            now = self.clock()
            queues = []
            for scope, who in (("user", user), ("project", "project")):
                queue = self._admitted.setdefault((scope, kind, who), deque())
                while queue and queue[0] <= now - self.window:
                    queue.popleft()
                limit = self.limits[(scope, kind)]
                if limit is not None and len(queue) >= limit:
                    raise quota_error(kind, scope)
                queues.append(queue)
            for queue in queues:
                queue.append(now)
