"""The Google Sheets backend: gspread's HTTP client over google-auth, with our edge around it.

Every request goes through ``GoogleHTTPClient.call``: it points the URL at the configured
endpoint, always sets a timeout, counts the request, retries what ``retry.py`` says to, and turns
every failure into one of our exceptions naming what was being done. Nothing above this module
sees gspread, requests or google-auth errors (tests/workbook/test_error_edge.py pushes every class
of theirs through this edge).

Costs: ``sheets()`` 1 read, once; ``read()`` 1 read for any number of sheets (it also refreshes
the sheet list); ``read_regions()`` 1 read (``values:batchGet``) for any number of ranges;
``apply()`` 1 write (one atomic ``spreadsheets.batchUpdate``); ``split()`` none (it measures
the requests a change becomes, for callers that write one over 10 MB in parts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import google.auth.exceptions
import requests
from gspread.http_client import HTTPClient
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from ..errors import (
    BackendError,
    ConfigurationError,
    RequestTooLarge,
    SheetNotFound,
    UsageError,
    WorkbookAccessDenied,
    WorkbookNotFound,
)
from ..formula_refs import ColumnMove
from ..progress import download, upload
from ..schema import column_letter
from ..settings import shown
from ..values import DATE_DISPLAY_FORMAT, Cell, Formula, datetime_to_serial
from .base import Backend, Region, RequestStats, Sheet, SheetInfo, trim
from .changes import CellBlock, ChangeSet
from .google_store import GoogleStore
from .retry import AmbiguousWriteError, RetryableFailure, RetryPolicy, is_transient_status

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive")
DEFAULT_TIMEOUT = 30.0
MAX_CELLS = 10_000_000
#: Google refuses a request body over 10 MB; keep a margin for the envelope.
MAX_REQUEST_BYTES = 10 * 2**20 - 64 * 2**10
#: Rows per updateCells, so that a large block can be split across batches when allowed.
ROWS_PER_UPDATE = 1000
SHEETS_URL = SPREADSHEETS_API_V4_BASE_URL
#: Bytes per read of an answer's body (requests' own reads are 10 KiB) and per send of a
#: request's: each is a progress step, and a read waits until it has them all, so the count
#: moves on a slow line too.
CHUNK_BYTES = 64 * 2**10
#: batchUpdate requests that leave the same spreadsheet when sent twice (absolute cell values,
#: formats, sheet properties, a note's compare-and-set): a batch of only these may be repeated
#: after its answer was lost. Any other (appendCells, insert/deleteDimension, add/deleteSheet)
#: would apply twice or fail with a 400 that hides that the first try landed.
REPEATABLE_REQUESTS = frozenset({"updateCells", "repeatCell", "updateSheetProperties",
                                 "updateDeveloperMetadata"})
#: What every spreadsheets.get asks for beside its own fields: our notes (a few hundred bytes).
NOTE_FIELDS = "developerMetadata(metadataId,metadataKey,metadataValue)"
#: Failures where the request may or may not have reached Google: retried when safe to repeat.
TRANSIENT_FAILURES = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                      requests.exceptions.ContentDecodingError, requests.exceptions.RetryError)


class GoogleHTTPClient(HTTPClient):
    """gspread's HTTP client with our edge: endpoint, timeout, counting, retries, error mapping."""

    def __init__(self, session: requests.Session, *, endpoint: str | None, timeout: float,
                 retry: RetryPolicy, stats: RequestStats,
                 answered: MutableMapping[str, int] | None = None) -> None:
        super().__init__(auth=None, session=session)  # type: ignore[arg-type]  # the session authorises
        self.set_timeout(timeout)
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.retry = retry
        self.stats = stats
        #: The bytes of the last answer to each GET (by a digest of its URL and parameters):
        #: the estimate of the next one's, whose gzip chunked body comes with no length. A
        #: program may hand in what earlier runs measured (the CLI keeps it in its cache).
        self.answered: MutableMapping[str, int] = {} if answered is None else answered

    def _url(self, url: str) -> str:
        if self.endpoint:
            for host in GOOGLE_HOSTS:
                if url.startswith(host):
                    return self.endpoint + url[len(host):]
        return url

    def request(self, method: str, endpoint: str, params=None, data=None, json=None, files=None,
                headers=None, *, what: str = "", idempotent: bool | None = None):
        """One logical request, retried as the policy allows; returns the ``requests.Response``."""
        method = method.upper()
        kind = "reads" if method == "GET" else "writes"
        safe = method in ("GET", "PUT", "DELETE") if idempotent is None else idempotent
        what = what or f"{method} {endpoint}"
        if json is not None:  # sent as it is counted (``Body``), encoded as requests would
            data, json = Body(json_bytes(json)), None
            headers = {**(headers or {}), "Content-Type": "application/json"}
        same = (hashlib.sha256(f"{endpoint} {sorted((params or {}).items())}".encode())
                .hexdigest()[:24] if method == "GET" else None)  # no id or sheet name kept

        def attempt() -> requests.Response:
            self.stats.count(kind)
            try:
                response = self.session.request(method, self._url(endpoint), params=params,
                                                data=data, json=json, files=files,
                                                headers=headers, timeout=self.timeout,
                                                stream=True)
                try:
                    got = receive(response, self.answered.get(same) if same else None)
                finally:
                    response.close()
                if same and response.ok:  # moved last: kept caches keep the newest
                    self.answered.pop(same, None)
                    self.answered[same] = got
            except (requests.RequestException, google.auth.exceptions.GoogleAuthError) as exc:
                raise self.map_failure(exc, what, safe) from exc
            if response.ok:
                return response
            raise classify(response, what, safe)

        def on_retry(state) -> None:
            self.stats.count("retries")

        return self.retry.retrying(on_retry)(attempt)

    def call(self, method: str, url: str, *, what: str, params: Mapping[str, Any] | None = None,
             body: Any = None, idempotent: bool | None = None) -> Any:
        """``request`` returning the decoded JSON body (None when empty)."""
        response = self.request(method, url, params=params, json=body, what=what,
                                idempotent=idempotent)
        if not response.content:
            return None
        try:
            return response.json()
        except requests.JSONDecodeError as exc:
            kind = response.headers.get("Content-Type") or "no content type"
            raise BackendError(f"{what}: {self._where()} answered HTTP {response.status_code} with a "
                               f"body that is not JSON ({kind}); is it really the Google API?",
                               status=response.status_code) from exc

    def _where(self) -> str:
        """The endpoint for a message: the configured one (named by its variable) or Google."""
        if not self.endpoint:
            return "Google"
        return f"the endpoint {shown(self.endpoint)} (SPOOLSHEET_GOOGLE_ENDPOINT)"

    def map_failure(self, exc: Exception, what: str, safe: bool) -> Exception:
        """A requests or google-auth exception → ours; transient ones go to the retry loop.

        Unknown kinds map to BackendError, so that a class added by a later release cannot
        escape. Auth errors never quote their text: it may carry a key or a token.
        """
        name = type(exc).__name__
        if isinstance(exc, (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                            requests.exceptions.InvalidURL, requests.exceptions.URLRequired)):
            return ConfigurationError(f"{what}: {self._where()} is not a usable http(s) URL ({name})")
        if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)):
            return BackendError(f"{what}: cannot connect to {self._where()} ({name})")
        if isinstance(exc, google.auth.exceptions.TransportError):
            # the token endpoint did not answer; the API request itself was not sent
            return RetryableFailure(f"{what}: the OAuth token endpoint of the service-account key "
                                    f"could not be reached ({name})")
        if isinstance(exc, google.auth.exceptions.GoogleAuthError):
            return ConfigurationError(f"{what}: Google refused the service-account credentials "
                                      f"({name}); check GOOGLE_APPLICATION_CREDENTIALS")
        if isinstance(exc, TRANSIENT_FAILURES):
            failure = f"{what}: no answer from {self._where()} ({name})"
            if safe:
                return RetryableFailure(failure)
            return AmbiguousWriteError(f"{failure}; the write may have been applied")
        return BackendError(f"{what}: the request to {self._where()} failed ({name})")


