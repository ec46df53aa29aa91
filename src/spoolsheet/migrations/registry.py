"""The package's own chain of migrations, oldest first, and finding one in it.

Knows the migration modules, not the workbook: the runner asks it what comes after a version.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import UsageError
from ..ledger import BASE_VERSION
from . import v3_0_occupation
from .migration import Migration

#: Every migration, oldest first; each revises the version of the one before.
MIGRATIONS: list[Migration] = [v3_0_occupation]


def chain() -> list[Migration]:
    return list(MIGRATIONS)


def find(migration_id: str) -> Migration | None:
    return next((m for m in MIGRATIONS if m.id == migration_id), None)


def index(target: str) -> int:
    """Position in the chain of a migration named by id or by the version it reaches (-1: base)."""
    for i, m in enumerate(MIGRATIONS):
        if target in (m.id, m.version):
            return i
    if target in ("base", BASE_VERSION):
        return -1
    known = ", ".join([BASE_VERSION] + [f"{m.id} ({m.version})" for m in MIGRATIONS])
    raise UsageError(f"--to {target!r}: no such migration or version; known: {known}")


def applied_count(version: str) -> int:
    """How many migrations of the chain a workbook at ``version`` includes."""
    return 0 if version == BASE_VERSION else index(version) + 1


def checksum(migration: Migration) -> str:
    """sha256 of the migration's source file: the ledger notices when a migration changes."""
    return hashlib.sha256(Path(str(migration.__file__)).read_bytes()).hexdigest()
