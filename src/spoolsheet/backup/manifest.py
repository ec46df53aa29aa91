"""A backup's manifest: what the workbook held when it was copied, so the copy can be checked.

The manifest names the source (id, title, kind), the schema version and label, the time (UTC),
and for every sheet its grid size and content fingerprint, plus one fingerprint for the whole
workbook. It is stored WITH the backup as JSON text (its store keeps it: a sidecar file on .xlsx,
Drive ``appProperties`` on Google), never inside it: a backup must equal its source sheet for sheet.

Fingerprints are ``spoolsheet.fingerprint.sheet_fingerprint`` cut to 32 hex characters (128 bits:
plenty to detect any change, small enough for Drive's 124-byte properties).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..errors import UsageError
from ..fingerprint import sheet_fingerprint
from ..workbook.base import Sheet

FORMAT = "spoolsheet-backup/1"
FINGERPRINT_CHARS = 32


class ManifestError(UsageError):
    """A manifest that cannot be read or stored (damaged, foreign format, too large for Drive)."""


@dataclass(frozen=True)
class SheetEntry:
    title: str
    rows: int
    cols: int
    fingerprint: str


Fingerprinter = Callable[[Sheet], str]


def fingerprint(sheet: Sheet, full: Fingerprinter = sheet_fingerprint) -> str:
    """The manifest's fingerprint of a sheet; ``full`` may be a cached ``sheet_fingerprint``."""
    return full(sheet)[:FINGERPRINT_CHARS]


def workbook_fingerprint(entries: Iterable[SheetEntry]) -> str:
    """One hash over every sheet's title, grid and fingerprint, in workbook order."""
    h = hashlib.sha256()
    for e in entries:
        h.update(f"{e.title}\t{e.rows}x{e.cols}\t{e.fingerprint}\n".encode())
    return h.hexdigest()[:FINGERPRINT_CHARS]


def utc_iso(moment: dt.datetime) -> str:
    """ISO 8601 in UTC to the microsecond (backups made within one second still sort)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Manifest:
    source_id: str
    source_title: str
    source_kind: str
    schema_version: str
    label: str
    created: dt.datetime  # aware, UTC
    sheets: tuple[SheetEntry, ...]
    fingerprint: str
    tool_version: str = __version__

    @classmethod
    def of(cls, *, source_id: str, source_title: str, source_kind: str, schema_version: str,
           label: str, created: dt.datetime, sheets: Mapping[str, Sheet],
           progress: Callable[[Sheet], None] | None = None,
           full: Fingerprinter = sheet_fingerprint) -> Manifest:
        """The manifest of ``sheets`` (every sheet of the workbook, in workbook order);
        ``progress`` is called after each sheet."""
        entries = []
        for s in sheets.values():
            entries.append(SheetEntry(s.title, s.info.rows, s.info.cols, fingerprint(s, full)))
            if progress:
                progress(s)
        return cls(source_id, source_title, source_kind, schema_version, label,
                   created.astimezone(dt.UTC), tuple(entries), workbook_fingerprint(entries))

    def sheet(self, title: str) -> SheetEntry | None:
        return next((e for e in self.sheets if e.title == title), None)

    def check(self, sheets: Mapping[str, Sheet], progress: Callable[[Sheet], None] | None = None,
              full: Fingerprinter = sheet_fingerprint) -> list[str]:
        """What in ``sheets`` does not match this manifest, one line per sheet (empty: all match)."""
        problems = []
        for e in self.sheets:
            found = sheets.get(e.title)
            if found is not None and progress:
                progress(found)
            if found is None:
                problems.append(f"sheet {e.title!r} is missing")
            elif (found.info.rows, found.info.cols) != (e.rows, e.cols):
                problems.append(f"sheet {e.title!r}: grid is {found.info.rows}x{found.info.cols}, "
                                f"the manifest says {e.rows}x{e.cols}")
            elif fingerprint(found, full) != e.fingerprint:
                problems.append(f"sheet {e.title!r}: content differs from the manifest "
                                f"(fingerprint {fingerprint(found, full)}, expected {e.fingerprint})")
        problems += [f"sheet {t!r} is not in the manifest" for t in sheets if self.sheet(t) is None]
        return problems

    # --- serialisation -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; sheets as ``[title, rows, cols, fingerprint]`` to stay compact."""
        return {
            "format": FORMAT, "tool_version": self.tool_version,
            "source_id": self.source_id, "source_title": self.source_title,
            "source_kind": self.source_kind, "schema_version": self.schema_version,
            "label": self.label, "created": utc_iso(self.created), "fingerprint": self.fingerprint,
            "sheets": [[e.title, e.rows, e.cols, e.fingerprint] for e in self.sheets],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        try:
            if data.get("format") != FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            entries = tuple(SheetEntry(str(t), int(r), int(c), str(f)) for t, r, c, f in data["sheets"])
            created = dt.datetime.fromisoformat(str(data["created"]).replace("Z", "+00:00"))
            manifest = cls(str(data["source_id"]), str(data["source_title"]),
                           str(data["source_kind"]), str(data["schema_version"]),
                           str(data["label"]), created.astimezone(dt.UTC), entries,
                           str(data["fingerprint"]), str(data.get("tool_version", "")))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ManifestError(f"the backup manifest is damaged ({exc})") from None
        if workbook_fingerprint(entries) != manifest.fingerprint:
            raise ManifestError("the backup manifest is damaged (its sheet list does not match "
                                "its workbook fingerprint)")
        return manifest

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ManifestError(f"the backup manifest is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ManifestError("the backup manifest is not a JSON object")
        return cls.from_dict(data)
