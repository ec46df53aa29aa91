"""Schema migrations: small plain modules, and the machinery that plans, locks, runs and records them.

A migration (e.g. ``v3_0_occupation``) is a module with ``id``, ``version``, ``revises``,
``description`` and pure functions of the sheets as read: ``check`` (pre-conditions and steps),
``upgrade``/``downgrade`` (a ``ChangeSet``), ``verify``/``verify_downgrade`` (problems). The
machinery is in rooms that know nothing of any one of them: ``registry`` (the chain), ``planning``
(pre-flight, changes, requests), ``run`` (lock, backup, write, verify, record), ``overview``
(looking without writing) and ``reports`` (what they return); the ledger (``spoolsheet.ledger``)
records runs in the workbook.

Public functions, one per ``spoolsheet migrate`` command: ``status``, ``plan``, ``up``, ``down``,
``verify``, ``baseline``, ``stamp``, ``check``, ``new``; and ``current_version``, ``load`` (the
chain), ``layout_check`` (``drift`` as occupation and the service run it). A run's backup is
passed in (``Backups``).
"""

from ..ledger import workbook_version as current_version
from .backups import Backups
from .lock import DEFAULT_TTL, LockHeld, break_lock
from .migration import Migration, Step
from .overview import check, drift, layout_check, status, verify
from .planning import plan
from .registry import MIGRATIONS, Chain, load, new
from .reports import CheckReport, Plan, PlannedMigration, RunReport, Status, VerifyReport
from .run import ChangeOptions, RunOptions, baseline, down, stamp, up

__all__ = [
    "DEFAULT_TTL",
    "MIGRATIONS",
    "Backups",
    "Chain",
    "ChangeOptions",
    "CheckReport",
    "LockHeld",
    "Migration",
    "Plan",
    "PlannedMigration",
    "RunOptions",
    "RunReport",
    "Status",
    "Step",
    "VerifyReport",
    "baseline",
    "break_lock",
    "check",
    "current_version",
    "down",
    "drift",
    "layout_check",
    "load",
    "new",
    "plan",
    "stamp",
    "status",
    "up",
    "verify",
]
