"""Backups on both backends: create → verify → change → restore, tampering, bad input, pruning."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from backup_helpers import backup_content, sibling, tamper

from spoolsheet import backup as B
from spoolsheet.audit import read_events
from spoolsheet.errors import (
    CorruptWorkbook,
    TransientBackendError,
    UsageError,
    VerificationError,
    WorkbookAccessDenied,
)
from spoolsheet.fingerprint import differences, sheet_fingerprint
from spoolsheet.schema import METADATA, OPERACIONES
from spoolsheet.workbook import ChangeSet, Sheet, Workbook, XlsxBackend


def fingerprints(sheets: dict[str, Sheet]) -> dict[str, str]:
    return {t: sheet_fingerprint(s) for t, s in sheets.items()}


def assert_equals_backup(after: dict[str, Sheet], content: dict[str, Sheet],
                         log_before: Sheet | None = None) -> None:
    """``after`` is the backup cell for cell, except the audit log: that is the log as it was
    before the restore (``log_before``; it starts with the backup's), then the safety backup's
    BACKUP_CREATED and the BACKUP_RESTORED."""
    assert set(after) == set(content)
    for title, want in content.items():
        got = after[title]
        if title == METADATA:
            kept = log_before or want
            head = Sheet(kept.info, got.rows[:len(kept.rows)])
            assert differences(kept, head) == []
            assert differences(want, Sheet(want.info, got.rows[:len(want.rows)])) == []
            events = list(read_events(got))
            assert events[-1].evento_tipo == "BACKUP_RESTORED"
            assert events[-2].evento_tipo == "BACKUP_CREATED"
            assert events[-2].metadata["backup_id"] == events[-1].metadata["safety_backup_id"]
        else:
            assert differences(want, got) == [], title
            assert (got.info.rows, got.info.cols) == (want.info.rows, want.info.cols), title
            assert sheet_fingerprint(got) == sheet_fingerprint(want), title


def change_everything(live: Workbook) -> None:
    """Edit a cell, clear one, shrink and grow grids, add a sheet, drop one: all in one write."""
    ops = live.read([OPERACIONES])[OPERACIONES]
    live.apply(ChangeSet()
               .put(OPERACIONES, 2, 1, "changed").put(OPERACIONES, 3, 6, None)
               .resize(OPERACIONES, rows=ops.info.rows + 40, cols=ops.info.cols + 2)
               .put(OPERACIONES, ops.info.rows + 30, ops.info.cols + 1, "far away")
               .resize("Roles", rows=20)
               .add_sheet("Extra", 10, 3).put("Extra", 1, 1, "new")
               .delete_sheet("Listas"))


def test_create_change_restore_gives_the_backup_back_cell_for_cell(live, folder):
    backup = B.create(live, folder=folder, verify=True)
    assert backup.verified is True and backup.label == "v2.1" and backup.schema_version == "v2.1"
    assert B.verify(live, backup.id, folder=folder, against_source=True).ok
    content = backup_content(live, backup)
    change_everything(live)

    report = B.verify(live, backup.id, folder=folder, against_source=True)
    assert not report.ok
    assert {d.sheet for d in report.differences} >= {OPERACIONES}
    assert any("Listas" in p for p in report.problems) and any("Extra" in p for p in report.problems)

    log_before = live.read_sheet(METADATA)
    result = B.restore(live, backup.id, folder=folder)
    assert result.sheets_removed == ["Extra"] and result.sheets_added == ["Listas"]
    assert {OPERACIONES, "Roles"} <= set(result.sheets_restored)
    assert result.sheets_kept == [METADATA] and METADATA not in result.sheets_restored
    assert_equals_backup(live.read(), content, log_before)

    event = list(read_events(live.read_sheet(METADATA)))[-1]
    assert event.metadata["backup_id"] == backup.id
    assert event.metadata["safety_backup_id"] == result.safety_backup.id
    safety = backup_content(live, result.safety_backup)
    assert safety[OPERACIONES].cell(2, 1) == "changed" and "Extra" in safety
    assert B.verify(live, result.safety_backup.id, folder=folder).ok


def test_the_backup_equals_its_source_and_is_logged(live, folder):
    before = live.read()
    backup = B.create(live, folder=folder, label="pre-v3")
    assert backup.name.startswith(f"{live.title}_pre-v3_backup_")
    assert fingerprints(backup_content(live, backup)) == fingerprints(before)
    assert [(e.title, e.rows, e.cols) for e in backup.manifest.sheets] == [
        (s.title, s.info.rows, s.info.cols) for s in before.values()]
    event = list(read_events(live.read_sheet(METADATA)))[-1]
    assert event.evento_tipo == "BACKUP_CREATED"
    assert event.metadata["backup_id"] == backup.id
    assert event.metadata["fingerprint"] == backup.manifest.fingerprint
    assert [b.id for b in B.list_backups(live, folder=folder)] == [backup.id]


def test_dry_run_writes_nothing(live, folder, fake_google):
    before = fingerprints(live.read())
    files = len(fake_google.store.files)
    backup = B.create(live, folder=folder, dry_run=True, verify=True)
    assert backup.manifest is not None and backup.verified is None
    assert B.list_backups(live, folder=folder) == []
    assert fingerprints(live.read()) == before and len(fake_google.store.files) == files


def test_a_backup_altered_after_creation_fails_verification(live, folder):
    backup = B.create(live, folder=folder, verify=True)
    change_everything(live)
    changed = fingerprints(live.read())
    tamper(live, backup, "Roles")

    report = B.verify(live, backup.id, folder=folder)
    assert not report.ok and any("'Roles'" in p for p in report.problems)
    assert B.find(live, backup.id, folder=folder).verified is False
    with pytest.raises(VerificationError, match="refusing to restore"):
        B.restore(live, backup.id, folder=folder)
    assert fingerprints(live.read()) == changed

    result = B.restore(live, backup.id, folder=folder, force=True)
    assert result.forced and live.read_sheet("Roles").cell(2, 2) == "tampered"


def test_restore_dry_run_says_what_would_change_and_writes_nothing(live, folder):
    backup = B.create(live, folder=folder)
    change_everything(live)
    changed = fingerprints(live.read())
    result = B.restore(live, backup.id, folder=folder, dry_run=True)
    assert result.dry_run and result.safety_backup is None
    assert result.sheets_removed == ["Extra"] and result.sheets_added == ["Listas"]
    assert fingerprints(live.read()) == changed
    assert len(B.list_backups(live, folder=folder)) == 1


@pytest.mark.parametrize("fault", ["lost-reply", "applied-504"])
@pytest.mark.parametrize("backend_kind", ["google"])
def test_google_backup_whose_log_line_lost_its_answer_is_logged_once(live, folder, fake_google,
                                                                    fault):
    fake_google.reset_log()
    fake_google.inject(kind="write", nth=3, fault=fault)  # the copy, its verified mark, the event
    made = B.create(live, folder=folder, verify=True)
    assert made.verified
    events = [e for e in read_events(live.read_sheet(METADATA)) if e.evento_tipo == "BACKUP_CREATED"]
    assert [e.metadata["backup_id"] for e in events] == [made.id]
    assert fake_google.count(kind="write") == 3  # the event's write was not sent again
    assert [b.id for b in B.list_backups(live, folder=folder)] == [made.id]


@pytest.mark.parametrize("backend_kind", ["google"])
def test_google_backup_whose_log_line_did_not_land_says_so(live, folder, fake_google):
    fake_google.inject(kind="write", nth=2, fault="500")  # the copy, then the event
    with pytest.raises(TransientBackendError, match="did not land, nothing changed"):
        B.create(live, folder=folder)
    assert not any(e.evento_tipo == "BACKUP_CREATED" for e in read_events(live.read_sheet(METADATA)))


@pytest.mark.parametrize("backend_kind", ["google"])
def test_google_restore_failing_mid_write_can_run_again(live, folder, fake_google):
    backup = B.create(live, folder=folder)
    content = backup_content(live, backup)
    change_everything(live)
    changed = fingerprints(live.read())
    fake_google.reset_log()
    # Writes of a restore: the safety copy, its log line, then the batchUpdate, which fails.
    # It re-creates sheets (addSheet), so it is never sent twice: a 500 may have landed.
    fake_google.inject(kind="write", nth=3, fault="500")
    with pytest.raises(TransientBackendError, match="may have been applied") as failed:
        B.restore(live, backup.id, folder=folder)
    assert fake_google.count(kind="write", status=500) == 1
    now = live.read()
    safety = list(read_events(now[METADATA]))[-1]
    assert safety.metadata["restoring"] == backup.id
    assert f"safety backup {safety.metadata['backup_id']}" in str(failed.value)
    assert {t: f for t, f in fingerprints(now).items() if t != METADATA} == {
        t: f for t, f in changed.items() if t != METADATA}  # one batchUpdate: all or nothing

    again = B.restore(live, backup.id, folder=folder)
    assert again.resumed and again.safety_backup.id == safety.metadata["backup_id"]
    assert_equals_backup(live.read(), content)


@pytest.mark.parametrize("fault", ["lost-reply", "applied-504"])
@pytest.mark.parametrize("backend_kind", ["google"])
def test_google_restore_whose_answer_was_lost_says_so_and_running_it_again_finishes(
        live, folder, fake_google, fault):
    """The restore's batchUpdate re-creates and deletes sheets: sent again after it landed it
    would fail with a 400 (or apply twice), so it is not sent again; the next restore sees it
    landed and finishes, logging the restore once."""
    backup = B.create(live, folder=folder)
    content = backup_content(live, backup)
    change_everything(live)
    log_before = live.read_sheet(METADATA)
    fake_google.reset_log()
    fake_google.inject(kind="write", nth=3, fault=fault)  # the safety copy, its log line, the batch
    with pytest.raises(TransientBackendError, match="may have been applied"):
        B.restore(live, backup.id, folder=folder)
    assert fake_google.count(kind="write") == 3
    B.restore(live, backup.id, folder=folder)
    after = live.read()
    restored = [e for e in read_events(after[METADATA]) if e.evento_tipo == "BACKUP_RESTORED"]
    assert len(restored) == 1
    assert {t: sheet_fingerprint(s) for t, s in after.items() if t != METADATA} == {
        t: sheet_fingerprint(s) for t, s in content.items() if t != METADATA}
    assert len(after[METADATA].rows) > len(log_before.rows)


@pytest.mark.parametrize("backend_kind", ["google"])
def test_google_restore_too_large_for_one_request_is_split_and_can_be_finished(live, folder,
                                                                              fake_google,
                                                                              monkeypatch):
    backup = B.create(live, folder=folder)
    content = backup_content(live, backup)
    change_everything(live)
    monkeypatch.setattr(live.backend, "max_request_bytes", 8_000)  # Google's is 10 MB; this write ~15 KB
    fake_google.reset_log()
    fake_google.inject(kind="write", nth=4, fault="500", times=8)  # copy, log, part 1, part 2
    with pytest.raises(TransientBackendError, match="part 2 of"):
        B.restore(live, backup.id, folder=folder)
    half = live.read()
    assert "Listas" in half  # part 1 landed (Listas re-created, the values), not the formats
    logged = [e.evento_tipo for e in read_events(half[METADATA])]
    assert "BACKUP_RESTORED" not in logged  # the log line goes in the last part: not landed

    result = B.restore(live, backup.id, folder=folder)
    assert result.resumed and result.write_requests == 1  # only what part 1 did not write
    assert_equals_backup(live.read(), content)


def test_a_copy_of_the_bytes_read_is_verified_without_reading_it_again(live, folder, backend_kind):
    """On .xlsx the copy is checked byte for byte against the file version the manifest was
    made from (it then reads as that read did): no read of the copy. Drive's copy is read."""
    live.read()
    before = live.stats.snapshot()["reads"]
    backup = B.create(live, folder=folder, verify=True)
    assert backup.verified is True
    assert (live.stats.snapshot()["reads"] - before == 0) == (backend_kind == "xlsx")


def test_a_file_changed_between_the_read_and_the_copy_fails_the_verification(tmp_path, sample_tiny):
    """Someone ignoring the lock (a person in Excel) saves after the manifest's read and before
    the copy: the copy's bytes are not what was read, so it is read and checked against the
    manifest, and the backup is refused."""
    path, edited = tmp_path / "live.xlsx", tmp_path / "edited.xlsx"
    path.write_bytes(sample_tiny.read_bytes())
    edited.write_bytes(sample_tiny.read_bytes())
    Workbook(XlsxBackend(edited)).apply(ChangeSet().put("Roles", 2, 1, "edited by hand"))
    live = Workbook(XlsxBackend(path))

    def hand_edit(step) -> None:
        if step.phase.startswith("copying to") and step.done == 0:
            path.write_bytes(edited.read_bytes())

    with pytest.raises(VerificationError, match=r"does not match what was read.*Roles"):
        B.create(live, verify=True, progress=hand_edit)
    assert [b.verified for b in B.list_backups(live)] == [False]


# --- bad input ---------------------------------------------------------------------------------

def test_an_unknown_backup_id_is_a_clear_error(live, folder):
    for call in (B.find, B.verify, B.restore):
        with pytest.raises(B.BackupNotFound, match="no backup 'nope"):
            call(live, "nope", folder=folder)


def test_a_backup_of_another_workbook_is_refused(live, folder, backend_kind, fake_google,
                                                 sample_tiny, tmp_path):
    if backend_kind == "google":
        fake_google.load_xlsx(sample_tiny, "other")
        other = sibling(live, "other")
    else:  # another workbook whose backups go to the same folder
        (tmp_path / "elsewhere").mkdir()
        other_path = tmp_path / "elsewhere" / Path(live.id).name
        other_path.write_bytes(Path(sample_tiny).read_bytes())
        other = Workbook(XlsxBackend(other_path))
        folder = str(tmp_path / "backups")
        Path(folder).mkdir()
    foreign = B.create(other, folder=folder)
    before = fingerprints(live.read())
    for call in (B.find, B.verify, B.restore):
        with pytest.raises(B.ForeignBackup, match="not from this workbook"):
            call(live, foreign.id, folder=folder)
    assert B.list_backups(live, folder=folder) == []
    assert fingerprints(live.read()) == before


def test_a_missing_folder_is_a_clear_error_and_nothing_is_made(live, backend_kind, fake_google,
                                                                tmp_path):
    missing = "1NoSuchFolder" if backend_kind == "google" else str(tmp_path / "no" / "such")
    before, files = fingerprints(live.read()), len(fake_google.store.files)
    for dry_run in (True, False):
        with pytest.raises(UsageError, match=r"folder .* (not found|does not exist)"):
            B.create(live, folder=missing, dry_run=dry_run)
    assert fingerprints(live.read()) == before and len(fake_google.store.files) == files
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("backend_kind", ["google"])
def test_no_drive_storage_explains_the_fix(live, fake_google):
    fake_google.drive_storage = False
    before = fingerprints(live.read())
    with pytest.raises(WorkbookAccessDenied, match=r"shared drive.*--folder"):
        B.create(live)
    assert fingerprints(live.read()) == before
    shared = fake_google.create_folder("Backups (owned by a person)", shared=True)
    assert B.create(live, folder=shared, verify=True).verified


@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_a_corrupted_xlsx_backup_fails_verification_and_is_not_restored(live):
    backup = B.create(live, verify=True)
    Path(backup.path).write_bytes(b"PK\x03\x04 not really a zip")
    before = hashlib.sha256(Path(live.id).read_bytes()).hexdigest()
    report = B.verify(live, backup.id)
    assert not report.ok and "not a readable .xlsx" in report.problems[0]
    with pytest.raises(CorruptWorkbook, match="nothing was changed"):
        B.restore(live, backup.id, force=True)
    assert hashlib.sha256(Path(live.id).read_bytes()).hexdigest() == before
    assert not list(Path(live.id).parent.glob(".*.restore.*"))


@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_a_backup_without_its_manifest_is_incomplete(live):
    backup = B.create(live)
    Path(backup.path).with_name(f"{backup.id}.manifest.json").unlink()
    [listed] = B.list_backups(live)
    assert not listed.complete and "manifest" in listed.problem
    report = B.verify(live, backup.id)
    assert not report.ok and "incomplete" in report.problems[0]
    with pytest.raises(UsageError, match="cannot be restored"):
        B.restore(live, backup.id, force=True)


# --- listing and pruning -----------------------------------------------------------------------

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_prune_keeps_the_newest_the_young_and_the_newest_verified(live, folder, backend_kind,
                                                                   fake_google):
    made = {}
    for days in (70, 60, 50, 40, 10, 1, 0):
        made[days] = B.create(live, folder=folder, now=NOW - dt.timedelta(days=days),
                              verify=days == 50, label=f"d{days}")
    listed = B.list_backups(live, folder=folder)
    assert [b.label for b in listed] == ["d0", "d1", "d10", "d40", "d50", "d60", "d70"]
    assert [b.verified for b in listed] == [None] * 4 + [True] + [None] * 2

    would = B.prune(live, keep_last=2, max_age_days=30, dry_run=True, now=NOW, folder=folder)
    assert [b.label for b in would] == ["d40", "d60", "d70"]
    assert len(B.list_backups(live, folder=folder)) == 7
    removed = B.prune(live, keep_last=2, max_age_days=30, now=NOW, folder=folder)
    assert [b.id for b in removed] == [b.id for b in would]
    assert [b.label for b in B.list_backups(live, folder=folder)] == ["d0", "d1", "d10", "d50"]
    for gone in removed:
        if backend_kind == "google":  # trashed, recoverable, not deleted
            assert fake_google.store.files[gone.id].trashed
        else:
            assert not Path(gone.path).exists()
            assert not Path(gone.path).with_name(f"{gone.id}.manifest.json").exists()
        with pytest.raises(B.BackupNotFound):
            B.find(live, gone.id, folder=folder)

    with pytest.raises(UsageError, match="--keep-last"):
        B.prune(live, keep_last=-1, folder=folder)


def test_list_json_shape(live, folder, backend_kind):
    backup = B.create(live, folder=folder, verify=True)
    [data] = [b.to_json() for b in B.list_backups(live, folder=folder)]
    assert {"id", "name", "created", "label", "schema_version", "verified"} <= set(data)
    assert data["id"] == backup.id and data["verified"] is True and data["label"] == "v2.1"
    assert dt.datetime.fromisoformat(data["created"]).tzinfo is not None
    assert ("path" in data) == (backend_kind == "xlsx")
    json.dumps(data)
    assert B.find(live, data["id"], folder=folder).name == data["name"]


@pytest.mark.slow
@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_xlsx_restore_killed_at_random_moments_can_run_again(live):
    backup = B.create(live)
    content = backup_content(live, backup)
    change_everything(live)
    changed = fingerprints(live.read())
    script = ("import spoolsheet.backup as B; from spoolsheet.workbook import Workbook, XlsxBackend; "
              f"B.restore(Workbook(XlsxBackend({live.id!r})), {backup.id!r})")
    rng = random.Random()
    for delay in (0.3, 0.7, 1.1):
        proc = subprocess.Popen([sys.executable, "-c", script])
        time.sleep(delay + rng.uniform(0, 0.3))
        proc.kill()
        proc.wait()
        state = Workbook(XlsxBackend(live.id)).read()  # whole: before or after, never half
        assert (fingerprints(state) == changed
                or sheet_fingerprint(state[OPERACIONES]) == sheet_fingerprint(content[OPERACIONES]))
    B.restore(live, backup.id)
    after = live.read()
    head = Sheet(content[METADATA].info, after[METADATA].rows[:len(content[METADATA].rows)])
    assert differences(content[METADATA], head) == []
    assert {t: sheet_fingerprint(s) for t, s in after.items() if t != METADATA} == {
        t: sheet_fingerprint(s) for t, s in content.items() if t != METADATA}
    assert not list(Path(live.id).parent.glob(".*.restore.*"))
