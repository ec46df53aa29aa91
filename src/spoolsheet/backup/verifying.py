"""``verify``: a backup against its manifest, and with ``against_source`` against the live workbook.

Against the source, the backup can be intact while the workbook has moved on (a migration, a day
of work): the report says so, and how (which sheets, how many cells), apart from the backup's own
problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import CorruptWorkbook, VerificationError
from ..fingerprint import CellDifference
from ..progress import Progress
from ..workbook import Workbook
from . import reporting
from .catalog import find, store_for
from .comparing import compare
from .creating import manifest_problems, read, stored
from .model import Backup


@dataclass
class VerifyReport:
    """What ``verify`` found: ``backup_problems`` with the backup itself (against its manifest),
    ``source_changes``: how the live workbook differs from it (with ``against_source``)."""

    backup: Backup
    sheets_checked: int = 0
    backup_problems: list[str] = field(default_factory=list)
    source_changes: list[str] = field(default_factory=list)
    differences: list[CellDifference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    against_source: bool = False

    @property
    def problems(self) -> list[str]:
        """Everything that does not match: the backup's problems, then the source's changes."""
        return self.backup_problems + self.source_changes

    @property
    def intact(self) -> bool:
        """The backup matches its manifest."""
        return not self.backup_problems

    @property
    def ok(self) -> bool:
        """Intact, and (against the source) the live workbook still equals it."""
        return self.intact and not self.source_changes

    def raise_for_mismatch(self) -> VerifyReport:
        if not self.intact:
            raise VerificationError(f"backup {self.backup.id} failed verification: "
                                    + "; ".join(self.backup_problems[:3]))
        if self.source_changes:
            raise VerificationError(f"backup {self.backup.id} is intact, but the workbook has "
                                    "changed since it was taken: " + "; ".join(self.source_changes[:3]))
        return self

    def to_json(self) -> dict[str, Any]:
        """The shape ``backup verify --json`` prints."""
        return {"backup": self.backup.to_json(), "intact": self.intact, "ok": self.ok,
                "sheets_checked": self.sheets_checked, "problems": self.backup_problems,
                "against_source": self.against_source, "source_changes": self.source_changes,
                "differences": [str(d) for d in self.differences], "notes": self.notes}


def verify(workbook: Workbook, backup_id: str, *, against_source: bool = False,
           folder: str | None = None, progress: Progress | None = None) -> VerifyReport:
    """Check a backup against its manifest and record the result with it; ``against_source``
    also compares it with the live workbook cell by cell (Metadata may have grown since)."""
    store = store_for(workbook, folder)
    backup = find(workbook, backup_id, folder=folder)
    report = VerifyReport(backup, against_source=against_source)
    if not backup.complete:
        report.backup_problems.append(f"backup {backup.id} is {backup.problem}")
        return report
    content = None
    try:
        content = read(store, backup, progress)
    except CorruptWorkbook as exc:
        report.backup_problems.append(str(exc))
    else:
        report.sheets_checked = len(content)
        report.backup_problems += manifest_problems(backup, content, progress)
    report.backup = Backup.of(store.record_verification(stored(backup), report.intact))
    if against_source and content is not None:
        with reporting.phase(progress, "reading the live workbook"):
            live = workbook.read()
        found = compare(content, live, what="the live workbook", audit_may_grow=True)
        report.source_changes += found.problems
        report.differences += found.differences
        report.notes += found.notes
    return report


def ensure_verified(workbook: Workbook, backup_id: str, *, folder: str | None = None) -> Backup:
    """The backup, once it has verified against its manifest; ``VerificationError`` otherwise."""
    return verify(workbook, backup_id, folder=folder).raise_for_mismatch().backup
