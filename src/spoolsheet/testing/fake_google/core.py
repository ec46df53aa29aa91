"""``FakeGoogle``: one in-memory Google (Sheets v4 + Drive v3 + OAuth token endpoint).

The same object is served in-process (``adapter()``, a requests transport) or over loopback
sockets (``serve()``); both ask it the same two questions per request: ``begin`` (log it, pick
its fault) and ``Exchange.respond`` (quota, then the answer).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .control import control
from .errors import ApiError, bad_request
from .limits import Faults, LogEntry, Quotas, fault_reply
from .messages import ApiRequest, Reply
from .router import route
from .state import FOLDER_MIME, Sheet, Store, new_sheet_properties
from .values import python_value

if TYPE_CHECKING:
    from .adapter import FakeAdapter
    from .server import FakeServer

MAX_REQUEST_BYTES = 10_485_760  # Sheets refuses bigger request bodies (400), before any quota


def classify(req: ApiRequest) -> str:
    """read / write / token / control: what quotas and faults see of a request."""
    if req.path.startswith("/_fake/"):
        return "control"
    if req.path == "/token":
        return "token"
    return "read" if req.method in ("GET", "HEAD") else "write"


@dataclass
class Exchange:
    """One request on its way through the fake. Transports call ``respond`` or ``drop``."""

    fake: FakeGoogle
    request: ApiRequest
    entry: LogEntry

    @property
    def fault(self) -> str | None:
        return self.entry.fault

    @property
    def lost(self) -> bool:
        """The transport must drop the connection after ``respond``: the work is done, the
        answer never arrives ("lost-reply")."""
        return self.entry.fault == "lost-reply"

    def respond(self) -> Reply:
        reply = self.fake._answer(self.request, self.entry)
        if self.entry.fault == "applied-504":  # applied as usual; the answer says it timed out
            reply = fault_reply("applied-504", self.entry.kind)
        reply.body = reply.content()  # encoded once: the transport sends these bytes, the log counts them
        self.entry.status = None if self.lost else reply.status
        self.entry.request_bytes = len(self.request.body)
        self.entry.response_bytes = 0 if self.lost else len(reply.body)
        return reply

    def drop(self) -> None:
        """The connection goes away unanswered; nothing was applied."""
        self.entry.status = None


class FakeGoogle:
    """State and behaviour of the fake Google; see docs/fake_google.md.

    ``clock`` (seconds, default ``time.monotonic``) drives the per-minute quotas; ``latency`` is
    added to every answer by both transports; ``hang_seconds`` is how long a "hang" fault stalls.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        latency: float = 0.0,
        hang_seconds: float = 5.0,
        seed: int = 0,
    ):
        self.store = Store(seed)
        self.faults = Faults()
        self.quotas = Quotas(clock)
        self.latency = latency
        self.hang_seconds = hang_seconds
        self.log: list[LogEntry] = []
        self._lock = threading.RLock()
        self._tokens: dict[str, str] = {}
        self._token_serial = itertools.count(1)
        self._refused: set[str] = set()

    # --- serving -----------------------------------------------------------------------------

    def adapter(self) -> FakeAdapter:
        """A requests transport answering in-process: ``session.mount(base, fake.adapter())``."""
        from .adapter import FakeAdapter

        return FakeAdapter(self)

    def serve(self, port: int = 0, host: str = "127.0.0.1") -> FakeServer:
        """Start a loopback HTTP server in a thread; use as a context manager or call ``close()``."""
        from .server import FakeServer

        return FakeServer(self, host, port)

    def begin(self, req: ApiRequest) -> Exchange:
        """Log a request and decide its fault (for reads and writes only)."""
        kind = classify(req)
        with self._lock:
            fault = self.faults.take(kind) if kind in ("read", "write") else None
            entry = LogEntry(req.method, req.path, kind, self._user(req), fault=fault)
            self.log.append(entry)
        return Exchange(self, req, entry)

    def _answer(self, req: ApiRequest, entry: LogEntry) -> Reply:
        if entry.fault in ("500", "503", "429"):
            return fault_reply(entry.fault, entry.kind)
        if entry.kind == "control":
            return control(self, req)
        if entry.kind == "token":
            return self._token(req)
        if req.path.startswith("/v4/") and len(req.body) > MAX_REQUEST_BYTES:
            return Reply.error(
                bad_request(f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
            )
        with self._lock:
            try:
                self.quotas.admit(entry.kind, entry.user)
            except ApiError as exc:
                return Reply.error(exc)
            return route(self.store, req)

    def _user(self, req: ApiRequest) -> str:
        token = req.token
        return "anonymous" if token is None else self._tokens.get(token, token)

    def _token(self, req: ApiRequest) -> Reply:
        """OAuth2 token endpoint: any JWT assertion gets a token; its ``iss`` becomes the quota user."""
        form = parse_qs(req.body.decode(errors="replace"))
        user = "anonymous"
        assertion = form.get("assertion", [""])[0]
        try:
            payload = assertion.split(".")[1]
            user = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["iss"]
        except (IndexError, ValueError, KeyError, TypeError):
            pass
        if user in self._refused:  # as Google answers a deleted key or a bad signature
            return Reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        token = f"fake-access-token-{next(self._token_serial)}"
        with self._lock:
            self._tokens[token] = user
        return Reply(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    # --- knobs -------------------------------------------------------------------------------

    def refuse_key(self, client_email: str) -> None:
        """From now on the token endpoint refuses this service account's keys (invalid_grant)."""
        with self._lock:
            self._refused.add(client_email)

    @property
    def drive_storage(self) -> bool:
        """False: a service account without Drive storage (files only in shared folders)."""
        return self.store.drive_storage

    @drive_storage.setter
    def drive_storage(self, value: bool) -> None:
        self.store.drive_storage = value

    def inject(self, kind: str = "any", nth: int = 1, fault: str = "503", times: int = 1) -> None:
        """The nth matching request from now (and ``times - 1`` more) meets ``fault``:
        "500", "503" (HTML body), "429", "hang" or "reset" change nothing; "lost-reply" (the
        connection drops after the work) and "applied-504" (DEADLINE_EXCEEDED after the work)
        are applied in full, only the answer is lost."""
        with self._lock:
            self.faults.inject(kind, nth, fault, times)

    def set_quota(self, **limits: int | None) -> None:
        """``read_per_user=``, ``write_per_user=``, ``read_per_project=``, ``write_per_project=``."""
        self.quotas.configure(**limits)

    def count(self, kind: str | None = None, *, method: str | None = None, status: int | None = None) -> int:
        """How many logged requests match (e.g. ``count(kind="write")``)."""
        return sum(
            1
            for e in self.log
            if (kind is None or e.kind == kind)
            and (method is None or e.method == method)
            and (status is None or e.status == status)
        )

    def reset_log(self) -> None:
        with self._lock:
            self.log = []

    # --- state for tests ---------------------------------------------------------------------

    def create_spreadsheet(
        self, title: str, spreadsheet_id: str | None = None, parents: list[str] | None = None
    ) -> str:
        """A new spreadsheet (one "Sheet1", 1000 x 26); returns its id. No storage check."""
        with self._lock:
            return self.store.add_spreadsheet(title, parents or [], spreadsheet_id).id

    def create_folder(self, name: str, shared: bool = True, parents: list[str] | None = None) -> str:
        """A folder; ``shared=True`` means a person owns it, so the service account may store files in it."""
        with self._lock:
            return self.store.add_file(name, FOLDER_MIME, parents or [], shared=shared).id

    def add_sheet(self, spreadsheet_id: str, title: str, rows: int = 1000, cols: int = 26) -> int:
        """Add a tab to a spreadsheet; returns its sheetId."""
        with self._lock:
            work = self.store.spreadsheet(spreadsheet_id).clone()
            sheet_id = self.store.new_sheet_id(work)
            work.sheets.append(Sheet(new_sheet_properties(sheet_id, title, rows, cols)))
            self.store.commit(work)
            return sheet_id

    def load_xlsx(self, path: str | Path, spreadsheet_id: str, title: str | None = None) -> str:
        """Create a spreadsheet from an .xlsx file, every sheet of it; returns its id."""
        from .xlsx import load_xlsx

        with self._lock:
            return load_xlsx(self.store, path, spreadsheet_id, title).id

    def forbid(self, file_id: str) -> None:
        """Make an id exist but belong to someone else: Sheets and Drive answer 403."""
        with self._lock:
            self.store.foreign.add(file_id)

    def spreadsheet_ids(self) -> list[str]:
        return list(self.store.spreadsheets)

    def values(self, spreadsheet_id: str, sheet_title: str) -> list[list[Any]]:
        """User-entered values of a sheet as Python (formulas as text), trailing empties trimmed."""
        sheet = self._sheet(spreadsheet_id, sheet_title)
        rows = [[python_value(cell) for cell in cells] for cells in sheet.grid.rows]
        for row in rows:
            while row and row[-1] is None:
                row.pop()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def grid(self, spreadsheet_id: str, sheet_title: str) -> tuple[int, int]:
        """(rowCount, columnCount) of a sheet."""
        sheet = self._sheet(spreadsheet_id, sheet_title)
        return sheet.row_count, sheet.col_count

    def _sheet(self, spreadsheet_id: str, sheet_title: str) -> Sheet:
        spreadsheet = self.store.spreadsheets.get(spreadsheet_id)
        sheet = spreadsheet.sheet_by_title(sheet_title) if spreadsheet else None
        if sheet is None:
            raise KeyError(f"no sheet {sheet_title!r} in spreadsheet {spreadsheet_id!r}")
        return sheet
