"""Formulas evaluated as Google Sheets evaluates them, for the part of the language the shop's
sheets use (docs/fake_google.md, "Formulas").

A formula is parsed once per text (cached) into a small tree of tuples, then evaluated by an
``Evaluator`` that belongs to one read of one committed spreadsheet: committed spreadsheets are
never edited again (writes work on copies), so within a read every formula text of a sheet has
one result, and every range one vector of values. Criteria functions (COUNTIF(S), SUMIF(S)) look
equality criteria up in an index of their range built once per read, so 2,500 rows of
``=COUNTIF(Uniones!D:D, F2)`` cost one pass over the column, not 2,500.

Values while evaluating: None (an empty cell), int/float, str, bool, ``CellError``; a reference
to more than one cell is an ``Area``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import a1
from .a1 import Box
from .values import ERROR_CODES, format_automatic, number, parse_user_entered

if TYPE_CHECKING:
    from .state import Sheet, Spreadsheet

# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """A Sheets error value: ``kind`` is the API's ErrorType (NAME, DIVIDE_BY_ZERO, ...)."""

    kind: str
    message: str

    @property
    def code(self) -> str:
        return ERROR_CODES[self.kind]


class Raised(Exception):
    """An error value on its way out of an expression (most operations propagate the first)."""

    def __init__(self, error: CellError):
        super().__init__(error.message)
        self.error = error


def fail(kind: str, message: str) -> Raised:
    return Raised(CellError(kind, message))


@dataclass(frozen=True)
class Area:
    """A reference to a box of cells of one sheet (bounds 0-based, half-open)."""

    sheet: Sheet
    box: Box

    @property
    def shape(self) -> tuple[int, int]:
        row0, col0, row1, col1 = self.box
        return row1 - row0, col1 - col0


Scalar = None | int | float | str | bool | CellError
Value = Scalar | Area
PARSE_ERROR = CellError("ERROR", "Formula parse error.")

