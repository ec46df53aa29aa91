"""``down`` (contract), ``baseline``, ``verify`` and ``--backup-id``: the ways back and around."""

from __future__ import annotations

import pytest
from migration_helpers import assert_v3, changed_cells, v3_positions

from spoolsheet import backup, migrations
from spoolsheet.audit import read_events
from spoolsheet.errors import ConflictError, UsageError, VerificationError
from spoolsheet.ledger import read_ledger
from spoolsheet.schema import METADATA, OPERACIONES, V3_COLUMNS
from spoolsheet.workbook import ChangeSet


def test_down_then_up_round_trips(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    original = wb.read()
    migrations.up(wb, backups=backup, force=True)

    report = migrations.down(wb, backups=backup, force=True)

    reverted = wb.read()
    assert (report.version_before, report.version_after) == ("v3.0", "v2.1")
    assert report.backup_id  # always after a backup
    assert migrations.current_version(wb) == "v2.1"
    assert v3_positions(reverted) == {spec.name: [] for spec in V3_COLUMNS}
    assert reverted[OPERACIONES].info.cols == 63
    assert changed_cells(original, reverted) == []
    assert [e.status for e in read_ledger(reverted)] == ["verified", "reverted"]
    assert "MIGRATION_REVERTED" in {e.evento_tipo for e in read_events(reverted[METADATA])}

    again = migrations.up(wb, backups=backup, force=True)
    assert again.applied == ["v3_0_occupation"]
    assert_v3(wb.read())
    assert changed_cells(original, wb.read()) == []


def test_down_refuses_while_a_spool_is_occupied_unless_forced(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True)
    wb.apply(ChangeSet().put(OPERACIONES, 2, 64, "MR(93)").put(OPERACIONES, 2, 66, 1))
    before = wb.read()

    with pytest.raises(ConflictError, match=r"occupied .*row 2.*version above 0"):
        migrations.down(wb, backups=backup, confirm=lambda plan: True)

    assert changed_cells(before, wb.read()) == []
    assert migrations.current_version(wb) == "v3.0"
    assert migrations.down(wb, backups=backup, force=True).version_after == "v2.1"


def test_down_on_v21_has_nothing_to_do(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    report = migrations.down(wb, backups=backup, force=True)
    assert not report.changed and report.version_after == "v2.1"


def test_verify_finds_a_tampered_version(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True)
    assert migrations.verify(wb).ok
    wb.apply(ChangeSet().put(OPERACIONES, 3, 66, None))

    result = migrations.verify(wb)

    assert not result.ok
    assert "BN3" in " ".join(result.problems)


def test_baseline_adopts_a_workbook_migrated_by_hand(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    with pytest.raises(VerificationError, match="not in place"):
        migrations.baseline(wb, "v3_0_occupation", force=True)
    # the seed's script, by hand: headers at 64-66 and version 0 on every spool
    sheets = wb.read()
    changes = migrations.MIGRATIONS[0].upgrade(sheets)
    wb.apply(changes)
    before = wb.read()

    report = migrations.baseline(wb, "v3_0_occupation", force=True)

    after = wb.read()
    assert report.applied == ["v3_0_occupation"] and report.version_after == "v3.0"
    assert changed_cells(before, after) == []
    assert [e.status for e in read_ledger(after)] == ["baselined"]
    assert migrations.current_version(wb) == "v3.0"
    assert not migrations.up(wb, backups=backup, force=True).changed


def test_up_with_a_given_backup(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    made = backup.create(wb, verify=True)

    report = migrations.up(wb, backups=backup, force=True, backup_id=made.id)

    assert report.backup_id == made.id
    assert read_ledger(wb.read())[0].backup_id == made.id


def test_up_refuses_a_backup_that_no_longer_matches(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    made = backup.create(wb, verify=True)
    wb.apply(ChangeSet().put(OPERACIONES, 2, 18, "edited after the backup"))

    with pytest.raises(VerificationError, match=f"backup {made.id} does not match"):
        migrations.up(wb, backups=backup, force=True, backup_id=made.id)
    assert migrations.current_version(wb) == "v2.1"
    assert migrations.status(wb).lock is None


def test_up_refuses_an_unknown_backup(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    with pytest.raises(UsageError):
        migrations.up(wb, backups=backup, force=True, backup_id="no-such-backup")
    assert migrations.current_version(wb) == "v2.1"
