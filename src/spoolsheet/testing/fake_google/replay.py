"""Replay recorded real Google traffic (vcrpy cassettes) against the fake and compare.

Each cassette runs against a fresh fake, through the in-process adapter mounted on the real
Google hosts, request by request in recorded order. Before a request the replayer tells the fake
what the real API had: the ids it handed out (files, sheets) and files that existed before the
cassette began (pre-existing spreadsheets seen in listings, private files answering 403).
Then it compares status codes and response bodies, ignoring the fields listed in IGNORED_KEYS
(server bookkeeping and formatting the fake does not model, see docs/fake_google.md).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from .batch_update import HANDLERS, UNIMPLEMENTED
from .core import FakeGoogle
from .state import Sheet

IGNORED_KEYS = frozenset(
    {
        "defaultFormat",  # the spreadsheet's default cell format and theme: formatting, not data
        "spreadsheetTheme",
        "createdTime",  # timestamps of a recording cannot match a replay
        "modifiedTime",
        "rowMetadata",  # pixel sizes of rows and columns
        "columnMetadata",
        "details",  # extra error detail objects
    }
)

# Features the fake does not model, by what a cassette shows of them.
UNSUPPORTED_PATHS = {
    "/upload/drive/v2/files": "Drive v2 media upload (import_csv)",
}
UNSUPPORTED_FIELDS = {
    "protectedRanges": "protected ranges",
    "basicFilter": "basic filters",
    "columnMetadata": "column metadata (auto-resize)",
    "dataValidation": "data validation",
    "rowGroups": "row groups",
    "columnGroups": "column groups",
}


@dataclass
class Outcome:
    name: str
    status: str  # PASS / FAIL / SKIP
    detail: str = ""

    def line(self) -> str:
        return f"{self.status} {self.name}" + (f": {self.detail}" if self.detail else "")


class Mismatch(Exception):
    """The first difference between recording and fake."""


def _body_json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def needs(interactions: list[dict[str, Any]]) -> str | None:
    """The unsupported feature a cassette needs, or None when the fake should pass it."""
    for interaction in interactions:
        request = interaction["request"]
        split = urlsplit(request["uri"])
        for prefix, feature in UNSUPPORTED_PATHS.items():
            if split.path.startswith(prefix):
                return feature
        if split.path.endswith(":batchUpdate") and "/values" not in split.path:
            for item in (_body_json(request["body"]) or {}).get("requests", []):
                kind = next(iter(item))
                if kind not in HANDLERS:
                    return f"batchUpdate {kind}" + ("" if kind in UNIMPLEMENTED else " (unknown)")
        fields = parse_qs(split.query).get("fields", [""])[0]
        response = interaction["response"]["body"]["string"] or ""
        for key, feature in UNSUPPORTED_FIELDS.items():
            if key in fields or f'"{key}"' in response:
                return feature
        if split.path.endswith("/export"):
            mime = parse_qs(split.query).get("mimeType", [""])[0]
            if mime not in ("text/csv",):
                return f"export as {mime}"
    return None


def _close(a: Any, b: Any) -> bool:
    return (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    )


def compare(recorded: Any, actual: Any, path: str = "") -> None:
    """Raise Mismatch at the first difference, skipping IGNORED_KEYS."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in sorted((recorded.keys() | actual.keys()) - IGNORED_KEYS):
            if key not in actual:
                raise Mismatch(f"{path}.{key} missing (recorded {json.dumps(recorded[key])[:80]})")
            if key not in recorded:
                raise Mismatch(f"{path}.{key} unexpected ({json.dumps(actual[key])[:80]})")
            compare(recorded[key], actual[key], f"{path}.{key}")
    elif isinstance(recorded, list) and isinstance(actual, list):
        if len(recorded) != len(actual):
            raise Mismatch(
                f"{path} has {len(actual)} items, recorded {len(recorded)}: {json.dumps(actual)[:120]}"
            )
        for index, (r, a) in enumerate(zip(recorded, actual, strict=True)):
            compare(r, a, f"{path}[{index}]")
    elif recorded != actual and not _close(recorded, actual):
        raise Mismatch(f"{path or 'body'} is {json.dumps(actual)[:80]}, recorded {json.dumps(recorded)[:80]}")