def receive(response: requests.Response, estimate: int | None = None) -> int:
    """Read the body now, in chunks, telling ``progress.download`` the bytes come so far (of
    Content-Length when Google sends one for an uncompressed body, else of ``estimate``), so
    that a read of tens of MB shows how far it is; returns its size. Here, inside the
    request's edge, a line lost mid-body is retried."""
    length = response.headers.get("Content-Length", "")
    plain = length.isdigit() and "Content-Encoding" not in response.headers
    received = download(int(length) if plain else None, estimate)
    chunks, got = [], 0
    for chunk in response.iter_content(CHUNK_BYTES):
        chunks.append(chunk)
        got += len(chunk)
        if received is not None:
            received(got)
    response._content = b"".join(chunks)  # what ``response.content`` would have read
    return got


def json_bytes(value: Any) -> bytes:
    """A JSON request body as requests encodes one (``pack_requests`` counts the same bytes)."""
    return json.dumps(value, allow_nan=False).encode()


class Body:
    """A request body that requests sends as it iterates: ``CHUNK_BYTES`` at a time, its length
    as Content-Length, telling ``progress.upload`` the bytes handed to the socket. Each send
    iterates it anew (a retry, google-auth's resend after refreshing a token), counted again."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[bytes]:
        sent = upload(len(self.data))
        for at in range(0, len(self.data), CHUNK_BYTES):
            yield self.data[at:at + CHUNK_BYTES]
            if sent is not None:
                sent(min(at + CHUNK_BYTES, len(self.data)))


def classify(response: requests.Response, what: str, safe: bool) -> Exception:
    """A failed response → our exception, by status code (the message is only for people)."""
    status = response.status_code
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.reason or "no message"
    text = f"{what}: HTTP {status}: {message}"
    if status == 429 or (is_transient_status(status) and safe):
        return RetryableFailure(text, status=status)
    if is_transient_status(status):
        return AmbiguousWriteError(f"{text}; the write may have been applied", status=status)
    if status == 404:
        return WorkbookNotFound(text)
    if status in (401, 403):
        return WorkbookAccessDenied(text)
    return BackendError(text, status=status)


def a1_range(region: Region, info: SheetInfo) -> str | None:
    """A region as an A1 range inside the sheet's grid; None when it lies wholly outside it.

    Open ends stay open (``'Operaciones'!F2:F``, ``'Metadata'``) so that a grid grown or shrunk
    by hand since the sheet list was read still parses.
    """
    last_row = min(region.last_row or info.rows, info.rows)
    last_col = min(region.last_col or info.cols, info.cols)
    if region.first_row > last_row or region.first_col > last_col:
        return None
    title = quote_sheet(region.title)
    if region.first_col == 1 and region.last_col is None:
        if region.first_row == 1 and region.last_row is None:
            return title
        if region.last_row is not None:
            return f"{title}!{region.first_row}:{last_row}"
    first = f"{column_letter(region.first_col)}{region.first_row}"
    end = "" if region.last_row is None else str(last_row)
    return f"{title}!{first}:{column_letter(last_col)}{end}"


def open_a1(region: Region) -> str | None:
    """A region as an A1 range without knowing the sheet's grid; None when only the grid's
    size can bound it (rows from N down across every column, columns from N rightwards)."""
    title = quote_sheet(region.title)
    rows = region.first_row == 1 and region.last_row is None
    if region.first_col == 1 and region.last_col is None:
        if rows:
            return title
        return None if region.last_row is None else f"{title}!{region.first_row}:{region.last_row}"
    if region.last_col is None:
        return None
    end = "" if region.last_row is None else str(region.last_row)
    return (f"{title}!{column_letter(region.first_col)}{region.first_row}:"
            f"{column_letter(region.last_col)}{end}")


def note_id(key: str) -> int:
    """The developer metadata id of note ``key``: fixed, so that a write updates it by id."""
    return zlib.crc32(key.encode()) % (2**31 - 2) + 1


#: A grid cell's ErrorType as a cell shows it, which is how ``values:batchGet`` reads errors.
ERROR_CODES = {"NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
               "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A",
               "ERROR": "#ERROR!"}


def _effective(cell: Mapping[str, Any]) -> Cell:
    """A grid cell's effectiveValue, typed as an unformatted ``values:batchGet`` types it
    (an empty cell inside a row is "")."""
    value = cell.get("effectiveValue") or {}
    for key in ("stringValue", "numberValue", "boolValue"):
        if key in value:
            return value[key]
    if "errorValue" in value:
        return ERROR_CODES.get(value["errorValue"].get("type"), "#ERROR!")
    return ""


def quote_sheet(title: str) -> str:
    """A sheet title as an A1 range: ``'Hoja 1'`` quoted, quotes doubled."""
    return "'" + title.replace("'", "''") + "'"


def _user_entered(value: Cell) -> dict[str, Any]:
    """A typed ``userEnteredValue``: text is a stringValue, never parsed into a formula."""
    if value is None or value == "":
        return {}
    if isinstance(value, Formula):
        return {"userEnteredValue": {"formulaValue": str(value)}}
    if isinstance(value, str):
        return {"userEnteredValue": {"stringValue": value}}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, (int, float)):
        return {"userEnteredValue": {"numberValue": value}}
    if isinstance(value, (dt.date, dt.datetime)):
        return {"userEnteredValue": {"numberValue": datetime_to_serial(value)}}
    raise UsageError(f"cannot write a {type(value).__name__} to a cell: {value!r}")


def _read_value(cell: Mapping[str, Any]) -> Cell:
    entered = cell.get("userEnteredValue")
    if not entered:
        return None
    if "formulaValue" in entered:
        return Formula(entered["formulaValue"])
    for key in ("stringValue", "numberValue", "boolValue"):
        if key in entered:
            return entered[key]
    return None


def _info(props: Mapping[str, Any]) -> SheetInfo:
    grid = props.get("gridProperties", {})
    return SheetInfo(props["title"], props["sheetId"], props.get("index", 0),
                     grid.get("rowCount", 0), grid.get("columnCount", 0))


class GoogleBackend(Backend):
    kind = "google"
    max_request_bytes = MAX_REQUEST_BYTES
    _locks: ClassVar[dict[str, threading.RLock]] = {}
    _locks_guard = threading.Lock()

    def __init__(self, spreadsheet_id: str, *, session: requests.Session,
                 endpoint: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 retry: RetryPolicy = RetryPolicy(),
                 answered: MutableMapping[str, int] | None = None) -> None:
        """``answered``: the sizes of earlier answers, for the estimated totals of long reads
        (``GoogleHTTPClient.answered``)."""
        if not spreadsheet_id:
            raise UsageError("no Google spreadsheet id given (--sheet-id / GOOGLE_SHEET_ID)")
        self.spreadsheet_id = spreadsheet_id
        self.timeout = timeout
        self.stats = RequestStats()
        self.http = GoogleHTTPClient(session, endpoint=endpoint, timeout=timeout, retry=retry,
                                     stats=self.stats, answered=answered)
        self._title: str | None = None
        self._infos: dict[str, SheetInfo] | None = None  # the whole sheet list, once asked for
        self._seen: dict[str, SheetInfo] = {}  # sheets a ranged read returned (not all of them)
        self._notes: dict[str, str] | None = None  # our developer metadata, as last read
        with self._locks_guard:
            self._lock = self._locks.setdefault(spreadsheet_id, threading.RLock())

    @property
    def id(self) -> str:
        return self.spreadsheet_id

    @property
    def url(self) -> str:
        return f"{SHEETS_URL}/{self.spreadsheet_id}"

    @property
    def title(self) -> str:
        if self._title is None:
            self._fetch_metadata()
        return self._title or ""

    # --- metadata ------------------------------------------------------------------------

    def _fetch_metadata(self) -> None:
        meta = self.http.call("GET", self.url, what=f"reading spreadsheet {self.spreadsheet_id}",
                              params={"fields": "spreadsheetId,properties.title,sheets.properties,"
                                                + NOTE_FIELDS})
        self._remember(meta)

    def _remember(self, spreadsheet: Mapping[str, Any]) -> None:
        """What an answer holding every sheet (and, asked for, the developer metadata) says."""
        self._learn(spreadsheet)
        sheets = sorted((_info(s["properties"]) for s in spreadsheet.get("sheets", [])),
                        key=lambda i: i.index)
        self._infos = {i.title: i for i in sheets}
        self._seen = {}

    def _learn(self, spreadsheet: Mapping[str, Any]) -> None:
        """The title and our notes from an answer that asked for them (absent: there are none)."""
        if "properties" in spreadsheet:
            self._title = spreadsheet["properties"].get("title", self._title)
        self._notes = {m["metadataKey"]: m.get("metadataValue", "")
                       for m in spreadsheet.get("developerMetadata", [])
                       if m.get("metadataId") == note_id(m.get("metadataKey", ""))}

    def note(self, key: str) -> str | None:
        """Spreadsheet-level developer metadata ``key`` with its fixed id (``note_id``)."""
        if self._notes is None:
            self._fetch_metadata()
        assert self._notes is not None
        return self._notes.get(key)

    def sheet_info(self, title: str) -> SheetInfo | None:
        if self._infos is None and title in self._seen:
            return self._seen[title]
        return next((i for i in self.sheets() if i.title == title), None)

    def sheets(self) -> list[SheetInfo]:
        if self._infos is None:
            self._fetch_metadata()
        assert self._infos is not None
        return list(self._infos.values())

    def _sheet_info(self, title: str) -> SheetInfo:
        infos = {i.title: i for i in self.sheets()}
        if title not in infos:
            raise SheetNotFound(f"sheet {title!r} not found in spreadsheet {self.spreadsheet_id}")
        return infos[title]

    # --- reading -------------------------------------------------------------------------

    def read(self, titles: Sequence[str] | None = None, *,
             formulas: bool = True) -> dict[str, Sheet]:
        """Whole sheets in one request.

        ``formulas=True`` reads what was entered, formulas as ``Formula`` (exact: backups,
        fingerprints); ``formulas=False`` reads computed values through ``values:batchGet``, about
        a third of the bytes (operations that only need data). Both return unformatted values.
        """
        if titles is not None and self._infos is not None:
            for t in titles:
                self._sheet_info(t)
        what = f"reading sheets {', '.join(titles) if titles else '(all)'} of {self.spreadsheet_id}"
        try:
            return self._read_entered(titles, what) if formulas else self._read_values(titles, what)
        except BackendError as exc:
            if exc.status == 400 and "Unable to parse range" in str(exc):
                raise SheetNotFound(f"{what}: a sheet is missing ({exc})") from exc
            raise

    def read_with_formats(self, titles: Sequence[str] | None = None) -> tuple[dict[str, Sheet], dict]:
        """``read`` of whole sheets, and each sheet's cell formats (rowData rows of
        ``userEnteredFormat`` cells, as Google gives them), in ONE read: a restore checks both."""
        formats: dict[str, list[dict[str, Any]]] = {}
        what = f"reading sheets and formats of {self.spreadsheet_id}"
        return self._read_entered(titles, what, formats), formats

    def _read_entered(self, titles: Sequence[str] | None, what: str,
                      formats: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Sheet]:
        cells = "userEnteredValue" if formats is None else "userEnteredValue,userEnteredFormat"
        params: dict[str, Any] = {
            "includeGridData": "true",
            "fields": f"properties.title,{NOTE_FIELDS},"
                      f"sheets(properties,data(startRow,rowData(values({cells}))))",
        }
        if titles is not None:
            params["ranges"] = [quote_sheet(t) for t in titles]
        body = self.http.call("GET", self.url, what=what, params=params)
        result: dict[str, Sheet] = {}
        for sheet in body.get("sheets", []):
            info = _info(sheet["properties"])
            rows: list[list[Cell]] = []
            for data in sheet.get("data", []):
                rows.extend([] for _ in range(data.get("startRow", 0) - len(rows)))
                rows.extend([[_read_value(c) for c in r.get("values", [])]
                             for r in data.get("rowData", [])])
                if formats is not None:
                    kept = formats.setdefault(info.title, [])
                    kept.extend({} for _ in range(data.get("startRow", 0) - len(kept)))
                    kept.extend({"values": [{k: v for k, v in c.items() if k == "userEnteredFormat"}
                                            for c in r.get("values", [])]}
                                for r in data.get("rowData", []))
            result[info.title] = Sheet(info, trim(rows))
        if titles is None:
            self._remember(body)
        else:
            self._learn(body)
            known = self._seen if self._infos is None else self._infos
            known.update({s.info.title: s.info for s in result.values()})
        return result

    def _read_values(self, titles: Sequence[str] | None, what: str) -> dict[str, Sheet]:
        names = [i.title for i in self.sheets()] if titles is None else list(titles)
        body = self.http.call(
            "GET", f"{self.url}/values:batchGet", what=what,
            params={"ranges": [quote_sheet(t) for t in names], "majorDimension": "ROWS",
                    "valueRenderOption": "UNFORMATTED_VALUE",
                    "dateTimeRenderOption": "SERIAL_NUMBER"})
        ranges = body.get("valueRanges", [])
        return {t: Sheet(self._sheet_info(t), trim(vr.get("values", [])))
                for t, vr in zip(names, ranges, strict=False)}

    # --- reading regions -----------------------------------------------------------------

    def read_regions(self, regions: Sequence[Region], *,
                     formulas: bool = False) -> list[list[list[Cell]]]:
        """Each region in ONE ``values:batchGet`` of A1 ranges, unformatted (dates as serial
        numbers, as ``read(formulas=False)`` gives them). Formulas need grid data: the default."""
        if formulas:
            return super().read_regions(regions, formulas=True)
        ranges = [open_a1(r) for r in regions] if self._infos is None else []
        if not ranges or None in ranges:
            return self._read_values_of(regions, {i.title: i for i in self.sheets()})
        try:
            return self._read_values_of(regions, None, ranges)
        except BackendError as exc:
            if exc.status != 400:
                raise
        return self._read_values_of(regions, {i.title: i for i in self.sheets()})

    def _read_values_of(self, regions: Sequence[Region], infos: Mapping[str, SheetInfo] | None,
                        ranges: Sequence[str | None] = ()) -> list[list[list[Cell]]]:
        """One ``values:batchGet``: of ``ranges`` as given (sheet list unknown: open-ended,
        so no request is spent learning it; a 400 means a sheet or grid differs, and the caller
        learns the list), or of the regions cut to the grids in ``infos``."""
        if infos is not None:
            for r in regions:
                if r.title not in infos:
                    raise SheetNotFound(f"sheet {r.title!r} not found in spreadsheet "
                                        f"{self.spreadsheet_id}")
            ranges = [a1_range(r, infos[r.title]) for r in regions]
        asked = [(i, a1) for i, a1 in enumerate(ranges) if a1 is not None]
        out: list[list[list[Cell]]] = [[] for _ in regions]
        if not asked:
            return out
        names = ", ".join(dict.fromkeys(r.title for r in regions))
        what = f"reading {len(asked)} ranges of {names} in {self.spreadsheet_id}"
        try:
            body = self.http.call(
                "GET", f"{self.url}/values:batchGet", what=what,
                params={"ranges": [a1 for _, a1 in asked], "majorDimension": "ROWS",
                        "valueRenderOption": "UNFORMATTED_VALUE",
                        "dateTimeRenderOption": "SERIAL_NUMBER"})
        except BackendError as exc:
            if exc.status == 400 and infos is not None:
                self._infos = None  # a sheet or its grid changed under us: learn it again
                if "Unable to parse range" in str(exc):
                    raise SheetNotFound(f"{what}: a sheet is missing ({exc})") from exc
            raise
        for (i, _), vr in zip(asked, body.get("valueRanges", []), strict=False):
            out[i] = regions[i].kept(trim(vr.get("values", [])))
        return out

    def read_described(self, regions: Sequence[Region]) -> list[list[list[Cell]]]:
        """ONE ranged ``spreadsheets.get`` (``_read_ranged``) when the sheet list is not known;
        else, or when Google refuses a range, ``read_regions``."""
        ranges = [open_a1(r) for r in regions] if self._infos is None else [None]
        if None not in ranges:
            try:
                return self._read_ranged(regions, ranges)
            except BackendError as exc:
                if exc.status != 400:
                    raise
                self._fetch_metadata()  # a sheet is missing or smaller: read what the list says
        return self.read_regions(regions)

    def _read_ranged(self, regions: Sequence[Region], ranges: Sequence[str | None]
                     ) -> list[list[list[Cell]]]:
        """The regions, the title, the touched sheets' properties and our notes in ONE ranged
        ``spreadsheets.get``, cells as effective values (what an unformatted ``values:batchGet``
        gives)."""
        names = ", ".join(dict.fromkeys(r.title for r in regions))
        what = f"reading {len(regions)} ranges of {names} in {self.spreadsheet_id}"
        body = self.http.call("GET", self.url, what=what, params={
            "ranges": list(ranges),
            "fields": f"properties.title,{NOTE_FIELDS},sheets(properties,"
                      "data(startRow,startColumn,rowData.values.effectiveValue))"})
        self._learn(body)
        out: list[list[list[Cell]]] = [[] for _ in regions]
        for sheet in body.get("sheets", []):
            info = _info(sheet["properties"])
            self._seen[info.title] = info
            mine = [i for i, r in enumerate(regions) if r.title == info.title]
            for i, data in zip(mine, sheet.get("data", []), strict=False):
                out[i] = regions[i].kept(trim([[_effective(c) for c in row.get("values", [])]
                                               for row in data.get("rowData", [])]))
        return out

    # --- writing -------------------------------------------------------------------------

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Serialises writers of this spreadsheet within this process (Sheets has no CAS)."""
        with self._lock:
            yield

    def sidecar(self, name: str) -> None:
        """None: the spreadsheet has no local folder, and ``exclusive()`` is in-process only."""
        return None

    def backup_store(self, folder: str | None) -> GoogleStore:
        return GoogleStore(self, folder)

    def sibling(self, spreadsheet_id: str) -> GoogleBackend:
        """Another spreadsheet (a backup) over this one's session; its requests count here."""
        other = GoogleBackend(spreadsheet_id, session=self.http.session,
                              endpoint=self.http.endpoint, timeout=self.timeout,
                              retry=self.http.retry, answered=self.http.answered)
        other.stats = other.http.stats = self.stats
        return other

    def apply(self, changes: ChangeSet, *, atomic: bool = True,
              then: Callable[[dict[str, SheetInfo]], list[dict]] | None = None) -> None:
        """One ``spreadsheets.batchUpdate`` (all or nothing).

        Google refuses a request over 10 MB. Past that, ``atomic=True`` refuses before sending;
        ``atomic=False`` (for work that is safe to resume, like a restore) sends several
        batchUpdates in order, each whole, and the change as a whole is no longer atomic.
        ``then`` adds raw requests after the change's, given the sheet list it leaves (the
        backup store's cell formats and sheet order).
        """
        if not (changes or changes.notes) and then is None:
            return
        requests_, new_infos = self._translate(changes)
        if then is not None:
            requests_ += then(dict(new_infos))
        touched = ", ".join(sorted(changes.sheets_touched()))
        what = f"writing {changes.cell_count()} cells to {touched} of {self.spreadsheet_id}"
        batches = pack_requests(requests_, self.max_request_bytes)
        if len(batches) > 1 and atomic:
            raise RequestTooLarge(f"{what}: the change is over Google's {self.max_request_bytes:,} bytes "
                             "per request, so it cannot be one atomic write")
        reply = None
        for n, batch in enumerate(batches, start=1):
            try:
                reply = self.http.call(
                    "POST", f"{self.url}:batchUpdate",
                    what=what if len(batches) == 1 else f"{what} (part {n} of {len(batches)})",
                    body={"requests": batch, "includeSpreadsheetInResponse": n == len(batches),
                          "responseIncludeGridData": False},
                    idempotent=all(kind in REPEATABLE_REQUESTS for req in batch for kind in req),
                )
            except BackendError as exc:
                if exc.status == 400:  # refused, maybe as stale (a note another writer made)
                    self._infos = self._notes = None  # the next ask learns them again
                raise
        if reply and "updatedSpreadsheet" in reply:
            self._remember(reply["updatedSpreadsheet"])
        elif self._infos is None:
            self._seen = new_infos
        else:
            self._infos = new_infos

    def split(self, changes: ChangeSet,
              sheets: Mapping[str, SheetInfo] | None = None) -> list[ChangeSet]:
        """``[changes]`` when its batchUpdate fits in one request, else parts that each do: the
        first the structure and header rows (``Backend.split``), then the cells in order, each
        part filled up (blocks and appended rows cut by rows where a part ends). Sizes are the
        requests' own JSON (``_translate``), with a margin for a part's grid growth and the ids
        of sheets not made yet; the parts are then translated in turn and checked whole."""
        at = dict(sheets) if sheets is not None else {i.title: i for i in self.sheets()}
        limit = self.max_request_bytes
        if len(pack_requests(self._translate(changes, at)[0], limit)) == 1:
            return [changes]
        budget = limit - limit // 50 - 512

        def too_large(what: str) -> RequestTooLarge:
            return RequestTooLarge(f"{what} alone is over Google's {limit:,} bytes per request, "
                                   "so the change cannot be written in parts either")

        heads: list[CellBlock] = []
        queue: deque[ChangeSet] = deque()
        for b in changes.blocks:
            rest, start = (b.rows[1:], 2) if b.row == 1 else (b.rows, b.row)
            if b.row == 1:
                heads.append(CellBlock(b.sheet, 1, b.col, b.rows[:1]))
            queue += [ChangeSet(blocks=[CellBlock(b.sheet, start + i, b.col,
                                                  rest[i:i + ROWS_PER_UPDATE])])
                      for i in range(0, len(rest), ROWS_PER_UPDATE)]
        queue += [ChangeSet(appends=[a]) for a in changes.appends]
        head = ChangeSet(list(changes.new_sheets), list(changes.renames),
                         list(changes.column_moves), list(changes.resizes), heads, [],
                         list(changes.number_formats), list(changes.deleted_sheets))
        used = self._size(head, at)
        if used > budget:
            raise too_large("its structure and header rows")
        after_head = self._translate(head, at)[1]
        parts = [head]
        while queue:
            piece = queue.popleft()
            n = self._size(piece, after_head)
            if used + n <= budget:
                parts[-1].extend(piece)
                used += n
                continue
            halves = _halves(piece)
            if halves:  # fill this part up with the first rows, the rest goes on
                queue.extendleft(reversed(halves))
            elif used:
                parts.append(ChangeSet())
                used = 0
                queue.appendleft(piece)
            else:
                raise too_large(f"a row of {next(iter(piece.sheets_touched()))!r}")
        if len(parts) > 1:  # cells written after the first part bring date formats: these win
            parts[-1].number_formats += changes.number_formats
        parts[-1].notes.update(changes.notes)  # kept with the last part: once all has landed
        for part in parts:
            requests_, at = self._translate(part, at)
            if len(pack_requests(requests_, limit)) > 1:
                raise too_large("one part of it")
        return parts

    def _size(self, changes: ChangeSet, sheets: Mapping[str, SheetInfo]) -> int:
        """The bytes of ``changes``' requests in a batchUpdate body (as ``pack_requests`` counts)."""
        return sum(len(json.dumps(r).encode()) + 1 for r in self._translate(changes, sheets)[0])

    def _write_infos(self, changes: ChangeSet) -> dict[str, SheetInfo]:
        """The sheets a write works on: those ranged reads saw, when the change only writes
        cells inside their grids (a state change: no sheet list needed), else every sheet."""
        seen = self._seen
        fits = (self._infos is None and not (changes.new_sheets or changes.renames
                                             or changes.column_moves or changes.resizes
                                             or changes.deleted_sheets)
                and all(b.sheet in seen and b.last_row <= seen[b.sheet].rows
                        and b.last_col <= seen[b.sheet].cols for b in changes.blocks)
                and all(t in seen and max(len(r) for r in rows) <= seen[t].cols
                        for t, rows in changes.appends)
                and all(nf.sheet in seen for nf in changes.number_formats))
        return dict(seen) if fits else {i.title: i for i in self.sheets()}

    def _note_requests(self, notes: Mapping[str, str]) -> list[dict[str, Any]]:
        """Each note as spreadsheet-level developer metadata with its fixed id: created where
        none was read, else updated only where it still holds the value read (a compare-and-set:
        another writer's note written since is left, and the answer shows it)."""
        out: list[dict[str, Any]] = []
        for key, value in notes.items():
            if (read := self.note(key)) is not None:
                out.append({"updateDeveloperMetadata": {
                    "dataFilters": [{"developerMetadataLookup": {"metadataId": note_id(key),
                                                                 "metadataValue": read}}],
                    "developerMetadata": {"metadataValue": value}, "fields": "metadataValue"}})
            else:
                out.append({"createDeveloperMetadata": {"developerMetadata": {
                    "metadataId": note_id(key), "metadataKey": key, "metadataValue": value,
                    "location": {"spreadsheet": True}, "visibility": "DOCUMENT"}}})
        return out

    def _translate(self, changes: ChangeSet, sheets: Mapping[str, SheetInfo] | None = None,
                   ) -> tuple[list[dict], dict[str, SheetInfo]]:
        """The batchUpdate requests for a change set on ``sheets`` (default: ``_write_infos``),
        and the sheet list it will leave."""
        infos = dict(sheets) if sheets is not None else self._write_infos(changes)
        used_ids = {i.sheet_id for i in infos.values()}
        out: list[dict] = []

        def info(title: str) -> SheetInfo:
            if title not in infos:
                raise SheetNotFound(f"sheet {title!r} not found in spreadsheet {self.spreadsheet_id}")
            return infos[title]

        for new in changes.new_sheets:
            if new.title in infos:
                raise UsageError(f"sheet {new.title!r} already exists in {self.spreadsheet_id}")
            sheet_id = random.randrange(1, 2**31 - 1)
            while sheet_id in used_ids:
                sheet_id = random.randrange(1, 2**31 - 1)
            used_ids.add(sheet_id)
            infos[new.title] = SheetInfo(new.title, sheet_id, len(infos), new.rows, new.cols)
            out.append({"addSheet": {"properties": {
                "sheetId": sheet_id, "title": new.title,
                "gridProperties": {"rowCount": new.rows, "columnCount": new.cols}}}})

        for rn in changes.renames:
            cur = info(rn.old)
            if rn.new != rn.old and rn.new in infos:
                raise UsageError(f"sheet {rn.new!r} already exists in {self.spreadsheet_id}")
            out.append({"updateSheetProperties": {
                "properties": {"sheetId": cur.sheet_id, "title": rn.new}, "fields": "title"}})
            infos = {rn.new if t == rn.old else t: SheetInfo(rn.new, i.sheet_id, i.index, i.rows,
                                                               i.cols) if t == rn.old else i
                     for t, i in infos.items()}
        for mv in changes.column_moves:
            cur = info(mv.sheet)
            out.append(column_request(mv, cur))
            cols = cur.cols - mv.count if mv.delete else cur.cols + mv.count
            infos[mv.sheet] = SheetInfo(cur.title, cur.sheet_id, cur.index, cur.rows, cols)

        # Target sizes: explicit resizes, then growth for cells written past the edge.
        target = {t: (i.rows, i.cols) for t, i in infos.items()}
        for rs in changes.resizes:
            size = target[info(rs.sheet).title]
            target[rs.sheet] = (rs.rows or size[0], rs.cols or size[1])
        need = {t: list(v) for t, v in target.items()}
        for b in changes.blocks:
            info(b.sheet)
            need[b.sheet][0] = max(need[b.sheet][0], b.last_row)
            need[b.sheet][1] = max(need[b.sheet][1], b.last_col)
        for title, appended in changes.appends:
            info(title)
            need[title][1] = max(need[title][1], max(len(r) for r in appended))
        for title, (want_rows, want_cols) in need.items():
            cur = infos[title]
            grow_rows, grow_cols = max(want_rows, cur.rows), max(want_cols, cur.cols)
            if (grow_rows, grow_cols) != (cur.rows, cur.cols):
                out.append({"updateSheetProperties": {
                    "properties": {"sheetId": cur.sheet_id, "gridProperties": {
                        "rowCount": grow_rows, "columnCount": grow_cols}},
                    "fields": "gridProperties(rowCount,columnCount)"}})
                infos[title] = SheetInfo(title, cur.sheet_id, cur.index, grow_rows, grow_cols)
        cells_after = sum(i.rows * i.cols for i in infos.values())
        if cells_after > MAX_CELLS:
            raise UsageError(f"the change would make the spreadsheet {cells_after:,} cells, over "
                             f"Google's limit of {MAX_CELLS:,}")

        for b in changes.blocks:
            sid = infos[b.sheet].sheet_id
            for first in range(0, len(b.rows), ROWS_PER_UPDATE):
                chunk = b.rows[first:first + ROWS_PER_UPDATE]
                out.append({"updateCells": {
                    "start": {"sheetId": sid, "rowIndex": b.row - 1 + first,
                              "columnIndex": b.col - 1},
                    "rows": [{"values": [_user_entered(v) for v in r]} for r in chunk],
                    "fields": "userEnteredValue"}})
            out.extend(date_formats(sid, b.row, b.col, b.rows))
        for title, appended in changes.appends:
            out.append({"appendCells": {
                "sheetId": infos[title].sheet_id,
                "rows": [{"values": [_user_entered(v) for v in r]} for r in appended],
                "fields": "userEnteredValue"}})

        for title, (want_rows, want_cols) in need.items():
            cur = infos[title]
            for dim, keep, have in (("ROWS", want_rows, cur.rows), ("COLUMNS", want_cols, cur.cols)):
                if keep < have:
                    out.append({"deleteDimension": {"range": {
                        "sheetId": cur.sheet_id, "dimension": dim,
                        "startIndex": keep, "endIndex": have}}})
            infos[title] = SheetInfo(title, cur.sheet_id, cur.index, min(want_rows, cur.rows),
                                     min(want_cols, cur.cols))
        for nf in changes.number_formats:
            cur = info(nf.sheet)
            bounds = {"sheetId": cur.sheet_id, "startRowIndex": nf.row - 1,
                      "startColumnIndex": nf.col - 1}
            if nf.last_row is not None:
                bounds["endRowIndex"] = nf.last_row
            if nf.last_col is not None:
                bounds["endColumnIndex"] = nf.last_col
            out.append({"repeatCell": {
                "range": bounds,
                "cell": {"userEnteredFormat": {"numberFormat": {
                    "type": number_format_type(nf.pattern), "pattern": nf.pattern}}},
                "fields": "userEnteredFormat.numberFormat"}})
        for title in changes.deleted_sheets:
            out.append({"deleteSheet": {"sheetId": info(title).sheet_id}})
            del infos[title]
        return out + self._note_requests(changes.notes), infos

    def close(self) -> None:
        self.http.session.close()


