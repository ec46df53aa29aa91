"""Two first backups at once on Google: both read "no last-backup note", both write it under its
fixed id (``spoolsheet.last_backup``). Neither may fail, and the note must name the newer."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from spoolsheet import backup, migrations
from spoolsheet.audit import LAST_BACKUP_NOTE
from spoolsheet.progress import Step
from spoolsheet.testing import open_fake

EARLY = dt.datetime(2026, 12, 3, 12, 0, 0, tzinfo=dt.UTC)
LATE = EARLY + dt.timedelta(seconds=30)


@pytest.mark.parametrize("backend_kind", ["google"])
@pytest.mark.parametrize("order", ["newer-lands-first", "newer-lands-last"])
def test_two_first_backups_at_once_both_land_and_the_note_names_the_newer(
        live, folder, fake_google, order):
    other = open_fake(fake_google, "live")
    assert live.note(LAST_BACKUP_NOTE) is None and other.note(LAST_BACKUP_NOTE) is None
    first_now, second_now = (LATE, EARLY) if order == "newer-lands-first" else (EARLY, LATE)
    made = {}

    def meanwhile(step: Step) -> None:  # between the second's read and its write
        if step.phase.startswith("copying") and "first" not in made:
            made["first"] = backup.create(other, folder=folder, now=first_now)

    made["second"] = backup.create(live, folder=folder, now=second_now, progress=meanwhile)
    newer = made["first" if order == "newer-lands-first" else "second"]
    fresh = open_fake(fake_google, "live")
    note = json.loads(fresh.note(LAST_BACKUP_NOTE) or "{}")
    assert note.get("backup_id") == newer.id, note
    assert migrations.status(fresh).last_backup.id == newer.id
    listed = {b.id for b in backup.list_backups(fresh, folder=folder)}
    assert {made["first"].id, made["second"].id} <= listed
