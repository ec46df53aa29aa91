"""The writes spoolsheet makes that no recording covers, held to Google's API reference.

What each answers is written down in docs/fake_google.md ("Writes spoolsheet makes"):
``updateCells`` with values, ``appendCells``, ``repeatCell`` formats read back with their
``*Style`` twins, and Drive ``files.update`` (PATCH) with appProperties and their limits.
"""

from __future__ import annotations

import pytest

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE = "https://www.googleapis.com/drive/v3/files"


@pytest.fixture
def sid(fake) -> str:
    return fake.create_spreadsheet("Kronos", spreadsheet_id="kronos")


def batch(session, sid, *requests, **extra):
    return session.post(f"{SHEETS}/{sid}:batchUpdate", json={"requests": list(requests), **extra})


def cells(session, sid, a1, fields="sheets.data.rowData.values(userEnteredValue,userEnteredFormat)"):
    got = session.get(f"{SHEETS}/{sid}", params={"ranges": a1, "fields": fields}).json()
    return [[v for v in row.get("values", [])] for row in got["sheets"][0]["data"][0].get("rowData", [])]


def test_update_cells_with_values_answers_an_empty_reply_per_request(fake, session, sid):
    rows = [
        {
            "values": [
                {"userEnteredValue": {"stringValue": "MK-1"}},
                {"userEnteredValue": {"numberValue": 12.5}},
                {"userEnteredValue": {"boolValue": True}},
                {"userEnteredValue": {"formulaValue": "=B1*2"}},
            ]
        }
    ]
    answer = batch(
        session,
        sid,
        {
            "updateCells": {
                "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 0},
                "rows": rows,
                "fields": "userEnteredValue",
            }
        },
    )
    assert answer.status_code == 200
    assert answer.json() == {"spreadsheetId": sid, "replies": [{}]}
    assert fake.values(sid, "Sheet1") == [["MK-1", 12.5, True, "=B1*2"]]
    got = session.get(
        f"{SHEETS}/{sid}/values/Sheet1!A1:D1", params={"valueRenderOption": "UNFORMATTED_VALUE"}
    ).json()
    assert got["values"] == [["MK-1", 12.5, True, 25]]


def test_update_cells_needs_a_mask_and_fits_the_grid(fake, session, sid):
    row = {"values": [{"userEnteredValue": {"stringValue": "x"}}]}
    no_mask = batch(session, sid, {"updateCells": {"start": {"sheetId": 0}, "rows": [row]}})
    assert no_mask.status_code == 400 and "fields" in no_mask.json()["error"]["message"]
    outside = batch(
        session,
        sid,
        {
            "updateCells": {
                "start": {"sheetId": 0, "rowIndex": 1000},
                "rows": [row],
                "fields": "userEnteredValue",
            }
        },
    )
    assert outside.status_code == 400 and "exceeds grid limits" in outside.json()["error"]["message"]
    assert fake.values(sid, "Sheet1") == []


def test_include_spreadsheet_in_response_gives_the_updated_spreadsheet(session, sid):
    row = {"values": [{"userEnteredValue": {"stringValue": "x"}}]}
    answer = batch(
        session,
        sid,
        {"updateCells": {"start": {"sheetId": 0}, "rows": [row], "fields": "userEnteredValue"}},
        includeSpreadsheetInResponse=True,
        responseIncludeGridData=False,
    ).json()
    assert answer["replies"] == [{}]
    updated = answer["updatedSpreadsheet"]
    assert updated["spreadsheetId"] == sid
    assert updated["sheets"][0]["properties"]["title"] == "Sheet1"
    assert "data" not in updated["sheets"][0]


def test_append_cells_goes_after_the_last_row_with_data_and_grows_the_grid(fake, session, sid):
    batch(
        session,
        sid,
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": {"rowCount": 3, "columnCount": 2}},
                "fields": "gridProperties(rowCount,columnCount)",
            }
        },
    )
    session.put(
        f"{SHEETS}/{sid}/values/Sheet1!A1:B2",
        params={"valueInputOption": "RAW"},
        json={"values": [["id", "evento"], ["1", "TOMAR"]]},
    )
    rows = [
        {
            "values": [
                {"userEnteredValue": {"stringValue": str(n)}},
                {"userEnteredValue": {"stringValue": "PAUSAR"}},
            ]
        }
        for n in (2, 3, 4)
    ]
    answer = batch(session, sid, {"appendCells": {"sheetId": 0, "rows": rows, "fields": "userEnteredValue"}})
    assert answer.json() == {"spreadsheetId": sid, "replies": [{}]}
    assert fake.values(sid, "Sheet1")[2:] == [["2", "PAUSAR"], ["3", "PAUSAR"], ["4", "PAUSAR"]]
    assert fake.grid(sid, "Sheet1") == (5, 2)


def repeat_cell(session, sid, rows, fmt, fields):
    """One repeatCell of ``fmt`` over A1:A{rows}; the batchUpdate's answer."""
    box = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": rows, "startColumnIndex": 0, "endColumnIndex": 1}
    request = {"repeatCell": {"range": box, "cell": {"userEnteredFormat": fmt}, "fields": fields}}
    return batch(session, sid, request)


