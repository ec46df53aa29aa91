"""What a restore gives back (values, formulas, formats, grids) and what it keeps (the audit log,
the run lock, the ledger's history), on both backends: issue 12 items 1, 2, 3 and 9."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from spoolsheet import backup as B
from spoolsheet import ledger, migrations
from spoolsheet.audit import Event, log_event, read_events
from spoolsheet.errors import TransientBackendError, UsageError
from spoolsheet.schema import LOCK_SHEET, METADATA, OPERACIONES
from spoolsheet.workbook import ChangeSet, Workbook

FORMAT_FIELDS = "sheets(properties(title),data(rowData(values(userEnteredFormat))))"


def formats(live: Workbook) -> dict[str, list[list[Any]]]:
    """Every cell's format as the backend keeps it: Google's userEnteredFormat, openpyxl's
    number_format (the file as any spreadsheet program reads it)."""
    if live.kind == "google":
        body = live.backend.http.call("GET", live.backend.url, what="test: formats",
                                      params={"includeGridData": "true", "fields": FORMAT_FIELDS})
        out = {}
        for sheet in body["sheets"]:
            rows = [[c.get("userEnteredFormat") for c in r.get("values", [])]
                    for d in sheet.get("data", []) for r in d.get("rowData", [])]
            out[sheet["properties"]["title"]] = rows
        return out
    wb = openpyxl.load_workbook(live.id)
    return {ws.title: [[c.number_format for c in r] for r in ws.iter_rows()] for ws in wb}


def hand_edit(live: Workbook) -> None:
    """What office staff do by hand: delete Operaciones row 15 (rows below move up, with their
    formats), delete the sheet FluorReporte, clear one cell."""
    if live.kind == "google":
        ids = {i.title: i.sheet_id for i in live.sheets()}
        live.backend.http.call("POST", f"{live.backend.url}:batchUpdate", what="test: hand edit", body={
            "requests": [
                {"deleteDimension": {"range": {"sheetId": ids[OPERACIONES], "dimension": "ROWS",
                                               "startIndex": 14, "endIndex": 15}}},
                {"deleteSheet": {"sheetId": ids["FluorReporte"]}},
                {"updateCells": {"range": {"sheetId": ids["Roles"], "startRowIndex": 2,
                                           "endRowIndex": 3, "startColumnIndex": 1,
                                           "endColumnIndex": 2},
                                 "fields": "userEnteredValue,userEnteredFormat"}}]})
        return
    wb = openpyxl.load_workbook(live.id)
    wb[OPERACIONES].delete_rows(15)
    del wb["FluorReporte"]
    wb["Roles"].cell(3, 2).value = None
    wb.save(live.id)


def date_cells(sheet_formats: list[list[Any]]) -> int:
    return sum(1 for row in sheet_formats for f in row
               if f and ("DATE" in str(f) or "yyyy" in str(f)))


def test_restore_puts_back_every_cell_format_after_rows_and_sheets_were_deleted(live, folder):
    before = formats(live)
    assert date_cells(before[OPERACIONES]) > 0 and date_cells(before["FluorReporte"]) > 0
    backup = B.create(live, folder=folder)
    hand_edit(live)
    shifted = formats(live)
    assert shifted[OPERACIONES] != before[OPERACIONES] and "FluorReporte" not in shifted

    report = B.restore(live, backup.id, folder=folder)
    after = formats(live)
    assert "FluorReporte" in report.sheets_added and OPERACIONES in report.sheets_restored
    for title, want in before.items():
        if title == METADATA:  # the log is kept as it is live, and grew by two rows
            continue
        assert after[title] == want, title
    assert [s.title for s in live.sheets()] == list(before)  # sheet order too
    assert "formats" in report.restores or "every byte" in report.restores


def test_events_logged_after_the_backup_stay_in_the_log(live, folder):
    backup = B.create(live, folder=folder)
    events = [Event("TOMAR_SPOOL", tag_spool=f"MK-{n}", worker_id=7, operacion="ARM",
                    accion="TOMAR") for n in range(3)]
    for event in events:
        live.apply(log_event(ChangeSet(), event, live.read_sheet(METADATA)))
    live.apply(ChangeSet().put(OPERACIONES, 2, 1, "changed"))

    report = B.restore(live, backup.id, folder=folder)
    log = list(read_events(live.read_sheet(METADATA)))
    ids = [e.id for e in log]
    assert all(e.id in ids for e in events)  # nothing logged since the backup is lost
    assert report.events_kept >= len(events) and METADATA in report.sheets_kept
    restored = log[-1]
    assert restored.evento_tipo == "BACKUP_RESTORED"
    assert restored.metadata["events_since_backup_kept"] == report.events_kept
    assert restored.metadata["safety_backup_id"] == report.safety_backup.id
    assert live.read_sheet(OPERACIONES).cell(2, 1) != "changed"


def test_metadata_is_kept_whole_with_its_extra_columns_and_hand_edits(live, folder):
    """docs/backup.md: Metadata is kept as it is live, whole: a column the office added after the
    backup (beside the ten the log needs) and its cells stay, and so does a hand-edited cell."""
    backup = B.create(live, folder=folder)
    meta = live.read_sheet(METADATA)
    extra = meta.info.cols + 1
    live.apply(ChangeSet().put(METADATA, 1, extra, "revisado_por").put(METADATA, 2, extra, "JP")
               .put(OPERACIONES, 2, 1, "changed"))
    B.restore(live, backup.id, folder=folder)
    after = live.read_sheet(METADATA)
    assert after.cell(1, extra) == "revisado_por" and after.cell(2, extra) == "JP"
    assert [r[:meta.info.cols] for r in after.rows[1:len(meta.rows)]] == meta.rows[1:]  # log kept
    assert list(read_events(after))[-1].evento_tipo == "BACKUP_RESTORED"


def test_the_ledger_says_truthfully_that_a_migration_was_rolled_back(live, folder):
    backup = B.create(live, folder=folder)
    migrations.up(live, force=True)
    assert ledger.schema_version(live.read()) == "v3.0"

    report = B.restore(live, backup.id, folder=folder)
    sheets = live.read()
    assert ledger.schema_version(sheets) == "v2.1"
    last = ledger.read_ledger(sheets)[-1]
    assert last.status == "restored" and backup.name in last.description
    assert any("v3_0" in r or "3.0" in r for r in last.details["rolled_back"])
    assert report.migrations_rolled_back == last.details["rolled_back"]
    assert migrations.status(live).version == "v2.1"
    migrations.up(live, force=True)  # and the way forward is open again
    assert ledger.schema_version(live.read()) == "v3.0"


def test_a_backup_taken_during_a_migration_never_brings_back_a_held_lock(live, folder):
    migrations.up(live, force=True, backups=B, backup_folder=folder)
    [pre_up] = [b for b in B.list_backups(live, folder=folder) if b.label == "pre-up"]

    B.restore(live, pre_up.id, folder=folder)
    sheets = live.read()
    if LOCK_SHEET in sheets:  # Google keeps its run lock in the workbook: kept as it is live
        assert migrations.status(live).lock is None
    assert migrations.status(live).version == "v2.1"
    migrations.up(live, force=True)  # no "a migration run holds the lock"
    assert migrations.status(live).version == "v3.0"


@pytest.mark.parametrize("backend_kind", ["google"])
def test_migrate_status_on_google_finds_the_last_backup(live, folder):
    made = B.create(live, folder=folder)
    status = migrations.status(live)
    assert status.last_backup is not None and status.last_backup.id == made.id


@pytest.mark.parametrize("backend_kind", ["google"])
def test_an_interrupted_restore_run_again_names_the_first_safety_backup(live, folder, fake_google):
    backup = B.create(live, folder=folder)
    live.apply(log_event(ChangeSet(), Event("TOMAR_SPOOL", tag_spool="MK-1", worker_id=7,
                                            operacion="ARM", accion="TOMAR"),
                         live.read_sheet(METADATA)))
    live.apply(ChangeSet().put(OPERACIONES, 2, 1, "changed"))
    # The restore lands, then the run dies while checking it (every read fails).
    fake_google.inject(kind="read", nth=5, fault="503", times=50)
    with pytest.raises(TransientBackendError) as first:
        B.restore(live, backup.id, folder=folder)
    fake_google.faults.clear()
    log = list(read_events(live.read_sheet(METADATA)))
    assert log[-1].evento_tipo == "BACKUP_RESTORED"  # the write had landed
    safety_id = log[-1].metadata["safety_backup_id"]
    assert f"safety backup {safety_id}" in str(first.value)

    again = B.restore(live, backup.id, folder=folder)
    assert again.already_restored and again.safety_backup.id == safety_id
    assert list(read_events(live.read_sheet(METADATA)))[-1].id == log[-1].id  # no second write
    safety = B.find(live, safety_id, folder=folder)
    with B.store_for(live, folder).open(safety.stored) as opened:
        held = opened.read()
    assert held[OPERACIONES].cell(2, 1) == "changed"
    assert "MK-1" in [e.tag_spool for e in read_events(held[METADATA])]


@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_xlsx_restore_run_again_after_it_landed_writes_nothing_and_names_its_safety(live):
    backup = B.create(live)
    live.apply(ChangeSet().put(OPERACIONES, 2, 1, "changed"))
    first = B.restore(live, backup.id)
    bytes_after = Path(live.id).read_bytes()
    again = B.restore(live, backup.id)
    assert again.already_restored and again.safety_backup.id == first.safety_backup.id
    assert Path(live.id).read_bytes() == bytes_after


def test_restore_and_verify_take_the_name_backup_list_prints(live, folder, backend_kind,
                                                            fake_google):
    backup = B.create(live, folder=folder, label="named")
    assert B.verify(live, backup.name, folder=folder).ok
    live.apply(ChangeSet().put(OPERACIONES, 2, 1, "changed"))
    assert B.restore(live, backup.name, folder=folder).backup.id == backup.id
    if backend_kind == "google":  # Drive allows two files of one name: refuse, naming both
        twin = fake_google.store.files[backup.id]
        other = B.create(live, folder=folder, label="other")
        fake_google.store.files[other.id].name = twin.name
        with pytest.raises(UsageError, match=f"2 backups are named.*{backup.id}.*{other.id}|"
                                 f"2 backups are named.*{other.id}.*{backup.id}"):
            B.restore(live, backup.name, folder=folder)


def test_verify_against_a_changed_source_says_the_backup_is_intact_and_how_it_changed(live, folder):
    backup = B.create(live, folder=folder)
    live.apply(ChangeSet().put(OPERACIONES, 2, 1, "changed").put(OPERACIONES, 3, 1, "also")
               .add_sheet("Extra", 10, 3))
    report = B.verify(live, backup.id, folder=folder, against_source=True)
    assert report.intact and not report.ok and report.backup_problems == []
    assert any(f"'{OPERACIONES}': 2 cells differ" in c for c in report.source_changes)
    assert any("'Extra'" in c for c in report.source_changes)
    data = report.to_json()
    assert data["intact"] is True and data["ok"] is False and data["source_changes"]


@pytest.mark.parametrize("backend_kind", ["google"])
def test_google_restore_of_a_few_edits_writes_only_what_differs_in_one_request(live, folder,
                                                                               monkeypatch):
    """A full rewrite of the formats alone is over the (lowered) request limit; the cells and
    formats that differ fit, so the restore is one atomic batchUpdate."""
    before = formats(live)
    full = len(json.dumps(before[OPERACIONES]))
    backup = B.create(live, folder=folder)
    sid = {i.title: i.sheet_id for i in live.sheets()}[OPERACIONES]
    live.backend.http.call("POST", f"{live.backend.url}:batchUpdate", what="test: hand edit", body={
        "requests": [{"repeatCell": {
            "range": {"sheetId": sid, "startRowIndex": 4, "endRowIndex": 6, "startColumnIndex": 2,
                      "endColumnIndex": 4},
            "cell": {"userEnteredFormat": {"numberFormat": {"type": "NUMBER", "pattern": "0.0"}}},
            "fields": "userEnteredFormat"}}]})
    live.apply(ChangeSet().put(OPERACIONES, 9, 5, "edited by hand"))
    monkeypatch.setattr(live.backend, "max_request_bytes", full // 2)
    report = B.restore(live, backup.id, folder=folder)
    assert report.write_requests == 1
    after = formats(live)
    assert all(after[t] == want for t, want in before.items() if t != METADATA)
