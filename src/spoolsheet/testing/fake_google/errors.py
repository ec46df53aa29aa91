"""The API's error answers: ``{"error": {"code", "message", "status", ...}}`` with code == HTTP status."""

from __future__ import annotations

from typing import Any

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class ApiError(Exception):
    """Raised by handlers; becomes the JSON error body. ``reason`` adds Drive's ``errors[]`` entry."""

    def __init__(
        self, code: int, message: str, *, reason: str | None = None, details: list[Any] | None = None
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": STATUS_NAMES.get(self.code, "UNKNOWN"),
        }
        if self.reason:
            error["errors"] = [{"message": self.message, "domain": "global", "reason": self.reason}]
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    return ApiError(404, message)