def column_request(move: ColumnMove, sheet: SheetInfo) -> dict[str, Any]:
    """The insertDimension / deleteDimension of a column move, checked against the grid first
    (Google would refuse it, but with a message about indexes, not columns)."""
    last = move.col + move.count - 1
    if move.delete and (last > sheet.cols or move.count >= sheet.cols):
        raise UsageError(f"sheet {sheet.title!r} has {sheet.cols} columns: cannot delete columns "
                         f"{column_letter(move.col)}..{column_letter(last)}")
    if not move.delete and move.col > sheet.cols + 1:
        raise UsageError(f"sheet {sheet.title!r} has {sheet.cols} columns: cannot insert before "
                         f"column {column_letter(move.col)}")
    span = {"sheetId": sheet.sheet_id, "dimension": "COLUMNS", "startIndex": move.col - 1,
            "endIndex": last}
    if move.delete:
        return {"deleteDimension": {"range": span}}
    # new columns take the width and format of the column before them, as an append would
    return {"insertDimension": {"range": span, "inheritFromBefore": move.col > 1}}


_DATE_TOKENS = re.compile(r'"[^"]*"|\\.|\[[^]]*\]|([dmyhs])', re.I)


def number_format_type(pattern: str) -> str:
    """Google's NumberFormatType for a pattern: it needs one beside the pattern."""
    if pattern.strip() == "@":
        return "TEXT"
    letters = {m[1].lower() for m in _DATE_TOKENS.finditer(pattern) if m[1]}
    if not letters:
        return "NUMBER"
    if letters <= {"h", "m", "s"}:
        return "TIME"
    return "DATE_TIME" if letters & {"h", "s"} else "DATE"


