"""What the machinery reports: a plan (nothing written yet), a run, a verification, a status.

Plain data, JSON-ready through ``as_dict``; the CLI renders them (``cli/migrate_views.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from ..ledger import LedgerEntry
from ..values import shop_time, utc_iso
from ..workbook.base import Sheet
from ..workbook.changes import ChangeSet
from .lock import HeldLock
from .migration import Step


@dataclass
class PlannedMigration:
    id: str
    description: str
    version_from: str
    version_to: str
    steps: list[Step]
    writes: list[str]
    #: The change and the sheets it is expected to leave (the run writes this plan's change).
    changes: ChangeSet = field(default_factory=ChangeSet, repr=False)
    predicted: dict[str, Sheet] = field(default_factory=dict, repr=False)
    #: Requests the change takes (``Workbook.split``): 1 is one atomic write with its ledger row.
    parts: int = 1

    @property
    def write_requests(self) -> int:
        """Its writes: one atomic write, or each part and then the ledger row and event."""
        return 1 if self.parts == 1 else self.parts + 1

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description, "from": self.version_from,
                "to": self.version_to, "steps": [s.text for s in self.steps],
                "write": self.writes, "write_requests": self.write_requests,
                "atomic": self.parts == 1}


@dataclass
class Plan:
    """What a run would do: nothing here has been written."""

    workbook: str
    kind: str
    direction: str
    version: str
    target: str
    migrations: list[PlannedMigration]
    resume: list[str]
    requests: list[str]
    lock: HeldLock | None

    def __bool__(self) -> bool:
        return bool(self.migrations or self.resume)

    def key(self) -> list[tuple[str, list[str]]]:
        """The structural content an admin confirmed (counts may move with the shop's work)."""
        return [(m.id, [s.text for s in m.steps if s.structural]) for m in self.migrations]

    def as_dict(self) -> dict[str, Any]:
        return {"workbook": self.workbook, "kind": self.kind, "direction": self.direction,
                "version": self.version, "target": self.target,
                "migrations": [m.as_dict() for m in self.migrations], "resume": self.resume,
                "requests": self.requests,
                "lock": asdict(self.lock) if self.lock else None}


@dataclass
class RunReport:
    action: str
    version_before: str
    version_after: str
    plan: Plan
    dry_run: bool = False
    applied: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)
    backup_id: str | None = None
    requests: dict[str, int] = field(default_factory=dict)
    backup_requests: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.verified)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["plan"] = self.plan.as_dict()
        return out


@dataclass
class CheckReport:
    """``check``: how the workbook drifted from its chain's layout (by sheet, column, position)."""

    version: str
    drift: list[str]

    @property
    def ok(self) -> bool:
        return not self.drift


@dataclass
class VerifyReport:
    version: str
    checked: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class LastBackup:
    """The newest backup a workbook knows of, for machines (``created``: UTC ISO 8601 with its
    offset, None when unknown) and, through ``describe``, for people (shop time, zone named)."""
    name: str
    id: str
    created: str | None
    exact: bool = True  # False: older events hold only when they were logged, seconds after

    def describe(self) -> str:
        ident = "" if self.name == self.id else f"id {self.id}, "
        when = shop_time(dt.datetime.fromisoformat(self.created)) if self.created else "at an unknown time"
        return f"{self.name} ({ident}{'created' if self.exact else 'logged'} {when})"


@dataclass
class Status:
    workbook: str
    kind: str
    version: str
    pending: list[str]
    history: list[LedgerEntry]
    unverified: list[str]
    last_backup: LastBackup | None
    lock: HeldLock | None
    checksum_mismatch: list[str]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["history"] = [{k: v for k, v in asdict(e).items() if k != "details"}
                          | {"applied_at": utc_iso(e.applied_at)} for e in self.history]
        return out
