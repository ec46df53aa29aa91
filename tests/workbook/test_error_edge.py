"""Errors of the layers below are mapped once, at the Google backend's edge (httpx's habit).

Every exception class that ``requests`` and ``google.auth`` define is raised from a real
transport under the real backend, and must come out as one of spoolsheet's errors; the module
lists are read at run time, so a class added by a later release is covered too. The rest runs
the real command line: bad endpoints, a 200 answer that is not JSON, bad values in the
environment, and a service-account key put where it does not belong, with and without ``-v``.
"""

from __future__ import annotations

import inspect
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import google.auth.exceptions
import pytest
import requests
import requests.exceptions
from requests.adapters import BaseAdapter

from spoolsheet.errors import (
    BackendError,
    ConfigurationError,
    SpoolsheetError,
    TransientBackendError,
)
from spoolsheet.settings import Settings
from spoolsheet.testing import IN_PROCESS_BASE, fake_settings
from spoolsheet.workbook import ChangeSet, GoogleBackend, open_workbook
from spoolsheet.workbook.retry import FAST_RETRY


def exception_classes(module) -> list[type[Exception]]:
    """Every exception (not warning) class defined in ``module``."""
    return [c for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, Exception) and not issubclass(c, Warning) and c.__module__ == module.__name__]


REQUESTS_ERRORS = exception_classes(requests.exceptions)
AUTH_ERRORS = exception_classes(google.auth.exceptions)


def test_the_lists_are_read_from_the_modules():
    names = {c.__name__ for c in REQUESTS_ERRORS}
    assert {"MissingSchema", "InvalidURL", "JSONDecodeError", "ConnectionError", "ReadTimeout",
            "ChunkedEncodingError", "SSLError"} <= names
    assert "RequestsWarning" not in names and len(REQUESTS_ERRORS) >= 20
    assert {"TransportError", "RefreshError", "DefaultCredentialsError"} <= {c.__name__ for c in AUTH_ERRORS}


def instance(cls: type[Exception]) -> Exception:
    """An instance of ``cls`` with a message, whatever its constructor wants."""
    for args in (("boom from below",), ("boom from below", "<html>", 0), ()):
        try:
            return cls(*args)
        except TypeError:
            continue
    raise AssertionError(f"cannot build a {cls.__name__}")


class RaisingTransport(BaseAdapter):
    """A requests transport whose every send raises the given exception (the layer below)."""

    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc
        self.sent = 0

    def send(self, request, **kwargs):
        self.sent += 1
        raise self.exc

    def close(self) -> None:
        pass


def backend_over(exc: Exception) -> tuple[GoogleBackend, RaisingTransport]:
    transport = RaisingTransport(exc)
    session = requests.Session()
    session.mount(IN_PROCESS_BASE + "/", transport)
    return GoogleBackend("kronos", session=session, endpoint=IN_PROCESS_BASE, retry=FAST_RETRY), transport


@pytest.mark.parametrize("cls", REQUESTS_ERRORS + AUTH_ERRORS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_error_below_is_mapped_on_reads_and_writes(cls):
    exc = instance(cls)
    backend, transport = backend_over(exc)
    with pytest.raises(SpoolsheetError) as read_err:
        backend.read()
    assert transport.sent >= 1
    # the write is refused from the start: the sheet list is read first
    backend._infos = {}
    with pytest.raises(SpoolsheetError) as write_err:
        backend.apply(ChangeSet().add_sheet("Nueva", rows=2, cols=2))
    for err in (read_err.value, write_err.value):
        assert err.__cause__ is exc, f"{cls.__name__} mapped without keeping its cause"
        line = str(err)
        assert "\n" not in line and line.startswith(("reading", "writing"))
        assert "boom from below" not in line or not issubclass(cls, google.auth.exceptions.GoogleAuthError)


@pytest.mark.parametrize(("endpoint", "cls"), [("localhost:9", "InvalidSchema"),
                                               ("fake-google.test", "MissingSchema"),
                                               ("http://exa mple", "InvalidURL")])
def test_a_malformed_endpoint_given_to_the_library_is_a_configuration_error(endpoint, cls):
    backend = GoogleBackend("kronos", session=requests.Session(), endpoint=endpoint, retry=FAST_RETRY)
    with pytest.raises(ConfigurationError, match="SPOOLSHEET_GOOGLE_ENDPOINT") as err:
        backend.sheets()
    assert type(err.value.__cause__).__name__ == cls


@pytest.mark.parametrize("endpoint", ["localhost:9", "http://[bad", "ftp://example.com", "http://"])
def test_a_malformed_endpoint_in_settings_names_the_variable(endpoint):
    with pytest.raises(ConfigurationError, match=r"SPOOLSHEET_GOOGLE_ENDPOINT: .*http\(s\) URL"):
        Settings(sheet_id="x", google_endpoint=endpoint, workbook=None)


def key_info(token_uri: str) -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "shop", "private_key_id": "k1",
            "private_key": pem, "client_email": "spoolsheet@shop.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": token_uri}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_token_endpoint_is_a_transient_error_naming_it(fake_google):
    fake_google.create_spreadsheet("Kronos", spreadsheet_id="auth")
    info = key_info(f"http://127.0.0.1:{closed_port()}/token")
    settings = fake_settings("auth", credentials_json=json.dumps(info))
    wb = open_workbook(settings, transport=fake_google.adapter(), retry=FAST_RETRY)
    with pytest.raises(TransientBackendError, match=r"OAuth token endpoint .* could not be reached") as err:
        wb.sheet_titles()
    assert isinstance(err.value.__cause__, google.auth.exceptions.TransportError)
    assert fake_google.log == [] and wb.stats.retries >= 1