def date_formats(sheet_id: int, row: int, col: int,
                 rows: Sequence[Sequence[Cell]]) -> list[dict[str, Any]]:
    """Show the dates of a block dd-mm-yyyy: one ``repeatCell`` per vertical run of date cells.

    Dates are written as serial numbers; only their format is set here, nothing else.
    """
    out: list[dict[str, Any]] = []
    width = max((len(r) for r in rows), default=0)
    for c in range(width):
        start = None
        for r in range(len(rows) + 1):
            is_date = r < len(rows) and c < len(rows[r]) and isinstance(rows[r][c], (dt.date, dt.datetime))
            if is_date and start is None:
                start = r
            elif not is_date and start is not None:
                out.append({"repeatCell": {
                    "range": {"sheetId": sheet_id, "startRowIndex": row - 1 + start,
                              "endRowIndex": row - 1 + r, "startColumnIndex": col - 1 + c,
                              "endColumnIndex": col + c},
                    "cell": {"userEnteredFormat": {"numberFormat": {
                        "type": "DATE", "pattern": DATE_DISPLAY_FORMAT}}},
                    "fields": "userEnteredFormat.numberFormat"}})
                start = None
    return out


def _halves(piece: ChangeSet) -> list[ChangeSet] | None:
    """A one-block or one-append change cut in two by rows, in order; None for a single row."""
    if piece.blocks:
        b = piece.blocks[0]
        half = len(b.rows) // 2
        return [ChangeSet(blocks=[CellBlock(b.sheet, b.row, b.col, b.rows[:half])]),
                ChangeSet(blocks=[CellBlock(b.sheet, b.row + half, b.col, b.rows[half:])])
                ] if half else None
    title, rows = piece.appends[0]
    half = len(rows) // 2
    return [ChangeSet(appends=[(title, rows[:half])]),
            ChangeSet(appends=[(title, rows[half:])])] if half else None


def pack_requests(requests_: list[dict], limit: int) -> list[list[dict]]:
    """Split batchUpdate requests, in order, into batches whose JSON stays under ``limit`` bytes."""
    batches: list[list[dict]] = [[]]
    size = 0
    for req in requests_:
        n = len(json.dumps(req).encode())  # as requests encodes the body: spaces, ASCII escapes
        if batches[-1] and size + n > limit:
            batches.append([])
            size = 0
        batches[-1].append(req)
        size += n + 1
    return batches
