"""Drive v3 semantics: files create/copy/list/update/delete, storage quota, comments, export."""

from __future__ import annotations

import io

import gspread
import openpyxl
import pytest
from gspread.utils import ExportFormat

DRIVE = "https://www.googleapis.com/drive/v3/files"
SHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"


def drive_list(session, **params):
    response = session.get(DRIVE, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_copy_takes_all_sheet_state_and_names_it_copy_of(fake, gc):
    sh = gc.create("Kronos")
    sh.sheet1.update([["a", 1], ["b", 2]], "A1")
    sh.add_worksheet("Param", rows=3, cols=2)
    copy = gc.copy(sh.id)
    assert copy.title == "Copy of Kronos"
    assert [w.title for w in copy.worksheets()] == ["Sheet1", "Param"]
    assert fake.values(copy.id, "Sheet1") == [["a", 1], ["b", 2]]
    assert fake.grid(copy.id, "Param") == (3, 2)
    copy.sheet1.update([["changed"]], "A1")
    assert fake.values(sh.id, "Sheet1")[0] == ["a", 1]


def test_copy_with_name_parents_and_properties(fake, session, gc):
    folder = fake.create_folder("Backups")
    sh = gc.create("Kronos")
    body = {"name": "Kronos backup", "parents": [folder], "appProperties": {"spoolsheet": "backup"}}
    copied = session.post(
        f"{DRIVE}/{sh.id}/copy", json=body, params={"fields": "id,name,parents,appProperties"}
    ).json()
    assert copied["name"] == "Kronos backup"
    assert copied["parents"] == [folder]
    assert copied["appProperties"] == {"spoolsheet": "backup"}
    assert gc.open_by_key(copied["id"]).title == "Kronos backup"


def test_service_account_without_storage_gets_403_outside_shared_folders(fake, gc):
    sh = gc.create("Kronos")
    fake.drive_storage = False
    shared = fake.create_folder("Person's folder", shared=True)
    own = fake.create_folder("SA's own folder", shared=False)
    for attempt in (lambda: gc.copy(sh.id), lambda: gc.copy(sh.id, folder_id=own), lambda: gc.create("x")):
        with pytest.raises(gspread.exceptions.APIError) as err:
            attempt()
        assert err.value.code == 403
        assert err.value.error["message"] == "The user's Drive storage quota has been exceeded."
        assert err.value.error["errors"][0]["reason"] == "storageQuotaExceeded"
    assert gc.copy(sh.id, folder_id=shared, copy_comments=False).title == "Copy of Kronos"
    assert gc.create("inside", folder_id=shared).title == "inside"


def test_list_with_queries_paging_order_and_fields(fake, session):
    folder = fake.create_folder("Backups")
    ids = [fake.create_spreadsheet(f"Kronos backup {n}", parents=[folder]) for n in range(3)]
    fake.create_spreadsheet("Other")
    query = (
        f"'{folder}' in parents and name contains 'backup' and mimeType = '{SHEET_MIME}' and trashed = false"
    )
    first = drive_list(
        session, q=query, pageSize=2, orderBy="createdTime desc", fields="nextPageToken,files(id,name)"
    )
    assert [f["id"] for f in first["files"]] == ids[:0:-1]
    assert set(first["files"][0]) == {"id", "name"}
    second = drive_list(
        session, q=query, pageSize=2, orderBy="createdTime desc", pageToken=first["nextPageToken"]
    )
    assert [f["id"] for f in second["files"]] == [ids[0]]
    assert "nextPageToken" not in second
    assert second["files"][0] == {
        "kind": "drive#file",
        "id": ids[0],
        "name": "Kronos backup 0",
        "mimeType": SHEET_MIME,
    }
    assert drive_list(session, q="name = 'Other'")["files"][0]["name"] == "Other"
    assert drive_list(session, q="name contains 'ackup'")["files"] == []  # word-prefix matching, as Drive
    assert len(drive_list(session, q=f"not mimeType = '{FOLDER_MIME}' or name = 'Backups'")["files"]) == 5
    assert session.get(DRIVE, params={"q": "nonsense ==="}).status_code == 400


def test_gspread_listing_and_open_by_title(fake, gc):
    fake.create_spreadsheet("Kronos")
    fake.create_folder("not a spreadsheet")
    assert [s["name"] for s in gc.list_spreadsheet_files()] == ["Kronos"]
    assert gc.open("Kronos").title == "Kronos"


def test_update_trash_rename_properties_and_parents(fake, session, gc):
    a, b = fake.create_folder("A"), fake.create_folder("B")
    sid = fake.create_spreadsheet("Kronos", parents=[a])
    patch = {"name": "Kronos R05", "trashed": True, "properties": {"kind": "backup", "gone": None}}
    answer = session.patch(
        f"{DRIVE}/{sid}",
        json=patch,
        params={"addParents": b, "removeParents": a, "fields": "name,trashed,parents,properties"},
    ).json()
    assert answer == {"name": "Kronos R05", "trashed": True, "parents": [b], "properties": {"kind": "backup"}}
    assert gc.open_by_key(sid).title == "Kronos R05"
    assert drive_list(session, q="trashed = false and name = 'Kronos R05'")["files"] == []
    assert len(drive_list(session, q="properties has { key='kind' and value='backup' }")["files"]) == 1


def test_delete_is_final_and_takes_folder_contents(fake, session, gc):
    folder = fake.create_folder("Backups")
    sid = fake.create_spreadsheet("Kronos", parents=[folder])
    assert session.delete(f"{DRIVE}/{folder}").status_code == 204
    with pytest.raises(gspread.SpreadsheetNotFound):
        gc.open_by_key(sid)
    missing = session.get(f"{DRIVE}/{sid}")
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == "NOT_FOUND"


def test_get_returns_default_fields_unless_asked(fake, session):
    sid = fake.create_spreadsheet("Kronos")
    assert session.get(f"{DRIVE}/{sid}").json() == {
        "kind": "drive#file",
        "id": sid,
        "name": "Kronos",
        "mimeType": SHEET_MIME,
    }
    full = session.get(f"{DRIVE}/{sid}", params={"fields": "*"}).json()
    assert full["createdTime"].endswith("Z") and full["trashed"] is False


def test_files_create_spreadsheet_and_folder(fake, session):
    folder = session.post(DRIVE, json={"name": "F", "mimeType": FOLDER_MIME}).json()
    made = session.post(DRIVE, json={"name": "S", "mimeType": SHEET_MIME, "parents": [folder["id"]]}).json()
    assert made["id"] in fake.spreadsheet_ids()
    assert fake.grid(made["id"], "Sheet1") == (1000, 26)


def test_someone_elses_file_is_403(fake, gc):
    fake.forbid("private-id")
    with pytest.raises(PermissionError):  # gspread's wrapping of the 403
        gc.open_by_key("private-id")
    with pytest.raises(gspread.exceptions.APIError) as err:
        gc.http_client.fetch_sheet_metadata("private-id")
    assert err.value.code == 403
    assert err.value.error["status"] == "PERMISSION_DENIED"


def test_comments_and_permissions(fake, session, gc):
    sh = gc.create("Kronos")
    created = session.post(
        f"{DRIVE}/{sh.id}/comments", json={"content": "check row 7"}, params={"fields": "id,content"}
    )
    assert created.json()["content"] == "check row 7"
    copy = gc.copy(sh.id, copy_comments=True)
    listed = session.get(f"{DRIVE}/{copy.id}/comments", params={"fields": "comments(content)"}).json()
    assert listed == {"comments": [{"content": "check row 7"}]}
    assert session.get(f"{DRIVE}/{sh.id}/comments").status_code == 400  # fields is required
    assert [p["role"] for p in sh.list_permissions()] == ["owner"]
    sh.share("ana@example.com", perm_type="user", role="writer", notify=False)
    assert [p["role"] for p in sh.list_permissions()] == ["owner", "writer"]


def test_export_csv_and_xlsx(fake, gc):
    sh = gc.create("Kronos")
    sh.sheet1.update([["a", "b,c"], [1, 2.5]], "A1")
    assert sh.export(ExportFormat.CSV) == b'a,"b,c"\n1,2.5'
    workbook = openpyxl.load_workbook(io.BytesIO(sh.export(ExportFormat.EXCEL)))
    assert [[c.value for c in row] for row in workbook["Sheet1"].iter_rows()] == [["a", "b,c"], [1, 2.5]]
    workbook.close()
    with pytest.raises(gspread.exceptions.APIError) as err:
        sh.export(ExportFormat.PDF)
    assert err.value.code == 501
