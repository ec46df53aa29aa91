"""Bearer tokens: one per tablet, from ``SPOOLSHEET_API_TOKENS`` and/or ``SPOOLSHEET_API_TOKENS_FILE``.

Each entry is ``name=secret`` (``name:read=secret`` for a token that may only read), entries
separated by commas or new lines, ``#`` starting a comment in the file. The NAME is what the
service records in each event it writes (``client`` in the event's metadata_json) and what it
may show; the secret is compared in constant time and never logged, echoed or stored.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field

from ..errors import ConfigurationError
from ..settings import Settings

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MIN_SECRET = 16  # characters: a token is a password a tablet types once, it can be long


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the token's name (None when the service runs without tokens)."""

    name: str | None
    can_write: bool = True


@dataclass(frozen=True)
class Token:
    name: str
    secret: bytes = field(repr=False)
    can_write: bool


class AuthError(Exception):
    """401 (no or unknown token) or 403 (the token may not do this); the message says which."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Tokens:
    """The configured tokens; empty means the service is open (allowed on loopback only)."""

    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens

    def __bool__(self) -> bool:
        return bool(self._tokens)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self._tokens]

    @classmethod
    def parse(cls, text: str, source: str) -> Tokens:
        """Entries of ``text``; a bad one is a ConfigurationError naming ``source`` and the
        entry's position or name, never its secret."""
        tokens: list[Token] = []
        entries = [e.split("#", 1)[0].strip() for e in re.split(r"[,\n]", text)]
        for number, entry in enumerate((e for e in entries if e), start=1):
            name, sep, secret = entry.partition("=")
            name, _, scope = name.strip().partition(":")
            secret = secret.strip()
            if not sep or not NAME.fullmatch(name) or scope not in ("", "read"):
                raise ConfigurationError(f"{source}: entry {number} is not name=secret or "
                                         f"name:read=secret (a name is letters, digits, '_', "
                                         f"'.', '-')")
            if len(secret) < MIN_SECRET:
                raise ConfigurationError(f"{source}: the token of {name!r} is shorter than "
                                         f"{MIN_SECRET} characters")
            if name in (t.name for t in tokens):
                raise ConfigurationError(f"{source}: the name {name!r} is given twice")
            tokens.append(Token(name, secret.encode(), scope != "read"))
        return cls(tokens)

    @classmethod
    def from_settings(cls, settings: Settings) -> Tokens:
        """The tokens of the environment variable and of the file, together."""
        found: list[Token] = []
        if settings.api_tokens is not None:
            found += cls.parse(settings.api_tokens.get_secret_value(), "SPOOLSHEET_API_TOKENS")._tokens
        if settings.api_tokens_file is not None:
            source = f"SPOOLSHEET_API_TOKENS_FILE ({settings.api_tokens_file})"
            try:
                text = settings.api_tokens_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigurationError(f"cannot read {source}: {exc.strerror}") from None
            found += cls.parse(text, source)._tokens
        names = [t.name for t in found]
        if len(set(names)) != len(names):
            raise ConfigurationError("a token name is given both in SPOOLSHEET_API_TOKENS and in "
                                     "SPOOLSHEET_API_TOKENS_FILE")
        return cls(found)

    def check(self, authorization: str | None, *, write: bool) -> Caller:
        """The caller an ``Authorization`` header proves, or AuthError."""
        if not self._tokens:
            return Caller(None)
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise AuthError(401, "this endpoint needs 'Authorization: Bearer <token>'")
        secret = given.strip().encode()
        match = None
        for token in self._tokens:  # every one compared, in constant time each
            if hmac.compare_digest(token.secret, secret):
                match = token
        if match is None:
            raise AuthError(401, "unknown token")
        if write and not match.can_write:
            raise AuthError(403, f"token {match.name!r} may only read")
        return Caller(match.name, match.can_write)
