"""The loopback server: real sockets, real timeouts, resets, the OAuth token endpoint, the CLI."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from spoolsheet.testing.fake_google import IN_PROCESS_BASE

pytestmark = pytest.mark.slow


@pytest.fixture
def sid(fake) -> str:
    return fake.create_spreadsheet("Kronos")


@pytest.fixture
def http():
    with requests.Session() as s:
        yield s


def write(http, server, sid, value="x", **kwargs):
    url = f"{server.base_url}/v4/spreadsheets/{sid}/values/A1"
    return http.put(url, params={"valueInputOption": "RAW"}, json={"values": [[value]]}, **kwargs)


def test_serves_sheets_and_drive_over_loopback(fake, server, http, sid):
    assert server.base_url.startswith("http://127.0.0.1:")
    assert write(http, server, sid, "hola").json()["updatedRange"] == "Sheet1!A1"
    got = http.get(f"{server.base_url}/v4/spreadsheets/{sid}/values/Sheet1").json()
    assert got == {"range": "Sheet1!A1:Z1000", "majorDimension": "ROWS", "values": [["hola"]]}
    files = http.get(f"{server.base_url}/drive/v3/files", params={"q": "name = 'Kronos'"}).json()["files"]
    assert [f["id"] for f in files] == [sid]


@pytest.mark.parametrize(("fault", "status"), [("500", 500), ("503", 503), ("429", 429)])
def test_status_faults_over_the_wire(fake, server, http, sid, fault, status):
    fake.inject(kind="write", fault=fault)
    assert write(http, server, sid, timeout=5).status_code == status
    assert write(http, server, sid, "ok", timeout=5).status_code == 200
    assert fake.values(sid, "Sheet1") == [["ok"]]


def test_reset_drops_the_connection_unanswered(fake, server, http, sid):
    fake.inject(kind="write", fault="reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        write(http, server, sid, timeout=5)
    assert fake.values(sid, "Sheet1") == []
    assert write(http, server, sid, "after", timeout=5).status_code == 200


def test_lost_reply_applies_then_drops_the_connection_over_the_wire(fake, server, http, sid):
    fake.inject(kind="write", fault="lost-reply")
    with pytest.raises(requests.exceptions.ConnectionError):
        write(http, server, sid, "landed", timeout=5)
    assert fake.values(sid, "Sheet1") == [["landed"]]
    assert fake.log[-1].status is None and fake.log[-1].fault == "lost-reply"
    assert write(http, server, sid, "after", timeout=5).status_code == 200


def test_applied_504_over_the_wire(fake, server, http, sid):
    fake.inject(kind="write", fault="applied-504")
    assert write(http, server, sid, "landed", timeout=5).status_code == 504
    assert fake.values(sid, "Sheet1") == [["landed"]]


def test_hang_longer_than_the_timeout_times_out_and_is_not_applied(fake, server, http, sid):
    fake.hang_seconds = 0.6
    fake.inject(kind="write", fault="hang")
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        write(http, server, sid, "hung", timeout=(2, 0.2))
    assert time.monotonic() - started < 0.5
    time.sleep(0.8)  # the server wakes up, sees the client gone, drops the request
    assert fake.values(sid, "Sheet1") == []
    assert fake.log[-1].status is None and fake.log[-1].fault == "hang"


def test_hang_shorter_than_the_timeout_is_answered(fake, server, http, sid):
    fake.hang_seconds = 0.2
    fake.inject(kind="read", fault="hang")
    started = time.monotonic()
    assert http.get(f"{server.base_url}/v4/spreadsheets/{sid}", timeout=3).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_latency_over_the_wire(fake, server, http, sid):
    fake.latency = 0.3
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{server.base_url}/v4/spreadsheets/{sid}", timeout=(2, 0.1))


def service_account_info(token_uri: str) -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "type": "service_account",
        "project_id": "kronos",
        "private_key_id": "k1",
        "private_key": pem.decode(),
        "client_email": "spoolsheet@kronos.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }


def test_google_auth_service_account_gets_a_token(fake, server, sid):
    info = service_account_info(f"{server.base_url}/token")
    scopes = ["https://www.googleapis.com/auth/spreadsheets"]
    credentials = service_account.Credentials.from_service_account_info(info, scopes=scopes)
    with AuthorizedSession(credentials) as authed:
        assert authed.get(f"{server.base_url}/v4/spreadsheets/{sid}").status_code == 200
    assert credentials.token.startswith("fake-access-token-")
    token, read = fake.log[-2:]
    assert (token.kind, token.status) == ("token", 200)
    assert (read.kind, read.user) == ("read", "spoolsheet@kronos.iam.gserviceaccount.com")


def test_cli_serve_loads_xlsx_and_prints_the_base_url_first(tmp_path):
    import openpyxl

    book = tmp_path / "Kronos.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Operaciones"
    workbook.active.append(["TAG_SPOOL / CODIGO_BARRA", "Peso_Kg"])
    workbook.active.append(["MK-1", 12.5])
    workbook.save(book)
    cmd = [
        sys.executable,
        "-m",
        "spoolsheet.testing.fake_google",
        "serve",
        "--port",
        "0",
        "--load",
        str(book),
        "--id",
        "demo",
    ]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        with requests.Session() as http:
            got = http.get(f"{base_url}/v4/spreadsheets/demo/values/Operaciones", timeout=10).json()
            state = http.get(f"{base_url}/_fake/spreadsheets/demo/sheets/Operaciones", timeout=10).json()
        assert got["values"] == [["TAG_SPOOL / CODIGO_BARRA", "Peso_Kg"], ["MK-1", "12.5"]]
        assert state["grid"] == [2, 2]
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        process.stdout.close()


def test_cli_usage_errors_exit_2(capsys):
    from spoolsheet.testing.fake_google.cli import main

    assert main(["serve", "--load", "x.xlsx"]) == 2
    assert main(["replay", "/nonexistent"]) == 2
    assert "error" in capsys.readouterr().err


def test_a_request_body_over_10_mb_is_refused_over_the_wire_too(fake, server, http, sid):
    url = f"{server.base_url}/v4/spreadsheets/{sid}:batchUpdate"
    grow = b'{"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 1}}]}'
    over = http.post(
        url, data=grow + b" " * (10_485_761 - len(grow)), headers={"Content-Type": "application/json"}
    )
    assert over.status_code == 400
    assert over.json()["error"]["message"] == "Request payload size exceeds the limit: 10485760 bytes."
    at_limit = http.post(
        url, data=grow + b" " * (10_485_760 - len(grow)), headers={"Content-Type": "application/json"}
    )
    assert at_limit.status_code == 200
    assert fake.grid(sid, "Sheet1") == (1001, 26)


def test_the_log_counts_the_bytes_each_request_sent_and_received(fake, server, http, sid):
    """What byte budgets are asserted from: the body as the client got it, on both transports."""
    write(http, server, sid, "hola")
    over_socket = http.get(f"{server.base_url}/v4/spreadsheets/{sid}/values:batchGet",
                           params={"ranges": ["Sheet1!A1:B2", "Sheet1!A:A"]})
    in_process = requests.Session()
    in_process.mount(IN_PROCESS_BASE, fake.adapter())
    same = in_process.get(f"{IN_PROCESS_BASE}/v4/spreadsheets/{sid}/values:batchGet",
                          params={"ranges": ["Sheet1!A1:B2", "Sheet1!A:A"]})
    put, got, again = fake.log
    assert put.request_bytes == len(b'{"values": [["hola"]]}') and put.response_bytes > 0
    assert got.request_bytes == 0 and got.response_bytes == len(over_socket.content) > 0
    assert again.response_bytes == len(same.content) == len(over_socket.content)
