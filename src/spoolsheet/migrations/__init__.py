"""Schema migrations: small plain modules, and the machinery that plans, locks, runs and records them.

A migration (e.g. ``v3_0_occupation``) is a module with ``id``, ``version``, ``revises``,
``description`` and pure functions of the sheets as read: ``check`` (pre-conditions and steps),
``upgrade``/``downgrade`` (a ``ChangeSet``), ``verify``/``verify_downgrade`` (problems). The
runner knows nothing of any one of them; the ledger records them in the workbook.

Public functions, one per ``spoolsheet migrate`` command: ``status``, ``plan``, ``up``, ``down``,
``verify``, ``baseline``; and ``current_version``.
"""

from . import v3_0_occupation

#: Every migration, oldest first; each revises the version of the one before.
MIGRATIONS = [v3_0_occupation]

from .lock import DEFAULT_TTL, LockHeld, break_lock  # noqa: E402
from .runner import (  # noqa: E402
                     Plan,
                     RunReport,
                     Status,
                     VerifyReport,
                     baseline,
                     current_version,
                     down,
                     plan,
                     status,
                     up,
                     verify,
)

__all__ = [
                     "DEFAULT_TTL",
                     "MIGRATIONS",
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
