"""The chain of migrations: the package's own (v3.0 first), then a shop's revision files.

Knows files, not the workbook. A shop keeps its revisions in a folder of its own (``--migrations
DIR`` / ``SPOOLSHEET_MIGRATIONS``); ``load`` puts them after the package's, ordered by
``revises``. Two revisions revising one version (two heads), one revising a version nothing
reaches (a gap), a cycle, or two with one id or version: a ``SchemaError`` naming the files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SchemaError, UsageError
from ..ledger import BASE_VERSION
from . import v3_0_occupation
from .migration import Migration
from .revision import Revision, load_file

#: The package's own chain, oldest first; each revises the version of the one before. Revision
#: files like a shop's own.
MIGRATIONS: list[Migration] = [Revision(v3_0_occupation, Path(v3_0_occupation.__file__))]
#: Where a shop's revision folder is named when no folder is given.
FOLDER_VARIABLE = "SPOOLSHEET_MIGRATIONS"


def file_of(m: Migration) -> str:
    return Path(str(m.__file__)).name


@dataclass(frozen=True)
class Chain:
    """The migrations in order (each revises the version of the one before)."""

    migrations: tuple[Migration, ...]
    folder: Path | None = None

    def __iter__(self) -> Iterator[Migration]:
        return iter(self.migrations)

    def __len__(self) -> int:
        return len(self.migrations)

    def __getitem__(self, index: slice) -> list[Migration]:
        return list(self.migrations[index])

    @property
    def head(self) -> str:
        """The version the last migration reaches (``BASE_VERSION`` for an empty chain)."""
        return self.migrations[-1].version if self.migrations else BASE_VERSION

    def find(self, migration_id: str) -> Migration | None:
        return next((m for m in self.migrations if m.id == migration_id), None)

    def index(self, target: str) -> int:
        """Position of a migration named by id or by the version it reaches (-1: the base)."""
        for i, m in enumerate(self.migrations):
            if target in (m.id, m.version):
                return i
        if target in ("base", BASE_VERSION):
            return -1
        known = ", ".join([BASE_VERSION] + [f"{m.id} ({m.version})" for m in self.migrations])
        raise UsageError(f"--to {target!r}: no such migration or version; known: {known}")

    def applied_count(self, version: str) -> int:
        """How many migrations of the chain a workbook at ``version`` includes."""
        if version != BASE_VERSION and not any(m.version == version for m in self.migrations):
            raise SchemaError(f"the workbook is at {version}, which no migration of the chain "
                              f"reaches (the chain ends at {self.head}); give its revision folder "
                              f"(--migrations DIR or {FOLDER_VARIABLE})")
        return 0 if version == BASE_VERSION else self.index(version) + 1


def order(migrations: Sequence[Migration], folder: Path | None = None) -> Chain:
    """The migrations as one chain from ``BASE_VERSION``, or a ``SchemaError`` naming files."""
    for attr in ("id", "version"):
        seen: dict[str, Migration] = {}
        for m in migrations:
            other = seen.setdefault(getattr(m, attr), m)
            if other is not m:
                raise SchemaError(f"two migrations with the {attr} {getattr(m, attr)!r}: "
                                  f"{file_of(other)} and {file_of(m)}")
    children: dict[str, list[Migration]] = {}
    for m in migrations:
        children.setdefault(m.revises, []).append(m)
    for version, kids in children.items():
        if len(kids) > 1:
            raise SchemaError(f"two heads: {' and '.join(file_of(k) for k in kids)} all revise "
                              f"{version}; make one revise the other")
    chain, version = [], BASE_VERSION
    while version in children:
        chain.append(children[version][0])
        version = chain[-1].version
    left = [m for m in migrations if m not in chain]
    if left:
        reached = {BASE_VERSION, *(m.version for m in migrations)}
        gap = next((m for m in left if m.revises not in reached), None)
        if gap is not None:
            raise SchemaError(f"a gap: {file_of(gap)} revises {gap.revises}, which no migration "
                              f"reaches (the chain ends at {version})")
        raise SchemaError("a cycle: " + " -> ".join(f"{file_of(m)} ({m.revises} to {m.version})"
                                                    for m in left))
    return Chain(tuple(chain), folder)


def load(folder: str | Path | None = None) -> Chain:
    """The package's chain, then the revision files in ``folder`` (default: the folder named by
    ``SPOOLSHEET_MIGRATIONS``, if set)."""
    given = folder if folder is not None else os.environ.get(FOLDER_VARIABLE) or None
    if given is None:
        return order(MIGRATIONS)
    path = Path(given)
    if not path.is_dir():
        raise UsageError(f"the migrations folder {path} is not a folder"
                         if folder is not None else
                         f"the folder named by {FOLDER_VARIABLE} is not a folder")
    shop = [load_file(p) for p in sorted(path.glob("*.py")) if not p.name.startswith("_")]
    return order([*MIGRATIONS, *shop], path)


def checksum(migration: Migration) -> str:
    """sha256 of the migration's source file: the ledger notices when a migration changes."""
    return hashlib.sha256(Path(str(migration.__file__)).read_bytes()).hexdigest()


TEMPLATE = '''"""{message}"""

id = "{id}"
version = "{version}"
revises = "{revises}"
description = "{message}"


def upgrade(op):
    """What this revision adds, e.g. op.add_column("Operaciones", "Estado_Detalle", "text")."""


def downgrade(op):
    """The way back (leave it out to use the inverse of every operation of upgrade)."""
'''


def next_version(version: str) -> str:
    """The version after ``version``: the minor number up by one (v3.0 -> v3.1)."""
    major, _, minor = version.lstrip("v").partition(".")
    if not (major.isdigit() and (minor or "0").isdigit()):
        raise SchemaError(f"cannot number the revision after {version!r}; write its version by hand")
    return f"v{major}.{int(minor or 0) + 1}"


def new(message: str, folder: str | Path | None = None) -> Path:
    """Write a revision file for ``message`` into the shop's folder, revising the current head."""
    chain = load(folder)
    if chain.folder is None:
        raise UsageError(f"no migrations folder: pass --migrations DIR (or set {FOLDER_VARIABLE})")
    words = "".join(ch if ch.isalnum() else " " for ch in message.lower()).split()
    if not words:
        raise UsageError("the message of a new revision needs at least one word")
    version = next_version(chain.head)
    revision_id = f"{version[1:].replace('.', '_')}_{'_'.join(words)[:40]}".rstrip("_")
    path = chain.folder / f"v{revision_id}.py"
    if path.exists():
        raise UsageError(f"{path} exists already")
    text = TEMPLATE.format(message=message.replace('"', "'").replace("\\", "/"), id=f"v{revision_id}",
                           version=version, revises=chain.head)
    path.write_text(text, encoding="utf-8")
    return path
