"""Quotas, scheduled faults, latency and the request log, in-process (the adapter)."""

from __future__ import annotations

import json
import time

import gspread
import pytest
import requests

from spoolsheet.testing.fake_google import IN_PROCESS_BASE as BASE

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"


@pytest.fixture
def sid(fake) -> str:
    return fake.create_spreadsheet("Kronos")


def write(session, sid, value="x", **kwargs):
    return session.put(
        f"{SHEETS}/{sid}/values/A1", params={"valueInputOption": "RAW"}, json={"values": [[value]]}, **kwargs
    )


def read(session, sid, **kwargs):
    return session.get(f"{SHEETS}/{sid}/values/A1", **kwargs)


def as_user(token):
    return {"headers": {"Authorization": f"Bearer {token}"}}


def test_write_quota_per_user_with_a_sliding_minute(fake, clock, session, sid):
    fake.set_quota(write_per_user=3)
    assert [write(session, sid).status_code for _ in range(3)] == [200, 200, 200]
    over = write(session, sid)
    assert over.status_code == 429
    assert over.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert over.json()["error"]["message"].startswith("Quota exceeded for quota metric 'Write requests'")
    assert read(session, sid).status_code == 200  # reads are counted separately
    assert write(session, sid, **as_user("someone-else")).status_code == 200  # and per user
    clock.advance(59.9)
    assert write(session, sid).status_code == 429
    clock.advance(0.2)
    assert write(session, sid).status_code == 200


