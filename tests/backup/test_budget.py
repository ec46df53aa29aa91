"""Google request budgets, counted in the fake's own log: the same requests at any row count."""

from __future__ import annotations

import pytest
from backup_helpers import sibling

from spoolsheet import backup as B
from spoolsheet.schema import OPERACIONES
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.workbook import ChangeSet, Workbook


def requests(fake: FakeGoogle, names: dict[str, str]) -> list[tuple[str, str]]:
    """The logged Sheets/Drive requests, file ids replaced by what they are."""
    out = []
    for e in fake.log:
        if e.kind in ("read", "write"):
            path = e.path
            for file_id, name in names.items():
                path = path.replace(file_id, name)
            out.append((e.method, path))
    return out


def create_and_restore(fake: FakeGoogle, live: Workbook, *, restore: bool = True) -> tuple[list, list]:
    folder = fake.create_folder("backups")
    fake.reset_log()
    backup = B.create(live, folder=folder, verify=True)
    assert backup.verified
    created = requests(fake, {live.id: "LIVE", backup.id: "BACKUP"})
    if not restore:
        return created, []
    rows = live.read([OPERACIONES])[OPERACIONES].info.rows
    live.apply(ChangeSet().put(OPERACIONES, 2, 6, "changed").resize(OPERACIONES, rows=rows + 500))
    fake.reset_log()
    safety = B.restore(live, backup.id, folder=folder).safety_backup
    return created, requests(fake, {live.id: "LIVE", backup.id: "BACKUP", safety.id: "SAFETY"})


CREATE_VERIFY = [
    ("GET", "/v4/spreadsheets/LIVE"),  # every sheet, one request
    ("POST", "/drive/v3/files/LIVE/copy"),  # name, folder and manifest in one request
    ("GET", "/v4/spreadsheets/BACKUP"),  # --verify: the copy, every sheet
    ("PATCH", "/drive/v3/files/BACKUP"),  # the verification's result, kept with it
    ("POST", "/v4/spreadsheets/LIVE:batchUpdate"),  # BACKUP_CREATED in Metadata
]
RESTORE = [
    ("GET", "/drive/v3/files/BACKUP"),
    ("GET", "/v4/spreadsheets/BACKUP"),  # the backup: values, formulas and cell formats
    ("GET", "/v4/spreadsheets/LIVE"),  # the safety backup's read, which the write starts from
    ("POST", "/drive/v3/files/LIVE/copy"),  # the safety backup
    ("POST", "/v4/spreadsheets/LIVE:batchUpdate"),  # its BACKUP_CREATED (names the restore)
    ("GET", "/v4/spreadsheets/LIVE"),  # the live cell formats: only those that differ are written
    ("POST", "/v4/spreadsheets/LIVE:batchUpdate"),  # the one atomic write, event included
    ("GET", "/v4/spreadsheets/LIVE"),  # verification: values and cell formats
]


@pytest.mark.parametrize("backend_kind", ["google"])
def test_create_and_restore_make_the_same_requests_at_any_size(open_copy, fake_google, sample_tiny,
                                                              sample_small):
    live = open_copy(sample_tiny)
    tiny = create_and_restore(fake_google, live)
    fake_google.load_xlsx(sample_small, "small")
    assert create_and_restore(fake_google, sibling(live, "small")) == tiny
    assert tiny == (CREATE_VERIFY, RESTORE)
    # Restore's budget: at most 7 besides the safety backup's copy, one atomic write of the
    # restore itself (the other batchUpdate is the safety backup's log line, before it).
    assert len(RESTORE) - 1 <= 7 and sum(1 for r in RESTORE if r[1].endswith(":batchUpdate")) == 2


@pytest.mark.slow
@pytest.mark.parametrize("backend_kind", ["google"])
def test_create_verify_on_the_2500_spool_sample_takes_5_requests(open_copy, fake_google,
                                                                 sample_tiny, sample_2500):
    fake_google.load_xlsx(sample_2500, "big")
    created, _ = create_and_restore(fake_google, sibling(open_copy(sample_tiny), "big"), restore=False)
    assert created == CREATE_VERIFY
