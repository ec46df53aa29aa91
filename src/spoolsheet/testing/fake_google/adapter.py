"""The fake as a requests transport: mount it on a Session, no sockets involved.

Only the URL path matters, so the adapter answers under any base it is mounted on
(``http://fake-google.test``) as well as on the real hosts (``https://sheets.googleapis.com``,
``https://www.googleapis.com``, ``https://oauth2.googleapis.com``).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .messages import ApiRequest

if TYPE_CHECKING:
    from .core import FakeGoogle

IN_PROCESS_BASE = "http://fake-google.test"  # the conventional base to mount the adapter on
REAL_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com", "https://oauth2.googleapis.com")


def _read_timeout(timeout: Any) -> float | None:
    return timeout[1] if isinstance(timeout, tuple) else timeout


def _reset(request: requests.PreparedRequest) -> requests.exceptions.ConnectionError:
    """What requests raises when the server drops the connection with RST."""
    return requests.exceptions.ConnectionError(
        ConnectionResetError(104, "Connection reset by peer"), request=request
    )


class FakeAdapter(BaseAdapter):
    """One request in, one response out, answered by a FakeGoogle in this process.

    Faults behave as on the wire: "reset" raises ConnectionError; "hang" (and a latency) longer
    than the request's read timeout raises ReadTimeout at once instead of sleeping; either way
    the request is not applied. "lost-reply" applies it, then raises ConnectionError.
    """

    def __init__(self, fake: FakeGoogle):
        super().__init__()
        self.fake = fake

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        split = urlsplit(request.url or "")
        body = request.body or b""
        if not isinstance(body, (bytes, str)):  # a streamed body: read as a transport sends it
            body = b"".join(cast(Iterable[bytes], body))
        api_request = ApiRequest(
            (request.method or "GET").upper(),
            split.path,
            parse_qs(split.query, keep_blank_values=True),
            body.encode() if isinstance(body, str) else bytes(body),
            {name.lower(): value if isinstance(value, str) else value.decode("latin-1")
             for name, value in request.headers.items()},
        )
        exchange = self.fake.begin(api_request)
        if exchange.fault == "reset":
            exchange.drop()
            raise _reset(request)
        delay = self.fake.latency + (self.fake.hang_seconds if exchange.fault == "hang" else 0.0)
        read_timeout = _read_timeout(timeout)
        if read_timeout is not None and delay > read_timeout:
            exchange.drop()
            raise requests.exceptions.ReadTimeout(
                f"fake-google: no answer within {read_timeout} s", request=request
            )
        if delay:
            time.sleep(delay)
        reply = exchange.respond()
        if exchange.lost:
            raise _reset(request)
        response = requests.Response()
        response.status_code = reply.status
        response.reason = HTTPStatus(reply.status).phrase
        response.headers = CaseInsensitiveDict({"Content-Type": reply.content_type})
        response.raw = io.BytesIO(reply.content())
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        response.connection = self  # type: ignore[assignment]  # requests types it as HTTPAdapter
        return response

    def close(self) -> None:
        """Nothing to release: no sockets, no pools."""

    def mount_on(self, session: requests.Session, *bases: str) -> requests.Session:
        """Mount on ``bases`` (default: the real Google hosts) and return the session."""
        for base in bases or REAL_HOSTS:
            session.mount(base, self)
        return session
