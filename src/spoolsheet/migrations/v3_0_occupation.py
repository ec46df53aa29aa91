"""v2.1 → v3.0: append Ocupado_Por, Fecha_Ocupacion and version to Operaciones.

Expand only: the three columns go right after the last existing header (positions counted from
the sheet; 64-66 on the v2.1 layout), ``version`` is backfilled with 0 on every row that has a
TAG, the occupation columns start empty, and nothing that exists moves or changes.

Checked column by column, because a half-finished run must never add duplicates: a column
already at its place with valid content is kept, one standing anywhere else (or holding data
that is not its type) stops the migration with an error naming it, and only what is missing is
added. Pure functions of the sheets as read; no I/O here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import ConflictError, DataError, SchemaError
from ..schema import OPERACIONES, TAG_COLUMN, V3_COLUMNS, VERSION, ColumnSpec, column_letter, normalise_header
from ..values import WorkerRef, is_blank, parse_date, parse_int
from ..workbook import columns
from ..workbook.base import Sheet
from ..workbook.changes import ChangeSet
from .migration import Step

id = "v3_0_occupation"
version = "v3.0"
revises = "v2.1"
description = "Occupation: append Ocupado_Por, Fecha_Ocupacion and version to Operaciones"

_V3_KEYS = {normalise_header(spec.name) for spec in V3_COLUMNS}


def _at(col: int) -> str:
    return f"{column_letter(col)} ({col})"


@dataclass(frozen=True)
class Placement:
    """Where one v3.0 column goes, and whether it is already there."""

    spec: ColumnSpec
    col: int
    present: bool


@dataclass(frozen=True)
class Layout:
    """Operaciones as this migration sees it: the TAG column, the base width, the three columns."""

    sheet: Sheet
    tag: int
    base: int
    placements: tuple[Placement, ...]

    def tag_rows(self) -> list[int]:
        return [r for r in range(2, len(self.sheet.rows) + 1)
                if not is_blank(self.sheet.cell(r, self.tag))]

    def placement(self, name: str) -> Placement:
        return next(p for p in self.placements if p.spec.name == name)


def _operaciones(sheets: Mapping[str, Sheet]) -> Sheet:
    if OPERACIONES not in sheets:
        raise SchemaError(f"sheet {OPERACIONES!r} not found: this is not the shop's workbook")
    return sheets[OPERACIONES]


def layout(sheets: Mapping[str, Sheet]) -> Layout:
    """Pre-flight: unique headers, the TAG column found, each v3.0 column placed or placeable."""
    sheet = _operaciones(sheets)
    cmap = columns(sheet)
    dups = cmap.duplicates()
    if dups:
        raise SchemaError(f"sheet {OPERACIONES!r}: duplicate headers: " + "; ".join(
            f"{name!r} at " + " and ".join(_at(c) for c in cols) for name, cols in dups.items())
            + "; rename or remove one so every column has one name")
    tag = cmap.index(TAG_COLUMN)
    existing = [cmap.get(spec.name) for spec in V3_COLUMNS]
    first = existing[0]
    if first is not None and existing == list(range(first, first + len(existing))):
        base = first - 1  # in place, whatever later revisions appended after them
    else:
        base = max((i for i, h in enumerate(cmap.headers, start=1)
                    if h and normalise_header(h) not in _V3_KEYS), default=0)
    wanted = [(spec, base + 1 + k, cmap.get(spec.name)) for k, spec in enumerate(V3_COLUMNS)]
    for spec, want, found in wanted:
        if found is not None and found != want:
            raise SchemaError(
                f"sheet {OPERACIONES!r}: column {spec.name!r} stands at {_at(found)}, but v3.0 "
                f"puts it at {_at(want)}, right after the last column "
                f"{cmap.headers[base - 1]!r}; move or remove it by hand, then run again")
    for spec, want, found in wanted:
        stray = next((r for r in range(1, len(sheet.rows) + 1)
                      if not is_blank(sheet.cell(r, want))), None) if found is None else None
        if stray is not None:
            raise SchemaError(
                f"sheet {OPERACIONES!r}: column {spec.name!r} goes at {_at(want)}, but "
                f"cell {column_letter(want)}{stray} already holds {sheet.cell(stray, want)!r}")
    placements = [Placement(spec, want, found is not None) for spec, want, found in wanted]
    result = Layout(sheet, tag, base, tuple(placements))
    for p in result.placements:
        if p.present:
            _check_values(result, p)
    return result


def _check_values(lay: Layout, p: Placement) -> None:
    """A present column must hold its type on every row (DataError names the cell)."""
    parsers: dict[str, Callable[..., object]] = {"text": WorkerRef.parse, "date": parse_date,
                                                 "integer": parse_int}
    parse = parsers[p.spec.kind]
    for r in range(2, len(lay.sheet.rows) + 1):
        parse(lay.sheet.cell(r, p.col), sheet=OPERACIONES, row=r, column=p.spec.name)


def _missing_versions(lay: Layout) -> list[int]:
    p = lay.placement(VERSION)
    return [r for r in lay.tag_rows() if not p.present or is_blank(lay.sheet.cell(r, p.col))]


def check(sheets: Mapping[str, Sheet]) -> list[Step]:
    """What ``upgrade`` would do; [] when v3.0 is fully in place. Raises when it must not run."""
    lay = layout(sheets)
    steps = []
    for p in lay.placements:
        verb = "keep" if p.present else "add"
        steps.append(Step(f"{verb} column {p.spec.name!r} ({p.spec.kind}) at {_at(p.col)}",
                          change=not p.present))
    last = max((p.col for p in lay.placements if not p.present), default=0)
    if last > lay.sheet.info.cols:
        steps.append(Step(f"grow the {OPERACIONES} grid from {lay.sheet.info.cols} to {last} columns"))
    missing = _missing_versions(lay)
    if missing:
        steps.append(Step(f"backfill {VERSION} = 0 on {len(missing):,} spool rows (rows with a TAG; "
                          f"{len(lay.sheet.rows) - 1 - len(missing):,} other rows left alone)",
                          structural=False))
    return steps if any(s.change for s in steps) else []


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive row numbers as (first, count) runs."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and out[-1][0] + out[-1][1] == r:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((r, 1))
    return out


def upgrade(sheets: Mapping[str, Sheet]) -> ChangeSet:
    """Headers for the missing columns, the grid grown to hold them, version = 0 backfilled."""
    lay = layout(sheets)
    changes = ChangeSet()
    adding = [p for p in lay.placements if not p.present]
    if adding:
        last = max(p.col for p in adding)
        if last > lay.sheet.info.cols:
            changes.resize(OPERACIONES, cols=last)
        for p in adding:
            changes.put(OPERACIONES, 1, p.col, p.spec.name)
    col = lay.placement(VERSION).col
    for first, count in _runs(_missing_versions(lay)):
        changes.set_block(OPERACIONES, first, col, [[0]] * count)
    return changes


def downgrade(sheets: Mapping[str, Sheet], force: bool = False) -> ChangeSet:
    """Remove the three columns (the grid shrinks to the last column before them).

    Refused while a spool is occupied or has a version above 0 (that is work a downgrade would
    lose) unless ``force``.
    """
    lay = layout(sheets)
    present = [p for p in lay.placements if p.present]
    if not present:
        return ChangeSet()
    last = max(p.col for p in present)
    for r, row in enumerate(lay.sheet.rows, start=1):
        beyond = [c for c in range(last + 1, len(row) + 1) if not is_blank(row[c - 1])]
        if beyond:
            raise SchemaError(f"sheet {OPERACIONES!r}: cell {column_letter(beyond[0])}{r} after the "
                              f"v3.0 columns holds data; removing the columns would lose it")
    if not force:
        occupied, advanced = _in_use(lay)
        if occupied or advanced:
            parts = []
            if occupied:
                parts.append(f"{len(occupied)} spool(s) occupied (first: row {occupied[0]})")
            if advanced:
                parts.append(f"{len(advanced)} spool(s) with {VERSION} above 0 (first: row "
                             f"{advanced[0]})")
            raise ConflictError(f"sheet {OPERACIONES!r}: " + " and ".join(parts)
                                + "; removing the v3.0 columns would lose that; add --force to do it anyway")
    return ChangeSet().resize(OPERACIONES, cols=lay.base)


def _in_use(lay: Layout) -> tuple[list[int], list[int]]:
    occ = [lay.placement(spec.name) for spec in V3_COLUMNS[:2]]
    ver = lay.placement(VERSION)
    occupied = [r for r in range(2, len(lay.sheet.rows) + 1)
                if any(p.present and not is_blank(lay.sheet.cell(r, p.col)) for p in occ)]
    advanced = [r for r in range(2, len(lay.sheet.rows) + 1) if ver.present
                and (parse_int(lay.sheet.cell(r, ver.col), blank=0) or 0) > 0]
    return occupied, advanced


def verify(before: Mapping[str, Sheet] | None, after: Mapping[str, Sheet]) -> list[str]:
    """Problems with the upgraded state in ``after``.

    Always: the three columns in place and of their type, every spool row with a version.
    With ``before`` (the sheets the upgrade was planned on): the columns stand where the plan
    put them, every row it backfilled holds 0, and a column it added holds no occupation.
    """
    try:
        lay = layout(after)
        prev = layout(before) if before is not None else None
    except (SchemaError, DataError) as exc:
        return [str(exc)]
    problems = [f"sheet {OPERACIONES!r}: column {p.spec.name!r} is missing at {_at(p.col)}"
                for p in lay.placements if not p.present]
    if problems:
        return problems
    if prev is not None:
        problems += [f"sheet {OPERACIONES!r}: column {p.spec.name!r} is at {_at(p.col)}, the plan "
                     f"put it at {_at(q.col)}" for p, q in zip(lay.placements, prev.placements, strict=True)
                     if p.col != q.col]
    col = lay.placement(VERSION).col
    backfilled = set(_missing_versions(prev)) if prev is not None else set()
    bad = []
    for r in lay.tag_rows():
        value = lay.sheet.cell(r, col)
        try:
            number = parse_int(value, sheet=OPERACIONES, row=r, column=VERSION)
        except DataError:
            number = None
        if number is None or number < 0 or (r in backfilled and number != 0):
            bad.append(f"{column_letter(col)}{r} = {value!r}")
    if bad:
        problems.append(f"sheet {OPERACIONES!r}: {len(bad)} spool row(s) without the version "
                        f"they should hold: " + ", ".join(bad[:5]))
    if prev is not None:
        for spec in V3_COLUMNS[:2]:
            p = lay.placement(spec.name)
            if prev.placement(spec.name).present:
                continue
            held = [r for r in range(2, len(lay.sheet.rows) + 1)
                    if not is_blank(lay.sheet.cell(r, p.col))]
            if held:
                problems.append(f"sheet {OPERACIONES!r}: new column {spec.name!r} should be "
                                f"empty, but {len(held)} row(s) hold a value (first: row {held[0]})")
    return problems


def verify_downgrade(sheets: Mapping[str, Sheet]) -> list[str]:
    """Problems with the reverted state: none of the three columns may remain."""
    lay = layout(sheets)
    return [f"sheet {OPERACIONES!r}: column {p.spec.name!r} is still at {_at(p.col)}"
            for p in lay.placements if p.present]
