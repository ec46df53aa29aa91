"""The grid's copy-on-write: copies share rows until one of them writes, and never see each other's writes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from spoolsheet.testing.fake_google.grid import Grid

SIZE = 3
index = st.integers(0, SIZE)
dimension = st.sampled_from(["ROWS", "COLUMNS"])
cell = st.one_of(st.just({}), st.integers(0, 99).map(lambda n: {"userEnteredValue": {"numberValue": n}}))
operation = st.one_of(
    st.tuples(st.just("set"), index, index, cell),
    st.tuples(st.just("set_run"), index, index, st.lists(cell, max_size=4)),
    st.tuples(st.just("insert"), dimension, index, st.integers(1, 3)),
    st.tuples(st.just("delete"), dimension, index, st.integers(1, 3)),
    st.tuples(st.just("truncate"), index, index),
    st.tuples(st.just("copy")),
)


def model_apply(cells: dict, op: tuple) -> dict:
    """The same operation on a plain {(row, col): cell} model."""
    kind, *args = op
    if kind == "set":
        r, c, value = args
        return {**{k: v for k, v in cells.items() if k != (r, c)}, **({(r, c): value} if value else {})}
    if kind == "set_run":
        r, c, values = args
        for i, value in enumerate(values):
            cells = model_apply(cells, ("set", r, c + i, value))
        return cells
    if kind in ("insert", "delete"):
        dim, start, count = args
        axis = 0 if dim == "ROWS" else 1
        moved = {}
        for key, value in cells.items():
            at = key[axis]
            if kind == "delete" and start <= at < start + count:
                continue
            if at >= start:
                at = at + count if kind == "insert" else at - count
            moved[(at, key[1]) if axis == 0 else (key[0], at)] = value
        return moved
    rows, cols = args
    return {k: v for k, v in cells.items() if k[0] < rows and k[1] < cols}


def contents(grid: Grid) -> dict:
    return {(r, c): cell for r, c, cell in grid.cells()}


def grid_apply(grid: Grid, op: tuple) -> None:
    kind, *args = op
    if kind == "delete":
        dim, start, count = args
        grid.delete(dim, start, start + count)
    else:
        getattr(grid, kind)(*args)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), operation), max_size=30))
def test_copies_never_see_each_others_writes(steps):
    grids, models = [Grid()], [{}]
    for which, op in steps:
        which %= len(grids)
        if op[0] == "copy":
            grids.append(grids[which].copy())
            models.append(dict(models[which]))
        else:
            grid_apply(grids[which], op)
            models[which] = model_apply(models[which], op)
        assert [contents(g) for g in grids] == models


STRUCTURAL = (
    [("insert", dim, at, count) for dim in ("ROWS", "COLUMNS") for at in range(5) for count in (1, 2)]
    + [("delete", dim, at, count) for dim in ("ROWS", "COLUMNS") for at in range(4) for count in (1, 2)]
    + [("truncate", rows, cols) for rows in range(1, 5) for cols in range(1, 5)]
)


def test_structural_changes_after_some_writes_keep_copies_apart():
    """Every insert/delete/truncate, after writing each row, then writing everywhere: the rows a
    grid owns move with the change and the ones it shares stay shared, on both sides of a copy."""
    for op in STRUCTURAL:
        for written in range(4):
            for editor in ("copy", "original"):
                original = Grid()
                for r in range(4):
                    original.set_run(
                        r, 0, [{"userEnteredValue": {"numberValue": 10 * r + c}} for c in range(4)]
                    )
                before = contents(original)
                twin = original.copy()
                edited, kept = (twin, original) if editor == "copy" else (original, twin)
                model = model_apply(before, ("set", written, 0, {"note": "w"}))
                edited.set(written, 0, {"note": "w"})
                grid_apply(edited, op)
                model = model_apply(model, op)
                for r in range(6):
                    edited.set_run(r, 0, [{"note": "x"}] * 6)
                    model = model_apply(model, ("set_run", r, 0, [{"note": "x"}] * 6))
                assert contents(kept) == before, (op, written, editor)
                assert contents(edited) == model, (op, written, editor)


def test_a_copy_shares_rows_until_it_writes_one():
    grid = Grid([[{"userEnteredValue": {"stringValue": str(r)}}] for r in range(3)])
    twin = grid.copy()
    twin.set(1, 0, {"userEnteredValue": {"stringValue": "changed"}})
    assert twin.rows[0] is grid.rows[0] and twin.rows[2] is grid.rows[2]
    assert twin.rows[1] is not grid.rows[1]
    assert grid.get(1, 0) == {"userEnteredValue": {"stringValue": "1"}}
