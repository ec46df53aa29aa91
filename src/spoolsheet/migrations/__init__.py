"""Schema migrations: small plain modules, and the machinery that plans, locks, runs and records them.

A migration (e.g. ``v3_0_occupation``) is a module with ``id``, ``version``, ``revises``,
``description`` and pure functions of the sheets as read: ``check`` (pre-conditions and steps),
``upgrade``/``downgrade`` (a ``ChangeSet``), ``verify``/``verify_downgrade`` (problems). The
registry lists them; the runner knows nothing of any one of them; the ledger
(``spoolsheet.ledger``) records them in the workbook.

Public functions, one per ``spoolsheet migrate`` command: ``status``, ``plan``, ``up``, ``down``,
``verify``, ``baseline``; and ``current_version``. A run's backup is passed in (``Backups``).
"""

from ..ledger import workbook_version as current_version
from .backups import Backups
from .lock import DEFAULT_TTL, LockHeld, break_lock
from .registry import MIGRATIONS
from .runner import (
    Plan,
    RunReport,
    Status,
    VerifyReport,
    baseline,
    down,
    plan,
    status,
    up,
    verify,
)

__all__ = [
    "DEFAULT_TTL",
    "MIGRATIONS",
    "Backups",
    "LockHeld",
    "Plan",
    "RunReport",
    "Status",
    "VerifyReport",
    "baseline",
    "break_lock",
    "current_version",
    "down",
    "plan",
    "status",
    "up",
    "verify",
]
