"""Where a workbook's backups live: one small interface, one store per backend.

A store knows files (a folder of .xlsx copies and sidecars, or Drive copies with properties) and
nothing about what a backup must prove; ``spoolsheet.backup`` holds that logic once for both.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

from ..errors import UsageError
from ..values import SHOP_TZ
from ..workbook import ChangeSet, Sheet, Workbook
from .manifest import Manifest

_LABEL = re.compile(r"^[\w.\-]{1,40}$")


class BackupNotFound(UsageError):
    """No backup answers to that id (or it is in the trash, or it is not a spoolsheet backup)."""


class ForeignBackup(UsageError):
    """The backup was made from another workbook."""


@dataclass(frozen=True)
class Backup:
    """One backup as its store knows it. ``manifest`` is None for an incomplete backup."""

    id: str
    name: str
    created: dt.datetime  # aware
    label: str
    schema_version: str
    source_id: str
    source_title: str
    verified: bool | None  # the last verification's result; None: never verified
    manifest: Manifest | None
    path: str | None = None  # .xlsx backups
    size: int | None = None  # bytes, when the store knows it
    problem: str | None = None  # why the backup is incomplete

    @property
    def complete(self) -> bool:
        return self.manifest is not None and self.problem is None

    def with_verified(self, ok: bool) -> Backup:
        return replace(self, verified=ok)

    def to_json(self) -> dict[str, object]:
        """The shape ``backup list --json`` prints."""
        out: dict[str, object] = {
            "id": self.id, "name": self.name, "created": self.created.isoformat(),
            "label": self.label, "schema_version": self.schema_version,
            "verified": self.verified, "complete": self.complete, "size": self.size,
            "source_id": self.source_id, "source_title": self.source_title,
            "fingerprint": self.manifest.fingerprint if self.manifest else None,
        }
        if self.path is not None:
            out["path"] = self.path
        if self.problem:
            out["problem"] = self.problem
        return out


def check_label(label: str) -> str:
    if not _LABEL.match(label):
        raise UsageError(f"--label {label!r}: use up to 40 letters, digits, '.', '-' or '_'")
    return label


def backup_name(title: str, label: str, created: dt.datetime) -> str:
    """``[Title]_[label]_backup_YYYYMMDD_HHMMSS``, the time in the shop's zone."""
    return f"{title}_{label}_backup_{created.astimezone(SHOP_TZ):%Y%m%d_%H%M%S}"


class BackupStore(ABC):
    """The backups of one live workbook, in one folder (a directory, or a Drive folder).

    Every method either does what it says or raises one of our errors having changed nothing.
    """

    def __init__(self, live: Workbook, folder: str | None) -> None:
        self.live = live
        self.folder = folder

    @abstractmethod
    def describe_folder(self) -> str:
        """Where new backups go, for people."""

    @abstractmethod
    def check_folder(self) -> None:
        """Raise a clear error when the folder is missing (used by dry runs: nothing is written)."""

    @abstractmethod
    def copy(self, name: str, manifest: Manifest) -> Backup:
        """Copy the live workbook, exactly as ``manifest`` describes it, into a new backup.

        Called inside ``live.exclusive()`` right after the read the manifest was made from.
        """

    @abstractmethod
    def open(self, backup: Backup, *, for_restore: bool = False) -> AbstractContextManager[Workbook]:
        """A workbook on the backup's content, to read; closed (and cleaned up) on exit.

        ``for_restore``: the workbook ``roll_back`` will take (on .xlsx a private copy staged
        beside the live file, so that the final step is one rename).
        """

    @abstractmethod
    def record_verification(self, backup: Backup, ok: bool) -> Backup:
        """Store the result of a verification with the backup, for ``list`` and ``prune``."""

    @abstractmethod
    def get(self, backup_id: str) -> Backup:
        """The backup with this id, or ``BackupNotFound``."""

    @abstractmethod
    def list(self) -> list[Backup]:
        """This workbook's backups, in any order."""

    @abstractmethod
    def remove(self, backup: Backup) -> None:
        """Remove a backup (Google: to the trash)."""

    @abstractmethod
    def roll_back(self, staged: Workbook, content: dict[str, Sheet], rollback: ChangeSet,
                  extra: ChangeSet) -> dict[str, Sheet]:
        """Make the live workbook equal the backup plus ``extra``, in one atomic write.

        ``staged`` comes from ``open(backup, for_restore=True)`` and ``content`` is what it read;
        ``rollback`` turns the live workbook as last read into the backup (a store may reach the
        same end more cheaply). Returns the live sheets as they are afterwards, for verification.
        """