# --- parsing -----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<error>\#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|ERROR!))
  | (?P<ref>
      (?:(?P<sheet>'(?:[^']|'')+'|[^\W\d][\w.]*)!)?
      (?P<start>\$?[A-Za-z]{1,3}\$?[0-9]+|\$?[A-Za-z]{1,3}(?=:)|\$?[0-9]+(?=:))
      (?::(?P<end>\$?[A-Za-z]{1,3}\$?[0-9]+|\$?[A-Za-z]{1,3}|\$?[0-9]+))?
      (?![\w.(!:]))
  | (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[^\W\d][\w.]*)
  | (?P<op><=|>=|<>|[-+*/^&=<>%(),])
    """,
    re.VERBOSE,
)

# Binary operators: precedence (higher binds tighter), all left-associative as in Sheets.
_BINARY = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}
# Unary + and - bind tighter than any binary operator (=-2^2 is 4), % (postfix) tighter still.

Node = tuple[Any, ...]


class _ParseError(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _ParseError(text[pos:])
        pos = match.end()
        kind = match.lastgroup
        if kind in ("sheet", "start", "end"):  # an inner group of ref matched last
            kind = "ref"
        if kind == "ws":
            continue
        if kind == "ref":
            sheet = match["sheet"]
            if sheet is not None and sheet.startswith("'"):
                sheet = sheet[1:-1].replace("''", "'")
            cells = match["start"] + (":" + match["end"] if match["end"] else "")
            try:
                bounds = a1.parse_cells(cells.replace("$", ""))
            except ValueError:
                raise _ParseError(cells) from None
            tokens.append(("ref", (sheet, bounds)))
        elif kind == "string":
            tokens.append(("str", match[kind][1:-1].replace('""', '"')))
        else:
            tokens.append((kind or "", match[kind or ""]))
    tokens.append(("end", None))
    return tokens


class _Parser:
    """Precedence climbing over the token list."""

    def __init__(self, tokens: list[tuple[str, Any]]):
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, Any]:
        return self.tokens[self.pos]

    def take(self) -> tuple[str, Any]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, op: str) -> None:
        if self.take() != ("op", op):
            raise _ParseError(op)

    def expression(self, floor: int = 0) -> Node:
        left = self.unary()
        while True:
            kind, text = self.peek()
            if kind == "op" and text == "%":
                self.take()
                left = ("percent", left)
                continue
            precedence = _BINARY.get(text) if kind == "op" else None
            if precedence is None or precedence <= floor:
                return left
            self.take()
            left = ("binary", text, left, self.expression(precedence))

    def unary(self) -> Node:
        kind, text = self.peek()
        if kind == "op" and text in ("+", "-"):
            self.take()
            operand = self.unary()
            while self.peek() == ("op", "%"):
                self.take()
                operand = ("percent", operand)
            return ("unary", text, operand)
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return ("literal", number(float(value))["numberValue"])
        if kind == "str":
            return ("literal", value)
        if kind == "error":
            return (
                "literal",
                next(CellError(k, f"{value} literal") for k, c in ERROR_CODES.items() if c == value),
            )
        if kind == "ref":
            return ("ref", *value)
        if kind == "name":
            if self.peek() == ("op", "("):
                self.take()
                return ("call", value.upper(), self.arguments())
            if value.upper() in ("TRUE", "FALSE"):
                return ("literal", value.upper() == "TRUE")
            return ("name", value)
        if (kind, value) == ("op", "("):
            inner = self.expression()
            self.expect(")")
            return inner
        raise _ParseError(str(value))

    def arguments(self) -> list[Node]:
        args: list[Node] = []
        if self.peek() == ("op", ")"):
            self.take()
            return args
        while True:
            if self.peek() in (("op", ","), ("op", ")")):
                args.append(("omitted",))
            else:
                args.append(self.expression())
            kind, text = self.take()
            if (kind, text) == ("op", ")"):
                return args
            if (kind, text) != ("op", ","):
                raise _ParseError(str(text))


@functools.lru_cache(maxsize=65536)
def parse(formula: str) -> Node:
    """``=...`` -> tree; a formula Sheets cannot parse is the #ERROR! literal."""
    try:
        parser = _Parser(_tokens(formula[1:]))
        tree = parser.expression()
        if parser.peek()[0] != "end":
            raise _ParseError(str(parser.peek()[1]))
    except (_ParseError, RecursionError):
        return ("literal", PARSE_ERROR)
    return tree


# --- coercions ---------------------------------------------------------------------------------


def _number_of_text(text: str) -> float | None:
    """Text as a number the way Sheets coerces it (numbers, percentages, dates), else None."""
    entered, _ = parse_user_entered(text, "en_US")
    value = entered.get("numberValue")
    return None if value is None else value


def to_number(value: Scalar, function: str, position: int) -> float:
    if isinstance(value, CellError):
        raise Raised(value)
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if value == "":
        return 0
    coerced = _number_of_text(value)
    if coerced is None:
        raise fail(
            "VALUE",
            f"Function {function} parameter {position} expects number values. "
            f"But '{value}' is a text and cannot be coerced to a number.",
        )
    return coerced


def to_text(value: Scalar) -> str:
    if isinstance(value, CellError):
        raise Raised(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return format_automatic(value)
    return value


def to_bool(value: Scalar, function: str, position: int) -> bool:
    if isinstance(value, CellError):
        raise Raised(value)
    if value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return bool(value)
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    raise fail(
        "VALUE",
        f"Function {function} parameter {position} expects boolean values. "
        f"But '{value}' is a text and cannot be coerced to a boolean.",
    )


def _rank(value: Scalar) -> tuple[int, Any]:
    """Sheets' order across types: numbers < text < booleans; text ignores case."""
    if isinstance(value, bool):
        return 2, value
    if isinstance(value, str):
        return 1, value.casefold()
    return 0, value


def compare(op: str, left: Scalar, right: Scalar) -> bool:
    for side in (left, right):
        if isinstance(side, CellError):
            raise Raised(side)
    if left is None:  # an empty cell is 0, "" or FALSE, whatever it is compared with
        left = "" if isinstance(right, str) else False if isinstance(right, bool) else 0
    if right is None:
        right = "" if isinstance(left, str) else False if isinstance(left, bool) else 0
    a, b = _rank(left), _rank(right)
    return {
        "=": a == b,
        "<>": a != b,
        "<": a < b,
        ">": a > b,
        "<=": a <= b,
        ">=": a >= b,
    }[op]


_ARITHMETIC: dict[str, tuple[str, Callable[[float, float], float]]] = {
    "+": ("ADD", lambda a, b: a + b),
    "-": ("MINUS", lambda a, b: a - b),
    "*": ("MULTIPLY", lambda a, b: a * b),
    "/": ("DIVIDE", lambda a, b: a / b),
    "^": ("POW", lambda a, b: a**b),
}


def _finite(value: Any) -> int | float:
    if isinstance(value, complex) or not math.isfinite(value):
        raise fail("NUM", "The result is not a finite number.")
    return number(value)["numberValue"]


# --- criteria (COUNTIF, SUMIF and friends) ------------------------------------------------------

_OPERATOR = re.compile(r"^(<=|>=|<>|=|<|>)?(.*)$", re.DOTALL)


def _key(value: Scalar) -> tuple[str, Any] | None:
    """What equality criteria compare: numbers by value, text without case, booleans."""
    if isinstance(value, bool):
        return "b", value
    if isinstance(value, (int, float)):
        return "n", float(value)
    if isinstance(value, str) and value != "":
        return "s", value.casefold()
    return None


def _wildcards(text: str) -> re.Pattern[str] | None:
    """``*`` any run, ``?`` one character, ``~`` escapes; None when there are none."""
    if not re.search(r"(?<!~)[*?]", text):
        return None
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "~" and i + 1 < len(text) and text[i + 1] in "*?~":
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Criterion:
    """One criterion: ``test`` for any cell value; ``key`` when it is plain equality (indexable)."""

    test: Callable[[Scalar], bool]
    key: tuple[str, Any] | None = None


def criterion(value: Scalar) -> Criterion:
    """A COUNTIF-style criterion: a value means "equal to it"; text may start with an operator
    (``">0"``, ``"<>"``, ``"=x"``) and use wildcards; ``""`` matches empty cells."""
    if isinstance(value, CellError):
        raise Raised(value)
    if value is None:
        value = 0  # a reference to an empty cell is taken as 0
    if not isinstance(value, str):
        key = _key(value)
        return Criterion(lambda cell: _key(cell) == key, key)
    match = _OPERATOR.match(value)
    assert match is not None
    op, operand = match[1] or "=", match[2]
    if operand == "":
        blank = op == "="
        return Criterion(lambda cell: (cell is None or cell == "") == blank)
    entered, _ = parse_user_entered(operand, "en_US")
    target: Scalar = entered.get("numberValue", entered.get("boolValue", operand))
    if op in ("=", "<>"):
        pattern = _wildcards(operand) if isinstance(target, str) else None
        if pattern is None:
            key = _key(target.replace("~*", "*").replace("~?", "?") if isinstance(target, str) else target)
            if op == "=":
                return Criterion(lambda cell: _key(cell) == key, key)
            return Criterion(lambda cell: _key(cell) != key)
        regex = pattern

        def found(cell: Scalar) -> bool:
            return isinstance(cell, str) and bool(regex.fullmatch(cell))

        return Criterion(found if op == "=" else lambda cell: not found(cell))
    numeric = isinstance(target, (int, float)) and not isinstance(target, bool)

    def ordered(cell: Scalar) -> bool:
        if numeric:
            if not isinstance(cell, (int, float)) or isinstance(cell, bool):
                return False
        elif not isinstance(cell, type(target)):
            return False
        return compare(op, cell, target)

    return Criterion(ordered)


# --- evaluation --------------------------------------------------------------------------------

CIRCULAR = CellError(
    "REF", "Circular dependency detected. To resolve with iterative calculation, see File > Settings."
)


class Evaluator:
    """Evaluates formulas of one committed spreadsheet (None: formulas without references)."""

    def __init__(self, spreadsheet: Spreadsheet | None):
        self.spreadsheet = spreadsheet
        self._results: dict[tuple[int, str], Scalar] = {}
        self._active: set[tuple[int, str]] = set()
        self._vectors: dict[tuple[int, Box], list[Scalar]] = {}
        self._indexes: dict[tuple[int, Box], dict[tuple[str, Any], list[int]]] = {}

    # the results of formula cells

    def result(self, sheet: Sheet | None, formula: str) -> Scalar:
        """The value of ``formula`` written in ``sheet`` (None: an empty result)."""
        key = (-1 if sheet is None else sheet.sheet_id, formula)
        if key in self._results:
            return self._results[key]
        if key in self._active:
            return CIRCULAR
        self._active.add(key)
        try:
            value = self._scalar(self.eval(parse(formula), sheet))
        except Raised as raised:
            value = raised.error
        except RecursionError:
            value = CellError("ERROR", "The formula is nested too deeply for the fake.")
        finally:
            self._active.discard(key)
        if isinstance(value, float):
            value = number(value)["numberValue"] if math.isfinite(value) else CellError("NUM", "Not finite.")
        self._results[key] = value
        return value

    def effective(self, sheet: Sheet | None, formula: str) -> dict[str, Any] | None:
        """The ``effectiveValue`` of a formula cell, None when its result is empty."""
        return effective_of(self.result(sheet, formula))

    def bound(self, sheet: Sheet | None) -> Callable[[str], dict[str, Any] | None]:
        """``effective`` for formulas of one sheet, the shape ``values.render`` takes."""
        return functools.partial(self.effective, sheet)

    def cell(self, sheet: Sheet, cell: dict[str, Any]) -> Scalar:
        entered = cell.get("userEnteredValue")
        if not entered:
            return None
        ((kind, value),) = entered.items()
        if kind == "formulaValue":
            return self.result(sheet, value)
        return value

    def vector(self, area: Area) -> list[Scalar]:
        """The values of an area, row by row (empty cells as None)."""
        key = (area.sheet.sheet_id, area.box)
        vector = self._vectors.get(key)
        if vector is None:
            row0, col0, row1, col1 = area.box
            rows = area.sheet.grid.rows
            vector = []
            for r in range(row0, row1):
                cells = rows[r] if r < len(rows) else ()
                for c in range(col0, col1):
                    cell = cells[c] if c < len(cells) else None
                    vector.append(self.cell(area.sheet, cell) if cell else None)
            self._vectors[key] = vector
        return vector

    def index(self, area: Area) -> dict[tuple[str, Any], list[int]]:
        """Positions of each equality key in an area's vector, for criteria."""
        key = (area.sheet.sheet_id, area.box)
        index = self._indexes.get(key)
        if index is None:
            index = {}
            for position, value in enumerate(self.vector(area)):
                found = _key(value)
                if found is not None:
                    index.setdefault(found, []).append(position)
            self._indexes[key] = index
        return index

    # expressions

    def _scalar(self, value: Value) -> Scalar:
        """One value where one is expected: a one-cell area is its cell."""
        if isinstance(value, Area):
            if value.shape != (1, 1):
                raise fail("VALUE", "An array value could not be found (array results are not modelled).")
            return self.vector(value)[0]
        return value

    def scalar(self, node: Node, sheet: Sheet | None) -> Scalar:
        return self._scalar(self.eval(node, sheet))

    def eval(self, node: Node, sheet: Sheet | None) -> Value:
        kind = node[0]
        if kind == "literal":
            return node[1]
        if kind == "ref":
            return self._area(node[1], node[2], sheet)
        if kind == "binary":
            return self._binary(node[1], self.scalar(node[2], sheet), self.scalar(node[3], sheet))
        if kind == "unary":
            operand = to_number(self.scalar(node[2], sheet), "UMINUS" if node[1] == "-" else "UPLUS", 1)
            return -operand if node[1] == "-" else operand
        if kind == "percent":
            return to_number(self.scalar(node[1], sheet), "UNARY_PERCENT", 1) / 100
        if kind == "call":
            function = FUNCTIONS.get(node[1])
            if function is None:
                raise fail("NAME", f"Unknown function: '{node[1]}'.")
            low, high = ARITY[node[1]]
            if not low <= len(node[2]) <= (high if high is not None else len(node[2])):
                expected = low if low == high else f"between {low} and {high}" if high else f"at least {low}"
                raise fail(
                    "N_A",
                    f"Wrong number of arguments to {node[1]}. "
                    f"Expected {expected} arguments, but got {len(node[2])} arguments.",
                )
            return function(self, sheet, node[2])
        if kind == "name":
            return self._named(node[1])
        if kind == "omitted":
            return None
        raise AssertionError(kind)

    def _binary(self, op: str, left: Scalar, right: Scalar) -> Scalar:
        if op in ("=", "<>", "<", ">", "<=", ">="):
            return compare(op, left, right)
        if op == "&":
            return to_text(left) + to_text(right)
        name, apply = _ARITHMETIC[op]
        a, b = to_number(left, name, 1), to_number(right, name, 2)
        if op == "/" and b == 0:
            raise fail("DIVIDE_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero.")
        try:
            return _finite(apply(a, b))
        except (OverflowError, ZeroDivisionError):
            raise fail("NUM", f"Function {name} result is not a finite number.") from None

    def _sheet(self, title: str | None, here: Sheet | None) -> Sheet:
        if title is None:
            if here is None:
                raise fail("REF", "A reference needs a sheet.")
            return here
        sheets = self.spreadsheet.sheets if self.spreadsheet is not None else []
        found = next((s for s in sheets if s.title == title), None) or next(
            (s for s in sheets if s.title.casefold() == title.casefold()), None
        )
        if found is None:
            raise fail("REF", f"Unresolved sheet name '{title}'.")
        return found

    def _area(self, title: str | None, bounds: tuple[Any, ...], here: Sheet | None) -> Area:
        sheet = self._sheet(title, here)
        row0, col0, row1, col1, _ = bounds
        return Area(sheet, a1.A1(None, row0, col0, row1, col1).box(sheet.row_count, sheet.col_count))

    def _named(self, name: str) -> Area:
        ranges = self.spreadsheet.named_ranges if self.spreadsheet is not None else []
        named = next((n for n in ranges if n.name.casefold() == name.casefold()), None)
        sheet = (
            None
            if named is None or self.spreadsheet is None
            else self.spreadsheet.sheet_by_id(named.sheet_id)
        )
        if named is None or sheet is None:
            raise fail("NAME", f"Unknown range name: '{name}'.")
        return Area(sheet, named.box)

    # helpers for functions

    def values(self, args: list[Node], sheet: Sheet | None) -> Iterator[tuple[Value, bool]]:
        """Each argument's value, with "came from a range" (functions treat those differently)."""
        for arg in args:
            value = self.eval(arg, sheet)
            if isinstance(value, Area):
                for item in self.vector(value):
                    yield item, True
            else:
                yield value, False

    def area(self, node: Node, sheet: Sheet | None, function: str) -> Area:
        value = self.eval(node, sheet)
        if not isinstance(value, Area):
            raise fail("N_A", f"Argument must be a range. ({function})")
        return value

    def matching(self, pairs: list[tuple[Area, Criterion]], function: str) -> list[int]:
        """Positions (in each area's vector) where every criterion holds."""
        shape = pairs[0][0].shape
        if any(area.shape != shape for area, _ in pairs):
            raise fail("VALUE", f"Array arguments to {function} are of different size.")
        keyed = next((i for i, (_, c) in enumerate(pairs) if c.key is not None), None)
        candidates: list[int] | range = range(shape[0] * shape[1])
        if keyed is not None:
            area, found = pairs[keyed]
            candidates = self.index(area).get(found.key, []) if found.key else []
        checks = [(self.vector(area), c.test) for i, (area, c) in enumerate(pairs) if i != keyed]
        return [p for p in candidates if all(test(vector[p]) for vector, test in checks)]


def effective_of(value: Scalar) -> dict[str, Any] | None:
    """An evaluated value as an API ``effectiveValue``."""
    if value is None:
        return None
    if isinstance(value, CellError):
        return {"errorValue": {"type": value.kind, "message": value.message}}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return number(value)
    return {"stringValue": value}


def evaluate(formula: str) -> Scalar:
    """A formula without references (``=3/2`` -> 1.5), for tests and literal arithmetic."""
    return Evaluator(None).result(None, formula)


# --- functions ---------------------------------------------------------------------------------

Function = Callable[[Evaluator, "Sheet | None", list[Node]], Value]


def _sum(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Scalar:
    total: float = 0
    for position, (value, ranged) in enumerate(ev.values(args, sheet), 1):
        if isinstance(value, CellError):
            raise Raised(value)
        if ranged and (isinstance(value, (str, bool)) or value is None):
            continue  # text, booleans and blanks in ranges are skipped
        total += to_number(value, "SUM", position)  # type: ignore[arg-type]
    return _finite(total)


def _count(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Scalar:
    count = 0
    for value, ranged in ev.values(args, sheet):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            count += 1
        elif not ranged and isinstance(value, (bool, str)):
            count += isinstance(value, bool) or _number_of_text(value) is not None
    return count


def _counta(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Scalar:
    return sum(1 for value, ranged in ev.values(args, sheet) if not (ranged and value is None))


def _pairs(
    ev: Evaluator, sheet: Sheet | None, args: list[Node], function: str
) -> list[tuple[Area, Criterion]]:
    if len(args) % 2:
        raise fail("N_A", f"Wrong number of arguments to {function}: ranges and criteria come in pairs.")
    return [
        (ev.area(args[i], sheet, function), criterion(ev.scalar(args[i + 1], sheet)))
        for i in range(0, len(args), 2)
    ]


def _countif(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Scalar:
    return len(ev.matching(_pairs(ev, sheet, args, "COUNTIF"), "COUNTIF"))


def _countifs(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Scalar:
    return len(ev.matching(_pairs(ev, sheet, args, "COUNTIFS"), "COUNTIFS"))


def _add_up(ev: Evaluator, area: Area, positions: list[int]) -> Scalar:
    vector = ev.vector(area)
    total: float = 0
    for p in positions:
        value = vector[p]
        if isinstance(value, CellError):
            raise Raised(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total += value
    return _finite(total)


def _sumif(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Scalar:
    pairs = _pairs(ev, sheet, args[:2], "SUMIF")
    area = pairs[0][0]
    if len(args) == 3:  # the sum range takes the criteria range's shape from its corner
        given = ev.area(args[2], sheet, "SUMIF")
        height, width = area.shape
        area = Area(given.sheet, (given.box[0], given.box[1], given.box[0] + height, given.box[1] + width))
    return _add_up(ev, area, ev.matching(pairs, "SUMIF"))


def _sumifs(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Scalar:
    target = ev.area(args[0], sheet, "SUMIFS")
    pairs = _pairs(ev, sheet, args[1:], "SUMIFS")
    if any(area.shape != target.shape for area, _ in pairs):
        raise fail("VALUE", "Array arguments to SUMIFS are of different size.")
    return _add_up(ev, target, ev.matching(pairs, "SUMIFS"))


def _if(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Value:
    if to_bool(ev.scalar(args[0], sheet), "IF", 1):
        return ev.eval(args[1], sheet)
    return ev.eval(args[2], sheet) if len(args) == 3 else False


def _iferror(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Value:
    try:
        value = ev.scalar(args[0], sheet)
    except Raised:
        value = CellError("ERROR", "")
    if isinstance(value, CellError):
        return ev.eval(args[1], sheet) if len(args) == 2 else None
    return value


def _and(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Scalar:
    return all([to_bool(v, "AND", i) for i, (v, _) in enumerate(ev.values(args, sheet), 1)])  # type: ignore[arg-type]


def _or(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Scalar:
    return any([to_bool(v, "OR", i) for i, (v, _) in enumerate(ev.values(args, sheet), 1)])  # type: ignore[arg-type]


def _not(ev: Evaluator, sheet: Sheet | None, args: list[Node]) -> Scalar:
    return not to_bool(ev.scalar(args[0], sheet), "NOT", 1)


def _bool(value: bool) -> Function:
    return lambda ev, sheet, args: value


FUNCTIONS: dict[str, Function] = {
    "SUM": _sum,
    "COUNT": _count,
    "COUNTA": _counta,
    "COUNTIF": _countif,
    "COUNTIFS": _countifs,
    "SUMIF": _sumif,
    "SUMIFS": _sumifs,
    "IF": _if,
    "IFERROR": _iferror,
    "AND": _and,
    "OR": _or,
    "NOT": _not,
    "TRUE": _bool(True),
    "FALSE": _bool(False),
}
# (fewest, most) arguments; None = no upper bound
ARITY: dict[str, tuple[int, int | None]] = {
    "SUM": (1, None),
    "COUNT": (1, None),
    "COUNTA": (1, None),
    "COUNTIF": (2, 2),
    "COUNTIFS": (2, None),
    "SUMIF": (2, 3),
    "SUMIFS": (3, None),
    "IF": (2, 3),
    "IFERROR": (1, 2),
    "AND": (1, None),
    "OR": (1, None),
    "NOT": (1, 1),
    "TRUE": (0, 0),
    "FALSE": (0, 0),
}
