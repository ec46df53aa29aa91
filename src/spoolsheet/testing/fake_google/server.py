"""The fake on a loopback socket, for what only a wire shows: timeouts, resets, other processes.

A "reset" fault closes the socket without an answer (RST); a "lost-reply" does the same after
applying the request. A "hang" stalls ``hang_seconds``;
if the client gave up meanwhile (closed its socket) the request is dropped unapplied, otherwise
it is answered normally. A client that accepts gzip gets it, chunked, as from Google; with a
``bandwidth`` (bytes a second) every answer arrives that slowly, so a big read takes a while.
"""

from __future__ import annotations

import gzip
import select
import socket
import struct
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .errors import ApiError
from .messages import ApiRequest, Reply

if TYPE_CHECKING:
    from .core import FakeGoogle

PIECE_BYTES = 8 * 2**10  # what a server flushes at a time; a slow answer comes in these


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Google's front ends
    timeout = 30  # idle keep-alive connections do not hold threads forever
    fake: FakeGoogle
    closing: threading.Event
    bandwidth: float | None

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake keeps its own log (``fake.log``)."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = ApiRequest(
            self.command,
            split.path,
            parse_qs(split.query, keep_blank_values=True),
            body,
            {name.lower(): value for name, value in self.headers.items()},
        )
        exchange = self.fake.begin(request)
        if self.fake.latency and self.closing.wait(self.fake.latency):
            exchange.drop()
            return self._reset()
        if exchange.fault == "reset":
            exchange.drop()
            return self._reset()
        if exchange.fault == "hang" and (self.closing.wait(self.fake.hang_seconds) or self._client_gone()):
            exchange.drop()
            self.close_connection = True
            return None
        try:
            reply = exchange.respond()
        except Exception as exc:  # a bug of the fake: say so, loudly, instead of dropping the line
            traceback.print_exc()
            reply = Reply.error(ApiError(500, f"fake-google crashed: {exc!r}"))
            exchange.entry.status = reply.status
        if exchange.lost:
            return self._reset()
        content = reply.content()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        chunked = "gzip" in self.headers.get("Accept-Encoding", "")
        if chunked:  # as Google answers a client that takes gzip: compressed, no length ahead
            content = gzip.compress(content, compresslevel=1)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self._send_body(content, chunked)
        return None

    def _send_body(self, content: bytes, chunked: bool) -> None:
        """The body in pieces, at most ``bandwidth`` bytes a second when the server has one."""
        for start in range(0, len(content), PIECE_BYTES):
            piece = content[start:start + PIECE_BYTES]
            if self.bandwidth and self.closing.wait(len(piece) / self.bandwidth):
                return  # the server is closing: leave the answer cut, as a lost line would
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _reset(self) -> None:
        """Close with RST: linger on, timeout zero."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _client_gone(self) -> bool:
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


class FakeServer:
    """A running loopback server; ``base_url`` is where to point clients. Close it when done."""

    def __init__(self, fake: FakeGoogle, host: str = "127.0.0.1", port: int = 0, *,
                 bandwidth: float | None = None):
        self.fake = fake
        self._closing = threading.Event()
        handler = type("FakeGoogleHandler", (_Handler,),
                       {"fake": fake, "closing": self._closing, "bandwidth": bandwidth})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-google", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        host = self._httpd.server_address[0]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{self.port}"

    def close(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
