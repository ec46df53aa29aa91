"""One request in, one reply out: the shapes every handler and both transports share."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError

JSON_TYPE = "application/json; charset=UTF-8"
# Answers are trees the fake just built (no cycles to look for) and can be large: compact and fast.
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"))


@dataclass
class ApiRequest:
    """An HTTP request as the fake sees it; ``path`` is still percent-encoded."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.param(name)
        return default if value is None else value.lower() == "true"

    def int_param(self, name: str, default: int) -> int:
        value = self.param(name)
        try:
            return default if value in (None, "") else int(value)
        except ValueError:
            raise ApiError(400, f"Invalid value at '{name}' (TYPE_INT32), \"{value}\"") from None

    def json(self) -> dict[str, Any]:
        """The JSON object body ({} when empty); 400 for anything else, as the API answers."""
        if not self.body.strip():
            return {}
        try:
            body = json.loads(self.body)
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received. Unexpected token.") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON payload received. Expected an object.")
        return body

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth.split(" ", 1)[1] if auth.lower().startswith("bearer ") else None


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list -> JSON; str/bytes -> sent as is
    content_type: str = JSON_TYPE

    def content(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return _ENCODER.encode(self.body).encode()

    @classmethod
    def error(cls, exc: ApiError) -> Reply:
        return cls(exc.code, exc.body())