def test_repeat_cell_formats_read_back_with_their_style_twins(session, sid):
    fmt = {
        "backgroundColor": {"green": 1, "blue": 1},
        "textFormat": {"foregroundColor": {"red": 1}, "bold": True},
        "borders": {"top": {"style": "SOLID", "color": {"blue": 0.5}}},
    }
    answer = repeat_cell(session, sid, 2, fmt, "userEnteredFormat(backgroundColor,textFormat,borders)")
    assert answer.json()["replies"] == [{}]
    got = cells(session, sid, "Sheet1!A1:A2")
    assert len(got) == 2
    entered = got[1][0]["userEnteredFormat"]
    assert entered["backgroundColorStyle"] == {"rgbColor": {"green": 1, "blue": 1}}
    assert entered["textFormat"]["foregroundColorStyle"] == {"rgbColor": {"red": 1}}
    assert entered["borders"]["top"]["color"] == {"blue": pytest.approx(0.49803922)}  # 8 bits a channel
    assert entered["borders"]["top"]["colorStyle"] == {"rgbColor": entered["borders"]["top"]["color"]}


def test_a_style_written_alone_gets_its_plain_twin_and_wins_over_a_stale_one(session, sid):
    def paint(fmt, fields):
        repeat_cell(session, sid, 1, fmt, fields)
        return cells(session, sid, "Sheet1!A1")[0][0]["userEnteredFormat"]

    first = paint({"backgroundColor": {"red": 1}, "horizontalAlignment": "CENTER"},
                  "userEnteredFormat(backgroundColor,horizontalAlignment)")
    assert first["backgroundColorStyle"] == {"rgbColor": {"red": 1}}
    second = paint({"backgroundColorStyle": {"rgbColor": {"green": 1}}},
                   "userEnteredFormat.backgroundColorStyle")
    assert second == {
        "backgroundColor": {"green": 1},
        "backgroundColorStyle": {"rgbColor": {"green": 1}},
        "horizontalAlignment": "CENTER",
    }


# --- Drive files.update (PATCH) --------------------------------------------------------------


def patch(session, file_id, body, **params):
    return session.patch(f"{DRIVE}/{file_id}", json=body, params=params)


def test_patch_answers_the_file_with_drive_default_fields(session, sid):
    answer = patch(session, sid, {"appProperties": {"spoolsheet_verified": "yes"}})
    assert answer.status_code == 200
    assert answer.json() == {
        "kind": "drive#file",
        "id": sid,
        "name": "Kronos",
        "mimeType": "application/vnd.google-apps.spreadsheet",
    }
    asked = patch(session, sid, {"appProperties": {"n": "1"}}, fields="id,appProperties").json()
    assert asked == {"id": sid, "appProperties": {"spoolsheet_verified": "yes", "n": "1"}}
    removed = patch(session, sid, {"appProperties": {"n": None}}, fields="appProperties").json()
    assert removed == {"appProperties": {"spoolsheet_verified": "yes"}}


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("k" * 60, "v" * 64, True),
        ("k" * 60, "v" * 65, False),
        ("nota", "ñ" * 60, True),
        ("nota", "ñ" * 61, False),
    ],
)
def test_a_property_is_at_most_124_bytes_of_utf8_key_and_value(session, sid, key, value, ok):
    answer = patch(
        session, sid, {"name": "renamed", "appProperties": {key: value}}, fields="name,appProperties"
    )
    if ok:
        assert answer.status_code == 200 and answer.json()["appProperties"] == {key: value}
        return
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["errors"][0]["reason"] == "propertyLengthLimitExceeded"
    assert error["message"] == (
        "Properties and app properties are limited to 124 bytes in UTF-8 encoding, "
        "counting both the key and the value."
    )
    after = session.get(f"{DRIVE}/{sid}", params={"fields": "name,appProperties"}).json()
    assert after == {"name": "Kronos"}, "a refused PATCH changes nothing, the name included"


@pytest.mark.parametrize("kind", ["appProperties", "properties"])
def test_at_most_30_properties_of_each_kind(session, sid, kind):
    assert patch(session, sid, {kind: {f"k{n}": "v" for n in range(29)}}).status_code == 200
    assert patch(session, sid, {kind: {"k29": "v"}}).status_code == 200
    over = patch(session, sid, {kind: {"k30": "v"}})
    assert (
        over.status_code == 403
        and over.json()["error"]["errors"][0]["reason"] == "propertyCountLimitExceeded"
    )
    swap = patch(session, sid, {kind: {"k0": None, "k30": "v"}}, fields=kind)
    assert swap.status_code == 200 and len(swap.json()[kind]) == 30


def test_a_copy_or_create_over_the_limits_creates_nothing(fake, session, sid):
    files_before = len(fake.store.files)
    too_long = {"name": "Kronos backup", "appProperties": {"k": "v" * 124}}
    assert session.post(f"{DRIVE}/{sid}/copy", json=too_long).status_code == 403
    too_many = {
        "name": "x",
        "mimeType": "application/vnd.google-apps.folder",
        "appProperties": {f"k{n}": "v" for n in range(31)},
    }
    assert session.post(DRIVE, json=too_many).status_code == 403
    assert len(fake.store.files) == files_before
