"""What the backend contract promises about local notes (``sidecar``), on both backends."""

from __future__ import annotations

import openpyxl

from spoolsheet.migrations.lock import acquire, lock_file


def _book(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Operaciones"
    wb.active.append(["TAG_SPOOL"])
    path = tmp_path / "source" / "Kronos.xlsx"
    path.parent.mkdir()
    wb.save(path)
    return path


def test_a_sidecar_is_a_hidden_file_beside_an_xlsx_and_none_on_google(open_copy, tmp_path,
                                                                     backend_kind):
    wb = open_copy(_book(tmp_path))
    note = wb.sidecar("note.json")
    if backend_kind == "google":
        assert note is None  # no local folder; exclusive() is in-process only
    else:
        assert note == tmp_path / ".Kronos.xlsx.note.json"
        assert not note.exists()  # naming a sidecar creates nothing


def test_the_run_lock_takes_the_form_the_contract_allows(open_copy, tmp_path, backend_kind):
    wb = open_copy(_book(tmp_path))
    lock = acquire(wb, wb.read(), actor="tester", purpose="test")
    try:
        lock.confirm(wb.read())
        path = lock_file(wb)
        if backend_kind == "google":
            assert path is None and lock.final_write
        else:
            assert path is not None and lock.token in path.read_text("utf-8")
            assert sorted(p.name for p in tmp_path.iterdir()) == [
                ".Kronos.xlsx.lock", ".Kronos.xlsx.migration-lock.json", "Kronos.xlsx", "source"]
    finally:
        lock.close()
    if path is not None:
        assert not path.exists()
