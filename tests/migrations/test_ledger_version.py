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


def _sheet(title: str, rows: list[list]):
    from spoolsheet.workbook import Sheet, SheetInfo

    return Sheet(SheetInfo(title, 1, 0, len(rows) + 5, len(rows[0])), rows)


def test_both_log_readers_skip_blank_rows_and_name_the_row_of_bad_json():
    from spoolsheet.audit import read_events
    from spoolsheet.errors import SchemaError
    from spoolsheet.ledger import LEDGER_HEADERS, read_ledger
    from spoolsheet.schema import METADATA, METADATA_HEADERS

    def ledger_row(details):
        return ["v3_0_occupation", "v3.0", "", "verified", "", "ana", 1.5, "b1", "", details]

    def event_row(meta):
        return ["e1", "01-12-2026 10:00:00", "BACKUP_CREATED", "", None, "ana", "", "", "", meta]

    good = _sheet(LEDGER_SHEET, [list(LEDGER_HEADERS), ledger_row('{"run": "x"}'), [None] * 10,
                                 ledger_row("[1]")])
    [first, second] = read_ledger({LEDGER_SHEET: good})
    assert (first.row, first.details, second.row, second.details) == (2, {"run": "x"}, 4,
                                                                       {"value": [1]})
    events = list(read_events(_sheet(METADATA, [list(METADATA_HEADERS), event_row(""),
                                                event_row('{"backup_id": "b1"}')])))
    assert [(e.row, e.metadata) for e in events] == [(2, {}), (3, {"backup_id": "b1"})]
    with pytest.raises(SchemaError, match=f"sheet '{LEDGER_SHEET}' row 2: details is not valid"):
        read_ledger({LEDGER_SHEET: _sheet(LEDGER_SHEET, [list(LEDGER_HEADERS),
                                                          ledger_row("{oops")])})
    with pytest.raises(SchemaError, match="sheet 'Metadata' row 3: metadata_json is not valid"):
        list(read_events(_sheet(METADATA, [list(METADATA_HEADERS), event_row(""),
                                           event_row("{oops")])))
