"""A write of `migrate up` on Google that lands but whose answer is lost (the fake's
"lost-reply" and "applied-504"): the run finds out, or stops, and `up` again leaves the workbook
exactly as a run that was never interrupted: every cell of every sheet, one verified ledger
row, one event of each kind, one backup; nothing applied or backfilled twice."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from migration_helpers import assert_v3

from spoolsheet import backup, migrations
from spoolsheet.audit import read_events
from spoolsheet.errors import SpoolsheetError
from spoolsheet.ledger import LEDGER_SHEET, read_ledger
from spoolsheet.migrations.lock import LOCK_SHEET
from spoolsheet.schema import METADATA
from spoolsheet.testing import FakeGoogle, open_fake
from spoolsheet.values import canonical
from spoolsheet.workbook.base import Sheet

#: The write whose answer is lost: the step of the run from which to count, and which write
#: from there (the run's writes: lock row, backup copy, its verified mark, its event, the
#: change with its ledger row and event, the ledger's "verified" with the lock's release).
LOST = {
    "lock row": (None, 1),
    "backup event": ("reading backup", 2),
    "the change": ("backup done", 1),
    "ledger verified": ("verify done", 1),
}


def landmarks(sheets: Mapping[str, Sheet]) -> dict[str, object]:
    """What two runs must share whatever their clocks and ids: every cell of the data sheets,
    and the machinery's rows by what they say (event types, ledger statuses, lock rows)."""
    out: dict[str, object] = {
        title: [[canonical(v) for v in row] for row in sheet.rows]
        for title, sheet in sheets.items() if title not in (METADATA, LEDGER_SHEET, LOCK_SHEET)}
    out[METADATA] = [(e.evento_tipo, e.accion) for e in read_events(sheets[METADATA])]
    out[LEDGER_SHEET] = [(e.migration_id, e.schema_version, e.status) for e in read_ledger(sheets)]
    out[LOCK_SHEET] = [bool(row[-1:]) for row in sheets[LOCK_SHEET].rows[1:]]  # released?
    out["sheets"] = list(sheets)
    return out


@pytest.fixture(scope="module")
def reference(sample_tiny) -> dict[str, object]:
    """The same workbook after an `up` nothing interrupted (made once, on a fake of its own)."""
    fake = FakeGoogle()
    fake.load_xlsx(sample_tiny, "reference")
    with open_fake(fake, "reference") as wb:
        migrations.up(wb, backups=backup, force=True)
        return landmarks(wb.read())


@pytest.mark.parametrize("fault", ["lost-reply", "applied-504"])
@pytest.mark.parametrize("lost", list(LOST))
def test_a_write_whose_answer_was_lost_ends_as_an_uninterrupted_run(
        google_copy, sample_tiny, fake_google, reference, fault, lost):
    wb = google_copy(sample_tiny)
    step, nth = LOST[lost]
    armed = []

    def lose(reached) -> None:
        if not armed and reached.phase.startswith(step or ""):
            armed.append(reached.phase)
            fake_google.inject(kind="write", nth=nth, fault=fault)

    fake_google.reset_log()
    try:
        first = migrations.up(wb, backups=backup, force=True, progress=lose)
    except SpoolsheetError as stopped:  # allowed: it must say so, and the next run finish it
        assert "nothing" in str(stopped) or "may have been applied" in str(stopped), stopped
        first = migrations.up(wb, backups=backup, force=True)
    assert [e.fault for e in fake_google.log].count(fault) == 1
    after = wb.read()

    assert_v3(after)
    assert landmarks(after) == reference
    assert [e.status for e in read_ledger(after)] == ["verified"]
    assert migrations.current_version(wb) == "v3.0" and first.version_after == "v3.0"
    made = [e.metadata["backup_id"] for e in read_events(after[METADATA])
            if e.evento_tipo == "BACKUP_CREATED"]
    assert len(made) == 1 and made[0] in [b.id for b in backup.list_backups(wb)]


REVISIONS = ["v3_1_estado_detalle", "v4_0_uniones", "v4_1_drop_version"]


@pytest.mark.parametrize("fault", ["lost-reply", "applied-504", "500"])
@pytest.mark.parametrize("revision", REVISIONS)
def test_the_history_with_one_revisions_answer_lost_ends_as_an_uninterrupted_run(
        google_copy, sample_tiny, fake_google, clean_on_google, fault, revision):
    """v3.0 → v4.1 in one run, the answer of one revision's write lost (it landed) or a 500
    (it did not: ambiguous all the same). Each revision's ledger row carries the run's token,
    so only this revision's own row can say that this write landed."""
    from test_migrate_history import assert_resumed, same_workbook, up

    clean = clean_on_google
    wb = google_copy(sample_tiny)
    up(wb, to="v3.0")
    before = wb.read()
    armed = []

    def lose(reached) -> None:
        if not armed and reached.phase.startswith(f"writing {revision}"):
            armed.append(reached.phase)
            fake_google.inject(kind="write", nth=1, fault=fault)

    stopped = None
    try:
        report = up(wb, progress=lose)
    except SpoolsheetError as exc:
        stopped = exc
        report = up(wb)
    assert armed
    after = wb.read()
    assert_resumed(report, before, after)
    assert same_workbook(clean, after) == []
    got, want = landmarks(after), landmarks(clean)
    if fault == "500":  # it did not land, and the run said so; a second run took a backup
        assert str(stopped).startswith(f"{revision}: ") and \
            "did not land, nothing of it changed" in str(stopped), stopped
        assert got.pop(LOCK_SHEET) == [*want.pop(LOCK_SHEET), True]
        made = ("BACKUP_CREATED", "CREATE")
        assert got[METADATA].count(made) == want[METADATA].count(made) + 1
        got[METADATA], want[METADATA] = ([e for e in events if e != made]  # type: ignore[attr-defined]
                                         for events in (got[METADATA], want[METADATA]))
    else:  # it landed: found, and the run went on
        assert stopped is None, stopped
    assert got == want


@pytest.mark.parametrize("fault", ["lost-reply", "applied-504"])
def test_a_down_whose_answer_was_lost_ends_as_an_uninterrupted_down(
        google_copy, sample_tiny, fake_google, fault):
    fake_google.load_xlsx(sample_tiny, "clean")
    with open_fake(fake_google, "clean") as other:
        migrations.up(other, backups=backup, force=True)
        migrations.down(other, backups=backup, force=True)
        clean = landmarks(other.read())
    wb = google_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True)
    armed = []

    def lose(reached) -> None:
        if not armed and reached.phase.startswith("writing v3_0_occupation"):
            armed.append(reached.phase)
            fake_google.inject(kind="write", nth=1, fault=fault)

    report = migrations.down(wb, backups=backup, force=True, progress=lose)
    assert armed and report.version_after == "v2.1"
    assert landmarks(wb.read()) == clean
    assert [e.status for e in read_ledger(wb.read())] == ["verified", "reverted"]
