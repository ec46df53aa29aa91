"""Every library error class maps to a status a client can act on; client input never gives a 500
(FastAPI's TestClient: the unit layer, no sockets)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from fastapi.testclient import TestClient
from served import SECRET, TOKENS, settings

import spoolsheet
from spoolsheet.errors import ConfigurationError, ConflictError, SpoolsheetError, UsageError
from spoolsheet.occupation import NotMigrated, Refusal
from spoolsheet.service import create_app
from spoolsheet.service.auth import Tokens
from spoolsheet.service.errors import STATUS, mapped


def every_error_class() -> list[type[SpoolsheetError]]:
    for info in pkgutil.walk_packages(spoolsheet.__path__, "spoolsheet."):
        if ".testing" not in info.name and not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found, todo = [], [SpoolsheetError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_every_library_error_class_maps_and_client_errors_are_4xx():
    classes = every_error_class()
    assert len(classes) > 25  # the walk found the domains' trees, not just errors.py
    for cls in classes:
        status = mapped(cls.__new__(cls)).status
        assert status in (404, 409, 422, 500, 502, 503), cls
        client_side = (issubclass(cls, UsageError | Refusal | ConflictError)
                       and not issubclass(cls, ConfigurationError | NotMigrated))
        if client_side:
            assert 400 <= status < 500, cls
    assert {m.status for m in STATUS.values()} >= {404, 409, 422, 503}


@pytest.fixture
def client(opener):
    app = create_app(settings(), open_wb=opener, tokens=Tokens.parse(TOKENS, "test tokens"))
    with TestClient(app, headers={"Authorization": f"Bearer {SECRET}"}) as c:
        yield c


@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_no_client_input_gives_a_500(client):
    tag = client.get("/spools", params={"limit": 1}).json()["spools"][0]["tag"]
    garbage = [
        ("POST", f"/spools/{tag}/tomar", {"json": {"worker": [], "op": "ARM"}}),
        ("POST", f"/spools/{tag}/tomar", {"json": {"worker": 10, "op": None}}),
        ("POST", f"/spools/{tag}/tomar", {"json": {"worker": 10**30, "op": "ARM"}}),
        ("POST", f"/spools/{tag}/tomar", {"json": {"worker": "=HYPERLINK(1)", "op": "ARM"}}),
        ("POST", f"/spools/{tag}/tomar", {"json": {"worker": 10, "op": "ARM",
                                                   "expect_version": "x"}}),
        ("POST", f"/spools/{tag}/tomar", {"json": [1, 2]}),
        ("POST", f"/spools/{tag}/pausar", {"json": {"worker": 10},
                                          "headers": {"Idempotency-Key": "x" * 5000}}),
        ("POST", f"/spools/{tag}/pausar", {"json": {"worker": 10},
                                          "headers": {"Idempotency-Key": "\x01bad"}}),
        ("POST", "/spools/%20/pausar", {"json": {"worker": 10}}),
        ("POST", f"/spools/{'T' * 10000}/pausar", {"json": {"worker": 10}}),
        ("GET", "/spools", {"params": {"state": "lost"}}),
        ("GET", "/spools", {"params": {"limit": 0}}),
        ("GET", "/spools", {"params": {"offset": -1}}),
        ("GET", "/spools", {"params": {"op": "PAINT"}}),
        ("GET", "/spools/NOPE/history", {}),
        ("DELETE", f"/spools/{tag}", {}),
        ("POST", f"/spools/{tag}/tomar", {"content": b"\xff\xfe", "headers": {
            "Content-Type": "application/json"}}),
    ]
    for method, url, extra in garbage:
        response = client.request(method, url, **extra)
        assert 400 <= response.status_code < 500, (url, extra, response.text)
        assert response.json()["error"] and "Traceback" not in response.text
