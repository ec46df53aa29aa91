"""Drive's ``q`` search language, the part clients use to find their files.

Supported: ``name = 'x'``, ``name != 'x'``, ``name contains 'x'`` (word-prefix match, as Drive
documents), ``mimeType = '...'``, ``trashed = false``, ``'<id>' in parents`` (and gspread's
``parents in "<id>"``), ``createdTime``/``modifiedTime`` comparisons, ``properties has { key='k'
and value='v' }`` (and appProperties), joined with ``and``, ``or``, ``not`` and parentheses.
Strings take single or double quotes with backslash escapes. Anything else is 400 Invalid Value.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from .errors import ApiError
from .state import DriveFile

Predicate = Callable[[DriveFile], bool]

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<op><=|>=|!=|=|<|>|\(|\)|\{|\})|(?P<word>[A-Za-z_]+))"""
)
_COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FIELDS: dict[str, Callable[[DriveFile], Any]] = {
    "name": lambda f: f.name,
    "fullText": lambda f: f.name,
    "mimeType": lambda f: f.mime_type,
    "trashed": lambda f: f.trashed,
    "starred": lambda f: False,
    "createdTime": lambda f: f.created,
    "modifiedTime": lambda f: f.modified,
}


def invalid() -> ApiError:
    return ApiError(400, "Invalid Value", reason="invalid")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise invalid()
        kind = match.lastgroup or ""
        value = match[kind]
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        pos = match.end()
    return tokens


def word_prefix_match(name: str, term: str) -> bool:
    """Drive's ``name contains``: the term must start at the beginning of a word of the name."""
    name, term = name.lower(), term.lower()
    starts = [0] + [i for i in range(1, len(name)) if not name[i - 1].isalnum() and name[i].isalnum()]
    return any(name.startswith(term, i) for i in starts)


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda f: a(f) or b(f)


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda f: a(f) and b(f)


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self, value: str | None = None) -> bool:
        if self.pos >= len(self.tokens):
            return False
        return value is None or (
            self.tokens[self.pos][1].lower() == value.lower() and self.tokens[self.pos][0] != "string"
        )

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        if self.pos >= len(self.tokens):
            raise invalid()
        token_kind, token = self.tokens[self.pos]
        if (kind and token_kind != kind) or (
            value and (token.lower() != value.lower() or token_kind == "string")
        ):
            raise invalid()
        self.pos += 1
        return token

    def expression(self) -> Predicate:
        left = self.conjunction()
        while self.peek("or"):
            self.take()
            right, first = self.conjunction(), left
            left = _either(first, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.negation()
        while self.peek("and"):
            self.take()
            right, first = self.negation(), left
            left = _both(first, right)
        return left

    def negation(self) -> Predicate:
        if self.peek("not"):
            self.take()
            inner = self.negation()
            return lambda f: not inner(f)
        if self.peek("("):
            self.take()
            inner = self.expression()
            self.take(value=")")
            return inner
        return self.term()

    def term(self) -> Predicate:
        if self.tokens[self.pos][0] == "string":  # 'id' in parents
            folder = self.take()
            self.take(value="in")
            self.take(value="parents")
            return lambda f: folder in f.parents
        field = self.take("word")
        if field == "parents":  # gspread writes: parents in "id"
            self.take(value="in")
            folder = self.take("string")
            return lambda f: folder in f.parents
        if field in ("properties", "appProperties"):
            return self.has(field)
        if field not in _FIELDS:
            raise invalid()
        get = _FIELDS[field]
        if self.peek("contains"):
            self.take()
            term = self.take("string")
            return lambda f: word_prefix_match(get(f), term)
        compare = _COMPARE.get(self.take("op"))
        if compare is None:
            raise invalid()
        kind, raw = self.tokens[self.pos]
        self.take()
        value: Any = raw if kind == "string" else {"true": True, "false": False}.get(raw.lower())
        if value is None:
            raise invalid()
        return lambda f: compare(get(f), value)

    def has(self, field: str) -> Predicate:
        self.take(value="has")
        self.take(value="{")
        self.take(value="key")
        self.take(value="=")
        key = self.take("string")
        self.take(value="and")
        self.take(value="value")
        self.take(value="=")
        value = self.take("string")
        self.take(value="}")
        attribute = "properties" if field == "properties" else "app_properties"
        return lambda f: getattr(f, attribute).get(key) == value


def compile_query(text: str | None) -> Predicate:
    """``q`` text -> predicate over DriveFile; empty query matches everything."""
    if not text or not text.strip():
        return lambda f: True
    parser = _Parser(text)
    if not parser.tokens:
        return lambda f: True
    predicate = parser.expression()
    if parser.pos != len(parser.tokens):
        raise invalid()
    return predicate
