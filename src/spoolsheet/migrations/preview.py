"""What a ChangeSet will do, before and after it is written: preview, protected regions, requests.

``simulate`` applies a ChangeSet to sheets as read, in memory, with the order and growth rules
``ChangeSet`` documents, so a migration is verified on its expected result *before* anything
is written, and on the real result after. ``regions`` are the cells that existed before a
change: the change may fill their blanks but never ``overwrites`` a value there, and after the
write they must read exactly as predicted. Their fingerprints are kept in the ledger so that a
run killed before its verification can still be verified when it is resumed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from operator import is_

from ..fingerprint import KeptHashes, differences, sheet_fingerprint
from ..formula_refs import move_cells, rename_sheet
from ..progress import scanned
from ..schema import column_letter, normalise_header
from ..values import Formula, canonical, is_blank
from ..workbook.base import Sheet, SheetInfo, trim
from ..workbook.changes import ChangeSet
from .lock import LOCK_SHEET

Region = tuple[int, int]  # (rows, cols) from A1


def moved(sheets: Mapping[str, Sheet], changes: ChangeSet) -> dict[str, Sheet]:
    """The sheets after only the renames and column moves of ``changes``: where each cell that
    existed before is when the rest of the change is written (formulas followed, as the
    backends do)."""
    if not changes.moves_structure:
        return dict(sheets)
    out = dict(sheets)
    for rn in changes.renames:
        out = {rn.new if t == rn.old else t: s for t, s in out.items()}
        out[rn.new] = Sheet(SheetInfo(rn.new, *_ids(out[rn.new].info)), out[rn.new].rows)
    grids = {t: [list(r) for r in s.rows] for t, s in out.items()}
    infos = {t: s.info for t, s in out.items()}
    for mv in changes.column_moves:
        start = mv.col - 1
        for row in grids[mv.sheet]:
            if mv.delete:
                del row[start:start + mv.count]
            elif len(row) > start:
                row[start:start] = [None] * mv.count
        info = infos[mv.sheet]
        infos[mv.sheet] = SheetInfo(info.title, info.sheet_id, info.index, info.rows,
                                    info.cols + (-mv.count if mv.delete else mv.count))
    for title, grid in grids.items():
        follow = [(r, c) for r, row in enumerate(grid) for c, v in enumerate(row)
                  if isinstance(v, Formula)]
        for r, c in follow:
            text = str(grid[r][c])
            for rn in changes.renames:
                text = rename_sheet(text, title, rn.old, rn.new)
            for mv in changes.column_moves:
                text = move_cells(text, title, mv)
            grid[r][c] = Formula(text)
    return {t: Sheet(infos[t], trim(grids[t])) for t in grids}


def _ids(info: SheetInfo) -> tuple[int, int, int, int]:
    return info.sheet_id, info.index, info.rows, info.cols


def simulate(sheets: Mapping[str, Sheet], changes: ChangeSet) -> dict[str, Sheet]:
    """The sheets as they will read after ``changes`` (values as written, not as re-read).

    Only the sheets the change writes or resizes are copied: the others are handed back as they
    are (already in read shape), which at 50,000 spools saves copying every row of every sheet."""
    sheets = moved(sheets, changes)
    touched = written(changes)
    grids = {t: [list(r) for r in scanned(s.rows)] for t, s in sheets.items() if t in touched}
    infos = {t: s.info for t, s in sheets.items()}

    def fit(title: str, rows: int, cols: int) -> None:
        info = infos[title]
        infos[title] = SheetInfo(title, info.sheet_id, info.index, max(info.rows, rows),
                                 max(info.cols, cols))

    def put(title: str, row: int, col: int, values) -> None:
        grid = grids[title]
        for r, vals in enumerate(values, start=row):
            while len(grid) < r:
                grid.append([])
            line = grid[r - 1]
            for c, v in enumerate(vals, start=col):
                line.extend([None] * (c - len(line)))
                line[c - 1] = v
        fit(title, row + len(values) - 1, col + max((len(v) for v in values), default=1) - 1)

    for new in changes.new_sheets:
        grids[new.title], infos[new.title] = [], SheetInfo(new.title, -1, len(infos), new.rows, new.cols)
    shrinks = []
    for rs in changes.resizes:
        info = infos[rs.sheet]
        rows, cols = rs.rows or info.rows, rs.cols or info.cols
        fit(rs.sheet, rows, cols)
        shrinks.append((rs.sheet, rows, cols))
    for b in changes.blocks:
        put(b.sheet, b.row, b.col, b.rows)
    for title, appended in changes.appends:
        put(title, len(trim(grids[title])) + 1, 1, appended)
    for title, rows, cols in shrinks:
        grids[title] = [r[:cols] for r in grids[title][:rows]]
        info = infos[title]
        infos[title] = SheetInfo(title, info.sheet_id, info.index, min(info.rows, rows),
                                 min(info.cols, cols))
    for title in changes.deleted_sheets:
        grids.pop(title, None)
        del infos[title]
    return {t: Sheet(infos[t], trim(grids[t])) if t in grids else sheets[t] for t in infos}


def regions(sheets: Mapping[str, Sheet], changes: ChangeSet) -> dict[str, Region]:
    """The cells of each sheet that must come through ``changes`` unchanged, where they are
    after its renames and column moves (``moved``).

    Every sheet's data, except the lock sheet (its rows change by design), sheets the change
    deletes, columns it deletes, and rows/columns a resize in the change removes on purpose.
    """
    out: dict[str, Region] = {}
    for title, sheet in moved(sheets, changes).items():
        if title == LOCK_SHEET or title in changes.deleted_sheets:
            continue
        rows, cols = len(sheet.rows), max(map(len, sheet.rows), default=0)
        for rs in changes.resizes:
            if rs.sheet == title:
                rows, cols = min(rows, rs.rows or rows), min(cols, rs.cols or cols)
        out[title] = (rows, cols)
    return out


def overwrites(sheets: Mapping[str, Sheet], changes: ChangeSet, protected: Mapping[str, Region],
               renames: Collection[Sequence[str]] = ()) -> list[str]:
    """Cells of a protected region holding a value that ``changes`` would replace; a header
    that one of ``renames`` (``[sheet, old, new]``, the migration's own) replaces is not lost."""
    out = []
    sheets = moved(sheets, changes)
    meant = {(s, normalise_header(o), normalise_header(n)) for s, o, n in renames}
    for b in changes.blocks:
        rows, cols = protected.get(b.sheet, (0, 0))
        for r, values in enumerate(b.rows, start=b.row):
            for c, value in enumerate(values, start=b.col):
                old = sheets[b.sheet].cell(r, c) if r <= rows and c <= cols else None
                if r == 1 and (b.sheet, normalise_header(old), normalise_header(value)) in meant:
                    continue
                if not is_blank(old) and canonical(old) != canonical(value):
                    out.append(f"{b.sheet}!{column_letter(c)}{r} holds {old!r}, the change "
                               f"would write {value!r}")
    return out


def cut(sheet: Sheet, region: Region) -> Sheet:
    rows, cols = region
    return Sheet(sheet.info, [r[:cols] for r in sheet.rows[:rows]])


Done = Callable[[str], None]  # told each sheet's title once it is checked (progress.counter)


def fingerprints(sheets: Mapping[str, Sheet], protected: Mapping[str, Region],
                 done: Done | None = None, hashed: KeptHashes | None = None) -> dict[str, list]:
    """``{sheet: [rows, cols, sha256]}`` of each protected region (JSON-ready, for the ledger);
    ``hashed``: what was fingerprinted already (the run's backup), not hashed again."""
    out = {}
    hashed = hashed or KeptHashes()
    for title, region in protected.items():
        out[title] = [*region, hashed.of(cut(sheets[title], region), grid=False)]
        if done is not None:
            done(title)
    return out


def _same_objects(a: Sheet, b: Sheet) -> bool:
    """Every cell of ``b`` is the very object ``a`` holds there (cells are immutable): ``b`` has
    ``a``'s fingerprint without hashing it. A backend that hands back what it wrote (.xlsx's
    kept rows) passes; one that parsed an answer (Google) fails and is fingerprinted."""
    return len(a.rows) == len(b.rows) and all(
        len(x) == len(y) and all(map(is_, x, y)) for x, y in zip(a.rows, b.rows, strict=True))


def same_sheets(expected: Mapping[str, Sheet], found: Mapping[str, Sheet],
                grown: Collection[str] = (), done: Done | None = None) -> bool:
    """``found`` holds ``expected``'s sheets in the same order (and, beyond them, only sheets
    of ``grown``), each with its grid and its very cell objects (``_same_objects``), except the
    sheets of ``grown``, whose expected rows need only be found's first rows (rows appended
    after them: the run's own ledger row and events). ``done`` hears each sheet compared."""
    if ([t for t in found if t in expected] != list(expected)
            or set(found) - set(expected) - set(grown)):
        return False
    for title, e in expected.items():
        f = found[title]
        if title in grown:
            if not _same_objects(e, Sheet(f.info, f.rows[:len(e.rows)])):
                return False
        elif (e.info.rows, e.info.cols) != (f.info.rows, f.info.cols) or not _same_objects(e, f):
            return False
        if done is not None:
            done(title)
    return True


def as_predicted(predicted: Mapping[str, Sheet], after: Mapping[str, Sheet], record: ChangeSet,
                 looked_at: Collection[str], done: Done | None = None) -> bool:
    """``after`` (read back) is ``predicted`` (the plan's expected result, checked before the
    write), so a check of it would say what that check said and every protected region of it
    is as fingerprinted: ``same_sheets``, where only the sheets the run's ``record`` alone
    writes (its ledger row and event; a migration's checks look at ``looked_at``, the sheets
    its operations name and its change writes) may have grown. Checks are pure functions of
    titles, grids and cells (sheet ids are the backend's)."""
    return same_sheets(predicted, after, written(record) - set(looked_at), done)


def written(changes: ChangeSet) -> set[str]:
    """The sheets ``changes`` writes cells of, grows or shrinks, or adds."""
    return ({b.sheet for b in changes.blocks} | {t for t, _ in changes.appends}
            | {rs.sheet for rs in changes.resizes} | {n.title for n in changes.new_sheets})


def region_problems(expected: Mapping[str, list], after: Mapping[str, Sheet],
                    predicted: Mapping[str, Sheet] | None = None,
                    done: Done | None = None) -> list[str]:
    """Every protected region not as expected, naming the first cells when ``predicted`` (the
    sheets ``expected`` was fingerprinted from) is at hand; a region whose cells are
    ``predicted``'s very objects is as expected without hashing it."""
    problems = []
    for title, (rows, cols, digest) in expected.items():
        if title not in after:
            problems.append(f"sheet {title!r} is gone")
            continue
        found = cut(after[title], (rows, cols))
        same = ((predicted is not None and title in predicted
                 and _same_objects(cut(predicted[title], (rows, cols)), found))
                or sheet_fingerprint(found, grid=False) == digest)
        if done is not None:
            done(title)
        if same:
            continue
        where = f"A1:{column_letter(max(cols, 1))}{max(rows, 1)}"
        if predicted is not None and title in predicted:
            diffs = differences(cut(predicted[title], (rows, cols)),
                                cut(after[title], (rows, cols)), limit=5)
            problems.append(f"sheet {title!r}: cells that existed before changed: "
                            + "; ".join(map(str, diffs)))
        else:
            problems.append(f"sheet {title!r}: cells that existed before ({where}) changed")
    return problems


def describe(changes: ChangeSet, sheets: Mapping[str, Sheet]) -> list[str]:
    """The requests inside the one atomic write ``changes`` becomes, as an admin reads them."""
    out = [f"add sheet {n.title!r} ({n.rows}x{n.cols})" for n in changes.new_sheets]
    out += [f"rename sheet {r.old!r} to {r.new!r}" for r in changes.renames]
    for mv in changes.column_moves:
        cols = (column_letter(mv.col) if mv.count == 1
                else f"{column_letter(mv.col)}..{column_letter(mv.col + mv.count - 1)}")
        out.append(f"{'delete' if mv.delete else 'insert'} column(s) {cols} of {mv.sheet!r}"
                   + ("" if mv.delete else " (the columns from there move right)"))
    for rs in changes.resizes:  # only the dimensions it sets: the rest may grow meanwhile
        cur = sheets[rs.sheet].info if rs.sheet in sheets else None
        dims = [f"{what} from {was} to {now}" if cur else f"{what} to {now}"
                for what, was, now in (("rows", cur.rows if cur else 0, rs.rows),
                                       ("columns", cur.cols if cur else 0, rs.cols))
                if now is not None]
        out.append(f"resize {rs.sheet!r}: " + ", ".join(dims))
    by_sheet: dict[str, list[int]] = {}
    for b in changes.blocks:
        by_sheet.setdefault(b.sheet, []).append(sum(len(r) for r in b.rows))
    for title, counts in by_sheet.items():
        out.append(f"update {sum(counts):,} cell(s) of {title!r} in {len(counts)} block(s)")
    for title, appended in changes.appends:
        out.append(f"append {len(appended)} row(s) to {title!r}")
    out += [f"number format {f.pattern!r} on {f.sheet!r} from {column_letter(f.col)}{f.row}"
            for f in changes.number_formats]
    out += [f"delete sheet {t!r}" for t in changes.deleted_sheets]
    return out
