"""The one answer to "which schema version is this workbook at", from the ledger alone."""

from __future__ import annotations

import pytest

from spoolsheet import backup, migrations
from spoolsheet.ledger import BASE_VERSION, LEDGER_SHEET, record, schema_version, workbook_version
from spoolsheet.occupation.directory import Directory
from spoolsheet.workbook import Workbook
from spoolsheet.workbook.changes import ChangeSet


def _ledger(wb: Workbook, rows: list[tuple[str, str, str]]) -> None:
    """Write ledger rows (migration id, version, status) as runs would have, one write each."""
    for migration_id, version, status in rows:
        sheets = wb.read([LEDGER_SHEET]) if LEDGER_SHEET in wb.sheet_titles() else {}
        changes = ChangeSet()
        record(changes, sheets, migration_id=migration_id, schema_version=version,
               description="", status=status, applied_by="test", backup_id=None, checksum="",
               details={})
        wb.apply(changes)


@pytest.mark.parametrize(("rows", "expected"), [
    ([], BASE_VERSION),
    ([("v3_0", "v3.0", "verified")], "v3.0"),
    ([("v3_0", "v3.0", "verified"), ("v3_0", "v3.0", "reverted")], BASE_VERSION),
    # the bug: a reverted v3.1 read as "back to v2.1" without the registry
    ([("v3_0", "v3.0", "verified"), ("v3_1", "v3.1", "verified"), ("v3_1", "v3.1", "reverted")],
     "v3.0"),
    ([("v3_0", "v3.0", "verified"), ("v3_1", "v3.1", "applied"), ("v3_1", "v3.1", "reverted"),
      ("v3_0", "v3.0", "reverted")], BASE_VERSION),
    ([("v3_0", "v3.0", "baselined"), ("v3_1", "v3.1", "verify_failed")], "v3.1"),
])
def test_version_replays_the_ledger(open_copy, sample_tiny, rows, expected):
    wb = open_copy(sample_tiny)
    _ledger(wb, rows)
    assert schema_version(wb.read()) == expected
    assert workbook_version(wb) == expected == migrations.current_version(wb)


def test_backup_and_occupation_give_the_same_answer(open_copy, sample_tiny):
    """Backup labels and the occupation directory read the version where the runner does."""
    wb = open_copy(sample_tiny)
    migrations.up(wb, force=True)
    _ledger(wb, [("v3_1", "v3.1", "verified"), ("v3_1", "v3.1", "reverted")])
    assert workbook_version(wb) == "v3.0"
    assert backup.create(wb, verify=True).schema_version == "v3.0"
    directory = Directory()
    directory.load(wb.read())
    assert directory.schema_version == "v3.0"


def test_the_migrations_package_never_imports_backup():
    """The backup is passed to a run (``Backups``), not imported, not even inside a function."""
    import ast
    from pathlib import Path

    package = Path(migrations.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module or ''}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any("backup" in n.split(".") for n in names), (path.name, names)
