"""What a backup is to the service: a stored copy, its manifest read, and the names it goes by."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from ..errors import UsageError
from ..values import shop_tz
from ..workbook.base import StoredCopy
from .manifest import Manifest, ManifestError

_LABEL = re.compile(r"^[\w.\-]{1,40}$")


class ForeignBackup(UsageError):
    """The backup was made from another workbook."""


@dataclass(frozen=True)
class Backup:
    """One backup as its store keeps it. ``manifest`` is None for an incomplete backup."""

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
    stored: StoredCopy | None = None  # what its store gave (None for a dry run's)

    @classmethod
    def of(cls, copy: StoredCopy) -> Backup:
        """The backup a store's copy holds: its manifest parsed, or why it cannot be."""
        manifest, problem = None, copy.problem and f"incomplete: {copy.problem}"
        if copy.manifest is not None:
            try:
                manifest = Manifest.from_json(copy.manifest)
            except ManifestError as exc:
                problem = f"incomplete: {exc}"
        tags = copy.tags
        return cls(
            id=copy.id, name=copy.name, created=manifest.created if manifest else copy.created,
            label=manifest.label if manifest else tags.get("label", ""),
            schema_version=manifest.schema_version if manifest else tags.get("schema", ""),
            source_id=manifest.source_id if manifest else tags.get("source", ""),
            source_title=manifest.source_title if manifest else "",
            verified=copy.verified if manifest else None, manifest=manifest, path=copy.path,
            size=copy.size, problem=problem, stored=copy)

    @property
    def complete(self) -> bool:
        return self.manifest is not None and self.problem is None

    def with_verified(self, ok: bool) -> Backup:
        return replace(self, verified=ok)

    def to_json(self) -> dict[str, object]:
        """The shape ``backup list --json`` prints (``created`` in UTC with its offset)."""
        out: dict[str, object] = {
            "id": self.id, "name": self.name,
            "created": self.created.astimezone(dt.UTC).isoformat(),
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
    return f"{title}_{label}_backup_{created.astimezone(shop_tz()):%Y%m%d_%H%M%S}"
