"""A sheet part as the writer keeps it between writes: its XML, where each row lies, its grid,
and the compressed form it has in the file.

A state change touches one or two rows of parts that hold megabytes of XML. Decompressing,
indexing and deflating them again on every write is what cost the long-lived service hundreds
of milliseconds per change; a ``SheetPart`` is made once per file version and, after a write,
follows from the splices the writer made (``spliced``), so the next write starts from it.

The compressed form is a run of independent deflate segments, each ended by a full flush (byte
aligned, no reference to earlier data), then one empty final block: any zip reader sees one
ordinary deflate stream, and a splice recompresses only the segments it touches. The member's
CRC-32 is combined from the segments' CRCs (``crc32_combine``, zlib's algorithm).
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import pairwise

CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"')
_CELL_START = b'<c r="'
_ROW_END = re.compile(rb"</row>")
_ROW = re.compile(rb"<row\b([^>]*?)(/?)>")
_R_NUM = re.compile(rb'\sr="(\d+)"')
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData\b[^>]*>")
#: zlib level of rewritten segments: level 1 is ~3 x faster than the default for a part ~15 %
#: larger, and a write recompresses a few segments, so the level costs little either way.
COMPRESS_LEVEL = 1
#: A part is cut into about this many segments (none under ``MIN_SEGMENT`` bytes): a write
#: recompresses the ones it touches and combines every segment's CRC.
SEGMENTS = 64
MIN_SEGMENT = 128 * 1024
_FINAL_BLOCK = b"\x03\x00"  # an empty final fixed-Huffman block: the end of the stream

Span = tuple[int, int, int]  # (row number, start, end) of a <row> element
Splice = tuple[int, int, bytes]  # old bytes [start, end) replaced by these


def row_spans(xml: bytes, start: int, end: int) -> list[Span]:
    """(row number, start, end) of every ``<row>`` element between start and end."""
    out: list[Span] = []
    number = 0
    pos = start
    while True:
        m = _ROW.search(xml, pos, end)
        if m is None:
            return out
        r = _R_NUM.search(m[1])
        number = int(r[1]) if r else number + 1
        if m[2]:
            stop = m.end()
        else:
            close = xml.find(b"</row>", m.end(), end)
            if close < 0:
                raise ValueError(f"row {number} is not closed")
            stop = close + 6
        out.append((number, m.start(), stop))
        pos = stop


def column_index(letters: bytes | str) -> int:
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + ch - 64
    return n


def grid_of(xml: bytes) -> tuple[int, int]:
    """The extent of the cell elements (openpyxl's max_row × max_column; 1 × 1 when empty).

    Cells are in row order and, within a row, in column order (the format requires it), so the
    last cell of the part gives the rows and the last cell of each row the columns.
    """
    last = xml.rfind(_CELL_START)
    if last < 0:
        return 1, 1
    m = CELL_REF.match(xml, last)
    if m is None:
        return _grid_slow(xml)
    rows = int(m[2])
    best = b""
    start = 0
    for end in _ROW_END.finditer(xml):
        i = xml.rfind(_CELL_START, start, end.start())
        start = end.end()
        if i >= 0:
            j = i + 6
            k = j
            while 65 <= xml[k] <= 90:
                k += 1
            letters = xml[j:k]
            if len(letters) > len(best) or (len(letters) == len(best) and letters > best):
                best = letters
    return rows, max(column_index(best), 1) if best else 1


def _grid_slow(xml: bytes) -> tuple[int, int]:
    refs = CELL_REF.findall(xml)
    if not refs:
        return 1, 1
    return max(int(r) for _, r in refs), max(column_index(c) for c, _ in refs)


@dataclass(frozen=True)
class Segment:
    size: int  # uncompressed bytes
    crc: int
    data: bytes  # raw deflate, ended by a full flush


class SheetPart:
    """One version of a sheet part's XML, with what the writer needs of it computed once."""

    def __init__(self, xml: bytes) -> None:
        data = _SHEET_DATA.search(xml)
        if data is not None and data[0].endswith(b"/>"):  # an empty sheet: give it a body
            xml = xml[:data.start()] + data[0][:-2].rstrip() + b"></sheetData>" + xml[data.end():]
            data = _SHEET_DATA.search(xml)
        self.xml = xml
        self.data = data  # the <sheetData> open tag; None when the part is not in plain form
        self.segments: list[Segment] | None = None  # known only for parts this process wrote

    @cached_property
    def body(self) -> tuple[int, int]:
        """Where the rows lie: between ``<sheetData>`` and ``</sheetData>``."""
        assert self.data is not None
        end = self.xml.find(b"</sheetData>", self.data.end())
        if end < 0:
            raise ValueError("sheetData is not closed")
        return self.data.end(), end

    @cached_property
    def rows(self) -> list[Span]:
        return row_spans(self.xml, *self.body)

    @cached_property
    def ordered(self) -> bool:
        """Rows in strictly rising order, as the format requires (and ``find`` relies on)."""
        rows = self.rows
        return all(a[0] < b[0] for a, b in pairwise(rows))

    @cached_property
    def grid(self) -> tuple[int, int]:
        return grid_of(self.xml)

    def find(self, number: int) -> int:
        """Index in ``rows`` of row ``number``, or of the first row after it."""
        return bisect_left(self.rows, number, key=lambda span: span[0])

    def spliced(self, splices: list[Splice], grid: tuple[int, int]) -> SheetPart:
        """This part with ``splices`` (sorted, not overlapping, whole rows) made: the new XML,
        its row index and segments derived from these without scanning the rest again."""
        pieces: list[bytes | memoryview] = []
        view = memoryview(self.xml)
        at = 0
        for start, end, new in splices:
            pieces += [view[at:start], new]
            at = end
        pieces.append(view[at:])
        new_part = SheetPart.__new__(SheetPart)
        new_part.xml = b"".join(pieces)
        new_part.data = data = _SHEET_DATA.search(new_part.xml)
        assert data is not None  # splices never touch the sheetData tag
        new_part.__dict__["grid"] = grid
        new_part.__dict__["body"] = (data.end(),
                                     _moved(self.body[1], splices, inclusive=True))
        if "rows" in self.__dict__:
            new_part.__dict__["rows"] = self._rows_after(splices, new_part.xml)
            new_part.__dict__["ordered"] = self.ordered
        new_part.segments = (_resegmented(self.segments, splices, new_part.xml)
                             if self.segments is not None else None)
        return new_part

    def _rows_after(self, splices: list[Splice], new_xml: bytes) -> list[Span]:
        """The row index after the splices: rows between them moved, theirs found in the new
        bytes. Rows keep their order: the writer puts a new row before the first higher one."""
        rows = self.rows
        out: list[Span] = []
        i = shift = 0
        for start, end, new in splices:
            j = bisect_left(rows, start, lo=i, key=_start)
            out += _shifted(rows[i:j], shift)
            i = bisect_left(rows, end, lo=j, key=_start) if end > start else j  # replaced
            out += row_spans(new_xml, start + shift, start + shift + len(new))
            shift += len(new) - (end - start)
        out += _shifted(rows[i:], shift)
        return out

    def compressed(self) -> tuple[list[bytes], int, int]:
        """The deflate stream's pieces, its CRC-32 and uncompressed size (segments made on
        first use)."""
        if self.segments is None:
            self.segments = _segments(self.xml, 0, len(self.xml))
        crc = 0
        for seg in self.segments:
            crc = crc32_combine(crc, seg.crc, seg.size)
        return [s.data for s in self.segments] + [_FINAL_BLOCK], crc, len(self.xml)


def _start(span: Span) -> int:
    return span[1]


def _shifted(rows: list[Span], shift: int) -> list[Span]:
    return rows if not shift else [(number, s + shift, e + shift) for number, s, e in rows]


def _moved(offset: int, splices: list[Splice], *, inclusive: bool) -> int:
    """Where an old offset lies after the splices (those starting at it count if inclusive)."""
    moved = offset
    for start, end, new in splices:
        if start > offset or (start == offset and not inclusive):
            break
        moved += len(new) - (end - start)
    return moved


def _segments(xml: bytes, start: int, end: int) -> list[Segment]:
    size = max(MIN_SEGMENT, len(xml) // SEGMENTS)
    count = max(1, (end - start) // size)
    bounds = [start + k * (end - start) // count for k in range(count)] + [end]
    out = []
    view = memoryview(xml)
    for a, b in pairwise(bounds):
        raw = view[a:b]
        z = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        out.append(Segment(b - a, zlib.crc32(raw), z.compress(raw) + z.flush(zlib.Z_FULL_FLUSH)))
    return out


def _resegmented(old: list[Segment], splices: list[Splice], new_xml: bytes) -> list[Segment]:
    """Segments of the new XML: those no splice touches kept as they were, each run of touched
    ones compressed again from the new bytes."""
    starts = [0]
    for seg in old:
        starts.append(starts[-1] + seg.size)
    dirty: set[int] = set()
    for start, end, _ in splices:
        lo = min(bisect_right(starts, start) - 1, len(old) - 1)
        hi = max(lo, bisect_left(starts, end) - 1)
        dirty.update(range(lo, hi + 1))
    out: list[Segment] = []
    k = 0
    while k < len(old):
        if k not in dirty:
            out.append(old[k])
            k += 1
            continue
        first = k
        while k in dirty:
            k += 1
        out += _segments(new_xml, _moved(starts[first], splices, inclusive=False),
                         _moved(starts[k], splices, inclusive=True))
    return out


# --- CRC-32 of concatenated data (zlib's crc32_combine: multiplication modulo its polynomial) ---

_POLY = 0xEDB88320


def _multmodp(a: int, b: int) -> int:
    m = 1 << 31
    p = 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


_X2N = [1 << 30]  # x^(2^k) modulo the polynomial
for _ in range(31):
    _X2N.append(_multmodp(_X2N[-1], _X2N[-1]))


@cache
def _x8nmodp(n: int) -> int:
    """x^(8n) modulo the polynomial: shifts a CRC over n zero bytes."""
    p, k = 1 << 31, 3
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return p


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A + B from crc32(A), crc32(B) and len(B)."""
    return _multmodp(_x8nmodp(len2), crc1) ^ crc2
