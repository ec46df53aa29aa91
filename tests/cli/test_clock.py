"""One clock, labelled: people read the shop's zone (SPOOLSHEET_TZ, default America/Santiago)
with the zone shown; machines read UTC with its offset."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoolsheet import backup, migrations
from spoolsheet.cli import app
from spoolsheet.migrations.lock import acquire
from spoolsheet.sample import write_sample
from spoolsheet.values import shop_time, shop_tz
from spoolsheet.workbook import Workbook, XlsxBackend

CLEAN_ENV = {"SPOOLSHEET_WORKBOOK": None, "GOOGLE_SHEET_ID": None, "MIGRATION_DRY_RUN": None,
             "BACKUP_FOLDER_ID": None}
MOMENT = dt.datetime(2026, 7, 1, 15, 4, 5, tzinfo=dt.UTC)


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_sample(tmp_path / "Kronos.xlsx", spools=30, seed=5)


def test_the_default_zone_is_santiago_and_times_show_offset_and_zone(monkeypatch):
    monkeypatch.delenv("SPOOLSHEET_TZ", raising=False)
    assert str(shop_tz()) == "America/Santiago"
    assert shop_time(MOMENT) == "2026-07-01 11:04:05 -04 America/Santiago"  # winter: UTC-4
    monkeypatch.setenv("SPOOLSHEET_TZ", "Asia/Kolkata")
    assert shop_time(MOMENT) == "2026-07-01 20:34:05 +05:30 Asia/Kolkata"


def test_a_bad_zone_is_one_line_naming_the_variable(tiny):
    result = CliRunner().invoke(app, ["--workbook", str(tiny), "migrate", "status"],
                                env={**CLEAN_ENV, "SPOOLSHEET_TZ": "Mars/Olympus"})
    assert result.exit_code != 0 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "SPOOLSHEET_TZ" in line and "unknown time zone 'Mars/Olympus'" in line


def test_backup_names_are_in_the_shop_zone_and_json_is_utc(tiny, monkeypatch):
    monkeypatch.setenv("SPOOLSHEET_TZ", "Asia/Tokyo")
    with Workbook(XlsxBackend(tiny)) as wb:
        made = backup.create(wb, now=MOMENT)
    assert made.name.endswith("_backup_20260702_000405")  # 15:04:05 UTC is 00:04:05 in Tokyo
    assert made.to_json()["created"] == "2026-07-01T15:04:05+00:00"


def test_last_backup_agrees_with_the_backups_own_name_and_shows_the_zone(tiny, monkeypatch):
    monkeypatch.setenv("SPOOLSHEET_TZ", "America/Santiago")
    with Workbook(XlsxBackend(tiny)) as wb:
        report = migrations.up(wb, backups=backup, force=True)
        status = migrations.status(wb)
    assert report.backup_id and status.last_backup
    stamp = re.search(r"_backup_(\d{8})_(\d{6})$", report.backup_id)
    assert stamp is not None
    day, clock = stamp[1], stamp[2]
    shown = f"{day[:4]}-{day[4:6]}-{day[6:]} {clock[:2]}:{clock[2:4]}:{clock[4:]}"
    line = status.last_backup.describe()
    assert line.startswith(report.backup_id)
    assert f"created {shown} " in line and "America/Santiago" in line
    machine = status.as_dict()["last_backup"]
    assert machine["id"] == report.backup_id and machine["name"] == report.backup_id
    created = dt.datetime.fromisoformat(machine["created"])
    assert created.utcoffset() == dt.timedelta(0) and machine["created"].endswith("+00:00")


def test_lock_expiry_is_read_in_shop_time_with_its_zone_and_utc(tiny, monkeypatch):
    monkeypatch.setenv("SPOOLSHEET_TZ", "UTC")
    with Workbook(XlsxBackend(tiny)) as wb:
        lock = acquire(wb, wb.read(), actor="ana", purpose="migrate up", ttl=600)
        try:
            held = migrations.status(wb).lock
        finally:
            lock.close()
    assert held is not None and held.expires.endswith("+00:00")
    assert re.search(r"expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00 UTC \(\d{4}-\d\d-\d\dT\S+Z\)",
                     held.describe()), held


def test_json_times_are_utc_with_offset(tiny):
    result = CliRunner().invoke(app, ["--workbook", str(tiny), "backup", "create", "--json"],
                                env={**CLEAN_ENV, "SPOOLSHEET_TZ": "Asia/Tokyo"})
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)["backup"]["created"]
    assert created.endswith("+00:00") and dt.datetime.fromisoformat(created).tzinfo is not None


def test_the_ledgers_times_in_status_json_are_utc_with_offset(tiny):
    env = {**CLEAN_ENV, "SPOOLSHEET_TZ": "Asia/Tokyo"}
    assert CliRunner().invoke(app, ["--workbook", str(tiny), "migrate", "up", "--force"],
                              env=env).exit_code == 0
    result = CliRunner().invoke(app, ["--workbook", str(tiny), "migrate", "status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)["history"]
    applied = dt.datetime.fromisoformat(entry["applied_at"])  # the sheet holds Tokyo time, no zone
    assert entry["applied_at"].endswith("+00:00")
    assert abs(dt.datetime.now(dt.UTC) - applied) < dt.timedelta(minutes=5)


def test_an_older_backup_event_without_its_creation_time_says_logged_not_created(tiny, monkeypatch):
    from spoolsheet.audit import Event, log_event
    from spoolsheet.workbook import ChangeSet

    monkeypatch.setenv("SPOOLSHEET_TZ", "America/Santiago")
    with Workbook(XlsxBackend(tiny)) as wb:
        event = Event("BACKUP_CREATED", metadata={"backup_id": "old-1", "backup_name": "Kronos_old"},
                      timestamp=dt.datetime(2026, 7, 1, 11, 4, 5))  # shop time, as sheets hold it
        wb.apply(log_event(ChangeSet(), event))
        last = migrations.status(wb).last_backup
    assert last is not None and not last.exact
    assert last.created == "2026-07-01T15:04:05+00:00"  # 11:04:05 -04 in Santiago's winter
    assert last.describe().startswith("Kronos_old (id old-1, logged 2026-07-01 11:04:05 -04")