def test_project_quota_spans_users(fake, session, sid):
    fake.set_quota(read_per_project=4)
    codes = [read(session, sid, **as_user(f"user-{n % 2}")).status_code for n in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    assert "per minute per project" in read(session, sid).json()["error"]["message"]


def test_default_quota_is_60_reads_per_user(fake, session, sid):
    assert all(read(session, sid).status_code == 200 for _ in range(60))
    assert read(session, sid).status_code == 429
    assert session.get(f"{BASE}/_fake/log").status_code == 200  # control requests never count


def test_a_rejected_request_changes_nothing(fake, session, sid):
    fake.set_quota(write_per_user=0)
    assert write(session, sid, "new").status_code == 429
    assert fake.values(sid, "Sheet1") == []


@pytest.mark.parametrize(("fault", "status"), [("500", 500), ("503", 503), ("429", 429)])
def test_status_faults_hit_the_nth_matching_request_and_change_nothing(fake, session, sid, fault, status):
    fake.inject(kind="write", nth=2, fault=fault)
    assert read(session, sid).status_code == 200  # not a write: not counted
    assert write(session, sid, "first").status_code == 200
    failed = write(session, sid, "second")
    assert failed.status_code == status
    assert write(session, sid, "third").status_code == 200
    assert fake.values(sid, "Sheet1") == [["third"]]
    assert [(e.kind, e.status, e.fault) for e in fake.log[-3:]] == [
        ("write", 200, None),
        ("write", status, fault),
        ("write", 200, None),
    ]


def test_503_has_an_html_body_and_500_a_json_error(fake, session, sid):
    fake.inject(kind="read", fault="503")
    fake.inject(kind="read", nth=2, fault="500")
    unavailable = read(session, sid)
    assert unavailable.headers["Content-Type"].startswith("text/html")
    assert "Service Unavailable" in unavailable.text
    assert read(session, sid).json()["error"] == {
        "code": 500,
        "message": "Internal error encountered.",
        "status": "INTERNAL",
    }


def test_times_repeats_a_fault(fake, session, sid):
    fake.inject(kind="any", nth=1, fault="503", times=2)
    assert [read(session, sid).status_code for _ in range(3)] == [503, 503, 200]


def test_reset_raises_connection_error_and_changes_nothing(fake, session, sid):
    fake.inject(kind="write", fault="reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        write(session, sid)
    assert fake.values(sid, "Sheet1") == []
    assert fake.log[-1].status is None and fake.log[-1].fault == "reset"


def test_lost_reply_applies_the_request_then_drops_the_connection(fake, session, sid):
    fake.inject(kind="write", nth=2, fault="lost-reply")
    assert write(session, sid, "first").status_code == 200
    with pytest.raises(requests.exceptions.ConnectionError):
        write(session, sid, "landed")
    assert fake.values(sid, "Sheet1") == [["landed"]]
    assert (fake.log[-1].status, fake.log[-1].fault, fake.log[-1].response_bytes) == (None, "lost-reply", 0)
    assert write(session, sid, "after").status_code == 200  # only that one answer was lost


def test_applied_504_applies_the_request_and_answers_deadline_exceeded(fake, session, sid):
    fake.inject(kind="write", fault="applied-504")
    late = write(session, sid, "landed")
    assert late.status_code == 504
    assert late.json()["error"] == {
        "code": 504,
        "message": "Deadline expired before operation could complete.",
        "status": "DEADLINE_EXCEEDED",
    }
    assert fake.values(sid, "Sheet1") == [["landed"]]
    assert (fake.log[-1].status, fake.log[-1].fault) == (504, "applied-504")


def test_a_lost_reply_counts_against_the_quota(fake, session, sid):
    fake.set_quota(write_per_user=1)
    fake.inject(kind="write", fault="lost-reply")
    with pytest.raises(requests.exceptions.ConnectionError):
        write(session, sid)
    assert write(session, sid).status_code == 429  # it was admitted and done: it counted


def test_lost_reply_is_set_over_the_control_endpoint_by_kind_nth_and_times(fake, session, sid):
    scheduled = {"kind": "write", "nth": 2, "fault": "lost-reply", "times": 2}
    assert session.post(f"{BASE}/_fake/faults", json=scheduled).json() == {"pending": 1}
    assert read(session, sid).status_code == 200  # a read: not counted
    outcomes = []
    for n in range(4):
        try:
            outcomes.append(write(session, sid, f"w{n}").status_code)
        except requests.exceptions.ConnectionError:
            outcomes.append("lost")
    assert outcomes == [200, "lost", "lost", 200]
    assert fake.values(sid, "Sheet1") == [["w3"]]


def test_hang_times_out_at_once_in_process(fake, session, sid):
    fake.hang_seconds = 30
    fake.inject(kind="write", fault="hang")
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        write(session, sid, timeout=(1, 2))
    assert time.monotonic() - started < 1
    assert fake.values(sid, "Sheet1") == []


def test_hang_shorter_than_the_timeout_is_answered(fake, session, sid):
    fake.hang_seconds = 0.05
    fake.inject(kind="write", fault="hang")
    assert write(session, sid, "late", timeout=5).status_code == 200
    assert fake.values(sid, "Sheet1") == [["late"]]


def test_gspread_sees_faults_as_api_errors(fake, gc, sid):
    fake.inject(kind="read", fault="429")
    with pytest.raises(gspread.exceptions.APIError) as err:
        gc.open_by_key(sid)
    assert err.value.code == 429


def test_latency_is_added_to_every_answer(fake, session, sid):
    fake.latency = 0.05
    started = time.monotonic()
    read(session, sid)
    assert time.monotonic() - started >= 0.05
    with pytest.raises(requests.exceptions.ReadTimeout):
        read(session, sid, timeout=0.01)


def test_log_and_counts(fake, session, sid):
    fake.reset_log()
    read(session, sid)
    write(session, sid)
    session.post(f"{BASE}/token", data={"assertion": "x"})
    assert fake.count() == 3
    assert (fake.count(kind="read"), fake.count(kind="write"), fake.count(kind="token")) == (1, 1, 1)
    assert fake.count(method="PUT", status=200) == 1
    entry = fake.log[1]
    assert (entry.method, entry.path, entry.kind, entry.user, entry.status) == (
        "PUT",
        f"/v4/spreadsheets/{sid}/values/A1",
        "write",
        "anonymous",
        200,
    )


def test_control_endpoints(fake, session, sid):
    folder = session.post(f"{BASE}/_fake/folders", json={"name": "Backups"}).json()["id"]
    made = session.post(f"{BASE}/_fake/spreadsheets", json={"title": "T", "parents": [folder]}).json()["id"]
    assert set(session.get(f"{BASE}/_fake/spreadsheets").json()["ids"]) == {sid, made}
    assert session.post(f"{BASE}/_fake/faults", json={"kind": "write", "nth": 1, "fault": "500"}).json() == {
        "pending": 1
    }
    assert write(session, sid).status_code == 500
    session.post(f"{BASE}/_fake/quota", json={"write_per_user": 1, "reset": True})
    assert [write(session, sid, "v").status_code for _ in range(2)] == [200, 429]
    assert session.get(f"{BASE}/_fake/spreadsheets/{sid}/sheets/Sheet1").json() == {
        "values": [["v"]],
        "grid": [1000, 26],
    }
    log = session.get(f"{BASE}/_fake/log").json()
    assert log["counts"]["write"] == 3
    assert [e["status"] for e in log["entries"] if e["kind"] == "write"] == [500, 200, 429]
    session.post(f"{BASE}/_fake/reset-log")
    assert session.get(f"{BASE}/_fake/log").json()["entries"] == [
        {
            "method": "GET",
            "path": "/_fake/log",
            "kind": "control",
            "user": "anonymous",
            "status": None,
            "fault": None,
            "request_bytes": 0,  # still being answered: nothing counted yet
            "response_bytes": 0,
        }
    ]
    session.post(f"{BASE}/_fake/latency", json={"seconds": 0.0})
    session.post(f"{BASE}/_fake/drive-storage", json={"enabled": False})
    assert fake.drive_storage is False
    bad = session.post(f"{BASE}/_fake/faults", json={"fault": "explode"})
    assert bad.status_code == 400
    assert session.get(f"{BASE}/_fake/nothing").status_code == 404


PAYLOAD_LIMIT = 10_485_760
PAYLOAD_ERROR = {
    "code": 400,
    "message": "Request payload size exceeds the limit: 10485760 bytes.",
    "status": "INVALID_ARGUMENT",
}
GROW = {"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 1}}]}


def padded(body, size):
    """``body`` as JSON of exactly ``size`` bytes (whitespace after it)."""
    text = json.dumps(body).encode()
    return text + b" " * (size - len(text))


def post_padded(session, url, size):
    return session.post(url, data=padded(GROW, size), headers={"Content-Type": "application/json"})


def test_a_request_body_over_10_mb_is_refused_and_changes_nothing(fake, session, sid):
    url = f"{SHEETS}/{sid}:batchUpdate"
    over = post_padded(session, url, PAYLOAD_LIMIT + 1)
    assert (over.status_code, over.json()) == (400, {"error": PAYLOAD_ERROR})
    assert fake.grid(sid, "Sheet1") == (1000, 26)
    assert post_padded(session, url, PAYLOAD_LIMIT).status_code == 200
    assert fake.grid(sid, "Sheet1") == (1001, 26)
    values = {"values": [["x" * 1000] * 26] * 404}  # 10,5 MB of values in A1:Z404
    big = session.put(f"{SHEETS}/{sid}/values/A1", params={"valueInputOption": "RAW"}, json=values)
    assert (big.status_code, big.json()) == (400, {"error": PAYLOAD_ERROR})
    assert fake.values(sid, "Sheet1") == []
