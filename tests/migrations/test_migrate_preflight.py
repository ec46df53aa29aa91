"""12.8: a refused migration writes nothing, and a run that fails after its backup names it.

The pre-flight (duplicate headers, no TAG column, no Operaciones) runs on the first read, before
the lock, the backup or any write: with ``--force`` too, on both backends. Checked from outside:
no backup in the store, no BACKUP_CREATED event, the file's bytes (xlsx) or no write request
at all (Google), every cell as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from migration_helpers import changed_cells

from spoolsheet import backup, migrations
from spoolsheet.audit import read_events
from spoolsheet.errors import SchemaError, SpoolsheetError, TransientBackendError
from spoolsheet.schema import METADATA, OPERACIONES
from spoolsheet.workbook import Workbook, XlsxBackend


def _duplicate_header(wb) -> None:
    ops = wb[OPERACIONES]
    ops.cell(row=1, column=10).value = ops.cell(row=1, column=9).value


def _no_tag(wb) -> None:
    ops = wb[OPERACIONES]
    ops.cell(row=1, column=6).value = "Codigo"


def _no_operaciones(wb) -> None:
    wb[OPERACIONES].title = "Operaciones_old"


REFUSALS = {
    "duplicate headers": (_duplicate_header, "duplicate headers"),
    "no TAG column": (_no_tag, "TAG"),
    "no Operaciones": (_no_operaciones, "Operaciones"),
}


def _migrated(source: Path, folder: Path) -> Path:
    """A v3.0 copy of ``source`` (for refusals of ``down``)."""
    folder.mkdir(exist_ok=True)
    target = shutil.copy(source, folder / source.name)
    with Workbook(XlsxBackend(target)) as wb:
        migrations.up(wb, force=True)
    return Path(target)


def _nothing_written(wb, before, fake_google, file_bytes: bytes | None) -> None:
    assert backup.list_backups(wb) == []
    after = wb.read()
    assert sorted(after) == sorted(before) and changed_cells(before, after) == []
    events = read_events(after[METADATA]) if METADATA in after else []
    assert not [e for e in events if e.evento_tipo == "BACKUP_CREATED"]
    if wb.kind == "xlsx":
        assert Path(wb.id).read_bytes() == file_bytes
    else:
        assert fake_google.count("write") == 0, [(e.method, e.path) for e in fake_google.log]


@pytest.mark.parametrize("direction", ["up", "down"])
@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refusal_writes_nothing(drifted, sample_tiny, tmp_path, fake_google, direction, refusal):
    edit, message = REFUSALS[refusal]
    source = sample_tiny if direction == "up" else _migrated(sample_tiny, tmp_path / "v3")
    wb = drifted(source, edit)
    before = wb.read()
    file_bytes = Path(wb.id).read_bytes() if wb.kind == "xlsx" else None
    fake_google.reset_log()
    run = migrations.up if direction == "up" else migrations.down
    with pytest.raises(SchemaError, match=message):
        run(wb, backups=backup, force=True)
    _nothing_written(wb, before, fake_google, file_bytes)


def test_a_refused_dry_run_and_plan_name_the_problem(drifted, sample_tiny):
    wb = drifted(sample_tiny, _duplicate_header)
    with pytest.raises(SchemaError, match=r"duplicate headers: '.*' at I \(9\) and J \(10\)"):
        migrations.plan(wb, backups=backup)
    with pytest.raises(SchemaError, match="duplicate headers"):
        migrations.up(wb, backups=backup, dry_run=True)


def test_a_run_that_fails_after_its_backup_names_it(open_copy, sample_tiny):
    """The failure message says which backup the run made, so the admin knows the way back."""
    wb = open_copy(sample_tiny)

    def network_goes(step) -> None:
        if step.phase.startswith("backup done"):
            raise TransientBackendError("the connection was reset")

    with pytest.raises(SpoolsheetError) as failed:
        migrations.up(wb, backups=backup, force=True, progress=network_goes)
    [made] = backup.list_backups(wb)
    assert str(failed.value) == ("the connection was reset (this run's backup, taken before the "
                                 f"failure: {made.id})")
    assert migrations.current_version(wb) == "v2.1"
    assert migrations.up(wb, backups=backup, force=True).version_after == "v3.0"


def test_a_failed_write_after_the_backup_names_it_on_google(google_copy, sample_tiny, fake_google):
    wb = google_copy(sample_tiny)

    def fail_the_change(step) -> None:
        if step.phase.startswith("backup done"):
            fake_google.inject("write", nth=1, fault="500", times=1)

    with pytest.raises(SpoolsheetError, match=r"this run's backup, taken before the failure: ") as e:
        migrations.up(wb, backups=backup, force=True, progress=fail_the_change)
    assert backup.list_backups(wb)[0].id in str(e.value)
