"""Google field masks, both uses of them.

* Partial responses (the ``fields`` query parameter): ``files(id,name),nextPageToken`` or
  ``sheets.data.rowData.values.note`` picks parts of an answer.
* Update masks (``fields`` inside batchUpdate requests): ``gridProperties/rowCount,title`` says
  which parts of a resource a request replaces; a masked field missing from the request is cleared.

A parsed mask is a tree: ``{"files": {"id": None, "name": None}}``, None meaning "all of it".
"""

from __future__ import annotations

import copy
from typing import Any

Mask = dict[str, "Mask | None"]

ALL: Mask = {"*": None}


def parse(text: str | None) -> Mask | None:
    """Mask text -> tree; None or empty text -> None (no mask: everything)."""
    if not text or not text.strip():
        return None
    parser = _Parser(text.replace(" ", ""))
    tree = parser.selections()
    if parser.pos != len(parser.text):
        raise ValueError(f"bad field mask: {text!r}")
    return tree


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ",()/.":
            self.pos += 1
        if start == self.pos:
            raise ValueError(f"bad field mask: {self.text!r}")
        return self.text[start : self.pos]

    def selections(self) -> Mask:
        tree: Mask = {}
        while True:
            path = [self.name()]
            while self.peek() in ("/", "."):
                self.pos += 1
                path.append(self.name())
            sub = None
            if self.peek() == "(":
                self.pos += 1
                sub = self.selections()
                if self.peek() != ")":
                    raise ValueError(f"bad field mask: {self.text!r}")
                self.pos += 1
            _merge(tree, path, sub)
            if self.peek() != ",":
                return tree
            self.pos += 1


def _merge(tree: Mask, path: list[str], sub: Mask | None) -> None:
    *parents, leaf = path
    for key in parents:
        child = tree.setdefault(key, {})
        if child is None:  # already selected whole
            return
        tree = child
    if leaf in tree and tree[leaf] is None:
        return
    if sub is None or leaf not in tree:
        tree[leaf] = sub
    else:
        for key, value in sub.items():
            _merge(tree[leaf], [key], value)  # type: ignore[arg-type]


def subtree(mask: Mask | None, *path: str) -> Mask | None:
    """The part of a mask below ``path``; None (everything) when the mask stops above it."""
    for key in path:
        if mask is None or "*" in mask:
            return None
        mask = mask.get(key, {})
    return mask


def settled(mask: Mask | None, *path: str) -> Mask | None:
    """A copy of ``mask`` taking everything below ``path``: for answers whose part there was
    already cut to the mask while being built (a big grid need not be walked twice)."""
    if not path or mask is None or "*" in mask:
        return None if not path else mask
    head, *rest = path
    if head not in mask or mask[head] is None:
        return mask
    return {**mask, head: settled(mask[head], *rest)}


def selects(mask: Mask | None, *path: str) -> bool:
    """Does the mask ask for anything at or below ``path``?"""
    for key in path:
        if mask is None or "*" in mask:
            return True
        if key not in mask:
            return False
        mask = mask[key]
    return True


def select(value: Any, mask: Mask | None) -> Any:
    """Apply a partial-response mask to a JSON value."""
    if mask is None or "*" in mask:
        return value
    if isinstance(value, list):
        return [select(item, mask) for item in value]
    if isinstance(value, dict):
        return {key: select(value[key], sub) for key, sub in mask.items() if key in value}
    return value


def update(target: dict[str, Any] | None, source: dict[str, Any] | None, mask: Mask | None) -> dict[str, Any]:
    """A new dict: ``target`` with the masked fields taken from ``source`` (absent there -> cleared)."""
    source = source or {}
    if mask is None or "*" in mask:
        return copy.deepcopy(source)
    result = dict(target or {})
    for key, sub in mask.items():
        if sub is None:
            new = copy.deepcopy(source[key]) if key in source else None
        else:
            new = (
                update(result.get(key) if isinstance(result.get(key), dict) else None, source.get(key), sub)
                or None
            )
        if new is None:
            result.pop(key, None)
        else:
            result[key] = new
    return result
