"""Which rectangles of a grid differ: the least a write must send to turn one grid into another.

A restore writes only these (its values on every backend, its cell formats on Google), so that
rolling back a few edits is a small write however large the sheet is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Box:
    """0-based, half-open: rows ``top:bottom``, columns ``left:right``."""

    top: int
    left: int
    bottom: int
    right: int


def differing_boxes(want: Sequence[Sequence[Any]], have: Sequence[Sequence[Any]], *,
                    rows: int, cols: int,
                    key: Callable[[Sequence[Any]], Sequence[Any]] = list) -> list[Box]:
    """Boxes covering every cell of the first ``rows`` × ``cols`` where ``want`` and ``have``
    differ (cells past a row's end are None; ``key`` turns a row into comparable cells).

    Each differing row contributes its span from first to last differing cell; consecutive
    differing rows are one box over the union of their spans. Cells inside a box that were
    equal are written with the value they already hold: harmless, and far fewer boxes.
    """
    out: list[Box] = []
    run: list[int] | None = None  # top, left, bottom, right of the box being built
    for r in range(min(max(len(want), len(have)), rows)):
        a = key(want[r]) if r < len(want) else ()
        b = key(have[r]) if r < len(have) else ()
        if a == b:
            continue
        width = min(max(len(a), len(b)), cols)
        diff = [c for c in range(width)
                if (a[c] if c < len(a) else None) != (b[c] if c < len(b) else None)]
        if not diff:
            continue
        if run is not None and run[2] == r:
            run[1], run[2], run[3] = min(run[1], diff[0]), r + 1, max(run[3], diff[-1] + 1)
            continue
        if run is not None:
            out.append(Box(*run))
        run = [r, diff[0], r + 1, diff[-1] + 1]
    if run is not None:
        out.append(Box(*run))
    return out
