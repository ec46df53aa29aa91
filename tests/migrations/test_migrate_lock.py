"""The migration lock: one run at a time, named holders, expiry, take-over, --break-lock."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from migration_helpers import another_handle, assert_v3

from spoolsheet import backup, migrations
from spoolsheet.errors import ConflictError
from spoolsheet.ledger import read_ledger
from spoolsheet.migrations.lock import LOCK_HEADERS, LOCK_SHEET, LockHeld, LockRecord, lock_file, utcnow
from spoolsheet.workbook import ChangeSet


def plant_lock(wb, *, owner: str, expires_in: float) -> LockRecord:
    """A lock as another run (on another machine) would have left it."""
    now = utcnow()
    record = LockRecord(owner, "their-token", "migrate up", now, now + dt.timedelta(seconds=expires_in), now)
    path = lock_file(wb)
    if path is not None:
        path.write_text(json.dumps(record.as_json()), encoding="utf-8")
    else:
        changes = ChangeSet()
        if LOCK_SHEET not in wb.sheet_titles():
            changes.add_sheet(LOCK_SHEET, rows=10, cols=len(LOCK_HEADERS))
        changes.set_row(LOCK_SHEET, 1, 1, LOCK_HEADERS).set_row(LOCK_SHEET, 2, 1, record.cells())
        wb.apply(changes)
    return record


def test_a_held_lock_stops_a_second_run_naming_holder_and_expiry(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    held = plant_lock(wb, owner="ana@office-pc:4242", expires_in=600)

    with pytest.raises(LockHeld) as caught:
        migrations.up(wb, backups=backup, force=True)

    assert caught.value.exit_code == 3
    assert "ana@office-pc:4242" in str(caught.value)
    assert held.expires.strftime("%Y-%m-%dT%H:%M:%SZ") in str(caught.value)
    assert migrations.current_version(wb) == "v2.1"
    assert migrations.status(wb).lock.holder == "ana@office-pc:4242"


def test_a_stale_lock_is_taken_over_after_it_expires(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    plant_lock(wb, owner="ana@office-pc:4242", expires_in=-5)

    report = migrations.up(wb, backups=backup, force=True)

    assert report.applied == ["v3_0_occupation"]
    assert migrations.status(wb).lock is None


def test_break_lock_is_the_admins_escape(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    plant_lock(wb, owner="ana@office-pc:4242", expires_in=600)

    report = migrations.up(wb, backups=backup, force=True, break_lock=True)

    assert report.applied == ["v3_0_occupation"]
    if wb.kind == "google":
        rows = wb.read([LOCK_SHEET])[LOCK_SHEET].rows
        assert rows[1][LOCK_HEADERS.index("released")].startswith("broken by")


def test_two_simultaneous_runs_one_wins(open_copy, sample_tiny, backend_kind, fake_google):
    first = open_copy(sample_tiny)
    second = another_handle(first, fake_google)
    start = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def run(i, wb):
        start.wait()
        try:
            outcomes[i] = migrations.up(wb, backups=backup, force=True)
        except ConflictError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i, wb)) for i, wb in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    second.close()

    won = [o for o in outcomes.values() if not isinstance(o, Exception) and o.applied]
    lost = [o for o in outcomes.values() if o not in won]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], ConflictError) or not lost[0].changed
    sheets = first.read()
    assert_v3(sheets)
    assert [e.status for e in read_ledger(sheets)] == ["verified"]


def test_the_heartbeat_extends_the_expiry_once_half_the_ttl_has_passed(open_copy, sample_tiny):
    import time

    from spoolsheet.migrations.lock import acquire, holder

    wb = open_copy(sample_tiny)
    sheets = wb.read()
    lock = acquire(wb, sheets, actor="tester", purpose="test", ttl=3)  # times are kept in seconds
    try:
        lock.confirm(wb.read())
        first = lock.record.expires
        writes = wb.stats.writes
        lock.heartbeat()  # too early: costs nothing
        assert lock.record.expires == first and wb.stats.writes == writes
        time.sleep(1.6)
        lock.heartbeat()
        assert lock.record.expires > first
        current = holder(wb, wb.read())
        assert current is not None and current.token == lock.token
        assert current.expires == lock.record.expires
    finally:
        lock.close()
    assert holder(wb, wb.read()) is None