class _Replayer:
    def __init__(self) -> None:
        self.fake = FakeGoogle()
        self.fake.set_quota(
            read_per_user=None, write_per_user=None, read_per_project=None, write_per_project=None
        )
        self.created: set[str] = set()  # file ids the cassette itself created
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy lookups: every request stays in-process
        self.fake.adapter().mount_on(self.session)

    def close(self) -> None:
        self.session.close()

    def feed(self, request: dict[str, Any], status: int, recorded: Any) -> None:
        """Tell the fake what the real API knew before this request."""
        method, split = request["method"], urlsplit(request["uri"])
        store = self.fake.store
        path_ids = re.findall(r"/(?:spreadsheets|files)/([^/:?]+)", split.path)
        file_id = unquote(path_ids[0]) if path_ids else None
        if (
            status == 200
            and isinstance(recorded, dict)
            and method == "POST"
            and (split.path in ("/drive/v3/files", "/v4/spreadsheets") or split.path.endswith("/copy"))
        ):
            new_id = recorded.get("id") or recorded.get("spreadsheetId")
            if isinstance(new_id, str):
                store.expect_ids("file", [new_id])
                self.created.add(new_id)
        if status == 200 and split.path.endswith(":batchUpdate") and "/values" not in split.path:
            self._expect_sheet_ids(_body_json(request["body"]) or {}, recorded)
        if status == 403 and file_id and file_id not in store.files:
            self.fake.forbid(file_id)
        if status == 200 and split.path == "/drive/v3/files" and method == "GET":
            for listed in recorded.get("files", []):
                if listed["id"] not in store.files:
                    store.add_spreadsheet(listed["name"], [], listed["id"])
        if (
            status == 200
            and method == "GET"
            and split.path.startswith("/v4/spreadsheets/")
            and file_id not in self.created
        ):
            self._seed_spreadsheet(file_id, recorded)

    def _expect_sheet_ids(self, body: dict[str, Any], recorded: dict[str, Any]) -> None:
        for item, reply in zip(body.get("requests", []), recorded.get("replies", []), strict=True):
            kind, params = next(iter(item.items()))
            if kind == "addSheet" and "sheetId" not in params.get("properties", {}):
                self.fake.store.expect_ids("sheet", [reply[kind]["properties"]["sheetId"]])
            if kind == "duplicateSheet" and "newSheetId" not in params:
                self.fake.store.expect_ids("sheet", [reply[kind]["properties"]["sheetId"]])
            if kind == "addNamedRange" and "namedRangeId" not in params["namedRange"]:
                self.fake.store.expect_ids("namedRange", [reply[kind]["namedRange"]["namedRangeId"]])

    def _seed_spreadsheet(self, spreadsheet_id: str | None, recorded: dict[str, Any]) -> None:
        """A spreadsheet that existed before the cassette: take its metadata from the recording."""
        if not spreadsheet_id or "sheets" not in recorded or "properties" not in recorded:
            return
        store = self.fake.store
        if spreadsheet_id not in store.spreadsheets:
            store.add_spreadsheet(recorded["properties"]["title"], [], spreadsheet_id)
        spreadsheet = store.spreadsheets[spreadsheet_id]
        spreadsheet.properties = {k: v for k, v in recorded["properties"].items() if k not in IGNORED_KEYS}
        spreadsheet.sheets = [
            Sheet({k: v for k, v in s["properties"].items() if k != "index"}) for s in recorded["sheets"]
        ]

    def run(self, interactions: list[dict[str, Any]]) -> None:
        for number, interaction in enumerate(interactions, 1):
            request, response = interaction["request"], interaction["response"]
            status = response["status"]["code"]
            recorded_text = response["body"]["string"] or ""
            recorded = _body_json(recorded_text)
            self.feed(request, status, recorded)
            body = request["body"]
            headers = {"Content-Type": "application/json"} if _body_json(body) is not None else {}
            answer = self.session.request(
                request["method"], request["uri"], data=(body or "").encode() or None, headers=headers
            )
            where = f"#{number} {request['method']} {urlsplit(request['uri']).path}"
            if answer.status_code != status:
                raise Mismatch(
                    f"{where}: status {answer.status_code}, recorded {status}: {answer.text[:160]}"
                )
            try:
                if recorded is None:
                    compare(recorded_text, answer.text)
                else:
                    compare(self._comparable(request, recorded), self._comparable(request, answer.json()))
            except Mismatch as exc:
                raise Mismatch(f"{where}: {exc}") from None

    @staticmethod
    def _comparable(request: dict[str, Any], body: Any) -> Any:
        """Drive listings are compared as sets: their order is Drive's business."""
        if isinstance(body, dict) and isinstance(body.get("files"), list):
            return {**body, "files": sorted(body["files"], key=lambda f: f.get("id", ""))}
        return body


def replay_file(path: Path) -> Outcome:
    name = path.stem
    interactions = json.loads(path.read_text())["interactions"]
    feature = needs(interactions)
    if feature:
        return Outcome(name, "SKIP", f"needs {feature}")
    replayer = _Replayer()
    try:
        replayer.run(interactions)
    except Mismatch as exc:
        return Outcome(name, "FAIL", str(exc))
    finally:
        replayer.close()
    return Outcome(name, "PASS")


def replay_dir(directory: Path) -> Iterator[Outcome]:
    for path in sorted(directory.glob("*.json")):
        yield replay_file(path)


def summary(outcomes: list[Outcome]) -> str:
    passed = sum(o.status == "PASS" for o in outcomes)
    failed = sum(o.status == "FAIL" for o in outcomes)
    skipped = sum(o.status == "SKIP" for o in outcomes)
    return f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")
