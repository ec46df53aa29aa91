"""What `migrate status` and a CLI state change download from Google (issue 10), on the
2,500-spool sample migrated on the fake as a shop migrates it (lock, verified backup): budgets
and request counts read from the fake's request log, each on a fresh connection as a CLI
process has. Plus the pieces they stand on: the ranged read types cells as values:batchGet
does, and the last backup's note rides in the BACKUP_CREATED event's own write."""

from __future__ import annotations

import json

import pytest

from spoolsheet import backup, migrations, occupation
from spoolsheet.audit import LAST_BACKUP_NOTE, read_events
from spoolsheet.occupation.rules import Operation, Stage, holdings
from spoolsheet.schema import METADATA, OPERACIONES, TRABAJADORES
from spoolsheet.testing import open_fake
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.workbook import Region
from spoolsheet.workbook.google import note_id

STATUS_BUDGET = 50 * 1024
CHANGE_BUDGET = 100 * 1024


@pytest.fixture(scope="module")
def shop(sample_2500):
    """The sample on a fake, migrated there with its backup; a free spool and an Armador."""
    fake = FakeGoogle()
    fake.load_xlsx(sample_2500, "big")
    with open_fake(fake, "big") as wb:
        migrations.up(wb, backups=backup, force=True)
        spool = next(s for s in occupation.spools(wb) if s.free and s.materiales is not None
                     and s.stage(Operation.ARM) is Stage.PENDING)
        worker = next(w for w in occupation.workers(wb) if w.activo and w.has_role("Armador"))
    return fake, spool.tag, worker.id


def logged(fake: FakeGoogle, work) -> tuple[object, list]:
    """``work`` on a fresh connection, and the fake's log of it."""
    with open_fake(fake, "big") as wb:
        fake.reset_log()
        result = work(wb)
        return result, list(fake.log)


def down(log) -> int:
    return sum(e.response_bytes for e in log)


@pytest.mark.slow
def test_status_is_one_request_under_50_kb_and_names_the_migration_backup(shop):
    fake, _, _ = shop
    status, log = logged(fake, migrations.status)
    assert len(log) == 1 and down(log) <= STATUS_BUDGET, [(e.method, e.path) for e in log]
    assert status.version == "v3.0" and status.lock is None and status.pending == []
    with open_fake(fake, "big") as wb:  # the note says what the log says
        events = list(read_events(wb.read_sheet(METADATA)))
    made = [e.metadata for e in events if e.evento_tipo == "BACKUP_CREATED"][-1]
    assert status.last_backup is not None and status.last_backup.exact
    assert (status.last_backup.id, status.last_backup.name) == (made["backup_id"], made["backup_name"])


@pytest.mark.slow
def test_a_cli_state_change_is_three_requests_under_100_kb(shop):
    fake, tag, worker = shop
    for work in (lambda wb: occupation.tomar(wb, tag, worker=worker, op="ARM"),
                 lambda wb: occupation.pausar(wb, tag, worker=worker)):
        outcome, log = logged(fake, work)
        assert len(log) == 3 and down(log) <= CHANGE_BUDGET, (
            [(e.method, e.path, e.response_bytes) for e in log])
        assert outcome.tag == tag
    with open_fake(fake, "big") as wb:
        after = next(s for s in occupation.spools(wb) if s.tag == tag)
    assert after.free and after.stage(Operation.ARM) is Stage.PAUSED


@pytest.mark.slow
def test_with_the_cli_layout_check_a_state_change_is_three_requests_under_100_kb(shop):
    """The check reads the header rows of the sheets its chain names in the read occupation
    makes anyway: no sheet list, no request more."""
    fake, tag, worker = shop
    check = migrations.layout_check()
    for work in (lambda wb: occupation.tomar(wb, tag, worker=worker, op="ARM", layout_check=check),
                 lambda wb: occupation.pausar(wb, tag, worker=worker, layout_check=check)):
        _, log = logged(fake, work)
        assert len(log) == 3 and down(log) <= CHANGE_BUDGET, (
            [(e.method, e.path, e.response_bytes) for e in log])