def test_a_refused_key_is_a_configuration_error(fake_google):
    fake_google.create_spreadsheet("Kronos", spreadsheet_id="auth")
    info = key_info(f"{IN_PROCESS_BASE}/token")
    fake_google.refuse_key(info["client_email"])
    wb = open_workbook(fake_settings("auth", credentials_json=json.dumps(info)),
                       transport=fake_google.adapter(), retry=FAST_RETRY)
    with pytest.raises(ConfigurationError, match="refused the service-account credentials"):
        wb.sheet_titles()


# --- through the command line ---------------------------------------------------------------


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("GOOGLE_", "SPOOLSHEET_", "MIGRATION_", "BACKUP_"))}
    return subprocess.run([sys.executable, "-m", "spoolsheet", *args], cwd=tmp_path, env=clean | env,
                          capture_output=True, text=True, timeout=60)


def assert_one_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture
def html_server() -> Iterator[str]:
    """A real HTTP server that answers everything 200 with an HTML page (a captive portal, a proxy)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html><body>Welcome to the hotel wifi</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_a_200_answer_with_html_is_one_line(tmp_path, html_server):
    result = run_cli(tmp_path, "--sheet-id", "kronos", "migrate", "status",
                     SPOOLSHEET_GOOGLE_ENDPOINT=html_server)
    assert_one_line(result, "not JSON (text/html)", html_server, "SPOOLSHEET_GOOGLE_ENDPOINT")


def test_a_200_answer_with_html_is_a_backend_error(html_server):
    backend = GoogleBackend("kronos", session=requests.Session(), endpoint=html_server, retry=FAST_RETRY)
    with pytest.raises(BackendError, match="not JSON") as err:
        backend.sheets()
    assert isinstance(err.value.__cause__, requests.exceptions.JSONDecodeError)


@pytest.mark.slow
@pytest.mark.parametrize(("variable", "value"), [("SPOOLSHEET_GOOGLE_TIMEOUT", "abc"),
                                                 ("MIGRATION_DRY_RUN", "maybe"),
                                                 ("SPOOLSHEET_GOOGLE_ENDPOINT", "localhost:8765"),
                                                 ("GOOGLE_SHEET_ID", "no such/id")])
def test_a_bad_value_in_the_environment_is_one_line_naming_it(tmp_path, variable, value):
    env = {"GOOGLE_SHEET_ID": "kronos", "SPOOLSHEET_GOOGLE_ENDPOINT": IN_PROCESS_BASE, variable: value}
    assert_one_line(run_cli(tmp_path, "migrate", "status", **env), variable)


@pytest.mark.slow
@pytest.mark.parametrize("variable", ["GOOGLE_APPLICATION_CREDENTIALS", "SPOOLSHEET_GOOGLE_ENDPOINT",
                                      "GOOGLE_SHEET_ID", "SPOOLSHEET_GOOGLE_TIMEOUT",
                                      "SPOOLSHEET_WORKBOOK", "BACKUP_FOLDER_ID"])
@pytest.mark.parametrize("verbose", [[], ["-v"]], ids=["quiet", "verbose"])
def test_a_key_in_the_wrong_variable_is_never_echoed(tmp_path, variable, verbose):
    info = key_info("https://oauth2.googleapis.com/token")
    env = {"GOOGLE_SHEET_ID": "kronos", "SPOOLSHEET_GOOGLE_ENDPOINT": IN_PROCESS_BASE}
    env.pop(variable, None)
    if variable == "SPOOLSHEET_WORKBOOK":
        env.pop("GOOGLE_SHEET_ID")
    env[variable] = json.dumps(info)
    result = run_cli(tmp_path, *verbose, "migrate", "status", **env)
    assert_one_line(result, variable, "not shown")
    secret = info["private_key"].splitlines()[5]
    for output in (result.stderr, result.stdout):
        assert "PRIVATE KEY" not in output and secret not in output and "private_key" not in output