@pytest.mark.slow
def test_status_without_the_note_scans_the_log_with_one_more_request(shop):
    """An older workbook: its backups were logged before the note existed."""
    fake, _, _ = shop
    with open_fake(fake, "big") as wb:
        wb.backend.http.call("POST", f"{wb.backend.url}:batchUpdate", what="test", body={
            "requests": [{"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
                "metadataKey": LAST_BACKUP_NOTE}}}}]})
    try:
        status, log = logged(fake, migrations.status)
        assert len(log) == 2 and status.last_backup is not None and status.last_backup.exact
    finally:  # put the note back for the other tests
        with open_fake(fake, "big") as wb:
            backup.create(wb)


def test_a_backup_keeps_its_note_in_the_events_write(sample_small, fake_google):
    fake_google.load_xlsx(sample_small, "live")
    with open_fake(fake_google, "live") as wb:
        assert wb.note(LAST_BACKUP_NOTE) is None
        first = backup.create(wb)
        second = backup.create(wb)
    with open_fake(fake_google, "live") as wb:
        noted = json.loads(wb.note(LAST_BACKUP_NOTE) or "")
        assert (noted["backup_id"], noted["backup_name"]) == (second.id, second.name) != (first.id,
                                                                                          first.name)
    kept = fake_google.store.spreadsheet("live").developer_metadata
    assert [(m["metadataId"], m["metadataKey"]) for m in kept] == [(note_id(LAST_BACKUP_NOTE),
                                                                     LAST_BACKUP_NOTE)]


def test_the_ranged_read_types_cells_as_batch_get_does(sample_small, fake_google):
    """Dates as serial numbers, integers, text, blanks inside a row: the same either way."""
    fake_google.load_xlsx(sample_small, "live")
    regions = [Region(OPERACIONES, 1, 1), *[Region(OPERACIONES, r, r) for r in range(2, 40)],
               Region(TRABAJADORES), Region(OPERACIONES, 5, 30, 3, 12)]
    with open_fake(fake_google, "live") as wb:
        fake_google.reset_log()
        described = wb.read_described(regions)
        assert [e.path for e in fake_google.log] == ["/v4/spreadsheets/live"]
        assert wb.sheet_info(OPERACIONES) is not None and len(fake_google.log) == 1
    with open_fake(fake_google, "live") as wb:
        assert described == wb.read_regions(regions)


def test_fake_developer_metadata_round_trip_and_duplicate_id(fake_google, sample_small):
    fake_google.load_xlsx(sample_small, "live")
    with open_fake(fake_google, "live") as wb:
        url = f"{wb.backend.url}:batchUpdate"
        made = {"metadataId": 7, "metadataKey": "k", "metadataValue": "v1",
                "location": {"spreadsheet": True}, "visibility": "DOCUMENT"}
        reply = wb.backend.http.call("POST", url, what="create", body={
            "requests": [{"createDeveloperMetadata": {"developerMetadata": made}}]})
        assert reply["replies"][0]["createDeveloperMetadata"]["developerMetadata"]["location"] == {
            "locationType": "SPREADSHEET", "spreadsheet": True}
        wb.backend.http.call("POST", url, what="update", body={"requests": [{
            "updateDeveloperMetadata": {
                "dataFilters": [{"developerMetadataLookup": {"metadataId": 7}}],
                "developerMetadata": {"metadataValue": "v2"}, "fields": "metadataValue"}}]})
        got = wb.backend.http.call("GET", wb.backend.url, what="get",
                                   params={"fields": "developerMetadata"})
        assert [(m["metadataKey"], m["metadataValue"]) for m in got["developerMetadata"]] == [
            ("k", "v2")]
        with pytest.raises(Exception, match="already exists"):
            wb.backend.http.call("POST", url, what="again", body={
                "requests": [{"createDeveloperMetadata": {"developerMetadata": made}}]})


@pytest.mark.slow
def test_history_and_the_listing_read_only_what_they_show_in_two_requests(shop):
    """A fresh process's history reads the header, the TAG column, the spool's row and the
    log (filtered after the read); the listing the header, then only the columns it shows:
    two requests each, as when they read Operaciones whole, and fewer bytes."""
    fake, tag, _ = shop
    held, log = logged(fake, lambda wb: occupation.history(wb, tag))
    assert len(log) == 2
    with open_fake(fake, "big") as wb:
        whole = wb.read_regions([Region(OPERACIONES)])[0]
        everything = read_events(wb.read_sheet(METADATA))
    assert held == holdings(everything, tag)
    spools, log = logged(fake, occupation.spools)
    assert len(log) == 2 and [s.tag for s in spools] == [
        str(r[5]).strip() for r in whole[1:] if len(r) > 5 and r[5]]
