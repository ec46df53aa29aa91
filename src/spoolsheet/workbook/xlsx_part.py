"""A sheet part as the writer keeps it between writes: its XML, where each row lies, its grid,
and the compressed form it has in the file.

A state change touches one or two rows of parts that hold megabytes of XML. Decompressing,
indexing and deflating them again on every write is what cost the long-lived service hundreds
of milliseconds per change; a ``SheetPart`` is made once per file version and, after a write,
follows from the splices the writer made (``spliced``), so the next write starts from it.

The part is held as chunks: runs of whole rows of about 1/64 of it, each with its own row index
and its own deflate segment. A splice makes new bytes only for the chunk it touches (at 50,000
spools joining the whole part again copied hundreds of MB per write); untouched chunks are
shared with the version before, down to the bytes read from the file.

The compressed form is the chunks' segments, each ended by a full flush (byte aligned, no
reference to earlier data), then one empty final block: any zip reader sees one ordinary
deflate stream. The member's CRC-32 is combined from the segments' CRCs (``crc32_combine``,
zlib's algorithm).
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import cache, cached_property
from itertools import accumulate, chain, pairwise

CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"')
_CELL_START = b'<c r="'
_ROW_END = re.compile(rb"</row>")
_ROW = re.compile(rb"<row\b([^>]*?)(/?)>")
_R_NUM = re.compile(rb'\sr="(\d+)"')
#: A cell element whose reference is not its first attribute: a scan by reference misses it.
_UNREFERENCED = re.compile(rb'<c(?=[\s>/])(?! r=")')
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
    best = _widest(xml, b"")
    return int(m[2]), max(column_index(best), 1) if best else 1


def _widest(xml: bytes, best: bytes) -> bytes:
    """The letters of the widest last cell of a row in ``xml`` (whole rows), or ``best``."""
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
    return best


def streamed_grid(pieces: Iterable[bytes]) -> tuple[int, int] | None:
    """``grid_of`` the part these pieces make, without holding it: each run of whole rows is
    measured as it completes. None when the part's last cell has no plain reference (then
    ``grid_of`` needs the whole part)."""
    best = b""
    last: re.Match[bytes] | None = None
    seen = False
    held = b""
    for piece in chain(pieces, [None]):  # one piece held at a time, then the end
        held += piece if piece is not None else b""
        cut = held.rfind(b"</row>") + 6 if piece is not None else len(held)
        if cut < 6:
            continue
        rows = held[:cut]
        i = rows.rfind(_CELL_START)
        if i >= 0:
            seen, last = True, CELL_REF.match(rows, i)
            best = _widest(rows, best)
        held = held[cut:]
    if not seen:
        return 1, 1
    if last is None:
        return None
    return int(last[2]), max(column_index(best), 1) if best else 1


def _grid_slow(xml: bytes) -> tuple[int, int]:
    refs = CELL_REF.findall(xml)
    if not refs:
        return 1, 1
    return max(int(r) for _, r in refs), max(column_index(c) for c, _ in refs)


class Segment:
    """A chunk's compressed form: raw deflate ended by a full flush, its CRC-32 and size."""

    __slots__ = ("crc", "data", "size")

    def __init__(self, raw: memoryview) -> None:
        z = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        self.size = len(raw)
        self.crc = zlib.crc32(raw)
        self.data = z.compress(raw) + z.flush(zlib.Z_FULL_FLUSH)


class Chunk:
    """A run of whole rows, ``base[lo:hi]`` (the first chunk also holds what precedes the rows,
    the last what follows them): its rows at offsets in ``base``, its segment once made.

    Chunks cut from the part as read share its bytes; a splice makes new bytes only for the
    chunk it touches, so a write copies ~1/64 of the part, not all of it. The chunks of a part
    a write made are kept packed (``pack``): their segments alone, each inflated again only when
    its bytes are asked for (a write touching it, a read of the part), so a part rewritten whole
    is not held twice, and a part written once is held compressed.
    """

    __slots__ = ("_base", "_ordered", "_referenced", "hi", "lo", "rows", "segment")

    def __init__(self, base: bytes | None, lo: int, hi: int, rows: list[Span]) -> None:
        self._base, self.lo, self.hi, self.rows = base, lo, hi, rows
        self.segment: Segment | None = None
        self._ordered: bool | None = None
        self._referenced: bool | None = None

    @property
    def base(self) -> bytes:
        if self._base is None:  # packed: its segment is raw deflate ended by a full flush
            assert self.segment is not None
            self._base = zlib.decompressobj(-15).decompress(self.segment.data)
        return self._base

    def pack(self) -> Chunk:
        """Hold this chunk from now on as its compressed segment alone (made now, as the write
        would), in place: a part as read that shares it (the snapshot before a write) finds the
        same bytes through it, and its rows are not held twice."""
        if self._base is not None:
            self.compressed()
            self.rows = _shifted(self.rows, -self.lo)
            self.lo, self.hi, self._base = 0, self.hi - self.lo, None
        return self

    def view(self) -> memoryview:
        return memoryview(self.base)[self.lo:self.hi]

    def compressed(self) -> Segment:
        if self.segment is None:
            self.segment = Segment(self.view())
        return self.segment

    def ordered(self) -> bool:
        if self._ordered is None:
            self._ordered = all(a[0] < b[0] for a, b in pairwise(self.rows))
        return self._ordered

    def referenced(self) -> bool:
        """Whether every cell element of the chunk starts ``<c r="`` (its reference first)."""
        if self._referenced is None:
            self._referenced = _UNREFERENCED.search(self.base, self.lo, self.hi) is None
        return self._referenced


class SheetPart:
    """One version of a sheet part's XML, with what the writer needs of it computed once.

    As read, the part is one ``bytes``; it is cut into chunks the first time a write needs its
    rows, and a spliced part is only chunks: ``xml`` joins them for the few readers that need
    the part flat (a write does not).
    """

    def __init__(self, xml: bytes) -> None:
        data = _SHEET_DATA.search(xml)
        if data is not None and data[0].endswith(b"/>"):  # an empty sheet: give it a body
            xml = xml[:data.start()] + data[0][:-2].rstrip() + b"></sheetData>" + xml[data.end():]
            data = _SHEET_DATA.search(xml)
        self._flat: bytes | None = xml
        self.plain = data is not None  # False when the part is not in plain form
        self.goal = max(MIN_SEGMENT, len(xml) // SEGMENTS)  # a chunk's size

    @property
    def flat(self) -> bool:
        """Whether the part is held as read (one ``bytes``), not as a write's chunks."""
        return self._flat is not None

    @property
    def xml(self) -> bytes:
        """The whole part as one ``bytes`` (joined each time from a spliced part's chunks)."""
        if self._flat is not None:
            return self._flat
        return b"".join(c.view() for c in self.chunks)

    @cached_property
    def grid(self) -> tuple[int, int]:
        return grid_of(self.xml)

    @cached_property
    def chunks(self) -> list[Chunk]:
        """The part as read, cut at row starts into chunks of about ``goal`` bytes."""
        xml = self._flat
        assert xml is not None and self.plain  # a spliced part has its chunks already
        data = _SHEET_DATA.search(xml)
        assert data is not None
        end = xml.find(b"</sheetData>", data.end())
        if end < 0:
            raise ValueError("sheetData is not closed")
        rows = row_spans(xml, data.end(), end)
        out: list[Chunk] = []
        lo = first = 0
        for i, (_, start, _) in enumerate(rows):
            if start - lo >= self.goal and i > first:
                out.append(Chunk(xml, lo, start, rows[first:i]))
                lo, first = start, i
        out.append(Chunk(xml, lo, len(xml), rows[first:]))
        return out

    @cached_property
    def starts(self) -> list[int]:
        """Where each chunk starts in the whole part (and where the part ends)."""
        return [0, *accumulate(c.hi - c.lo for c in self.chunks)]

    @cached_property
    def counts(self) -> list[int]:
        """How many rows precede each chunk (and the part's row count)."""
        return [0, *accumulate(len(c.rows) for c in self.chunks)]

    @cached_property
    def lasts(self) -> list[int]:
        """The last row number in each chunk or before it (0 before any row)."""
        return list(accumulate((c.rows[-1][0] if c.rows else 0 for c in self.chunks), max))

    def __len__(self) -> int:
        """How many rows the part holds."""
        return self.counts[-1]

    def _at(self, index: int) -> tuple[Chunk, Span, int]:
        c = bisect_right(self.counts, index) - 1
        chunk = self.chunks[c]
        return chunk, chunk.rows[index - self.counts[c]], self.starts[c] - chunk.lo

    def row(self, index: int) -> Span:
        """(row number, start, end) of the index-th row, at offsets in the whole part."""
        _, (number, start, end), shift = self._at(index)
        return number, start + shift, end + shift

    def row_xml(self, index: int) -> bytes:
        chunk, (_, start, end), _ = self._at(index)
        return chunk.base[start:end]

    def find(self, number: int) -> int:
        """Index of row ``number``, or of the first row after it (rows in order)."""
        chunks = self.chunks
        c = bisect_left(self.lasts, number)
        if c == len(chunks):
            return self.counts[-1]
        return self.counts[c] + bisect_left(chunks[c].rows, number, key=_number)

    @property
    def ordered(self) -> bool:
        """Rows in strictly rising order, as the format requires (and ``find`` relies on)."""
        ends = [(c.rows[0][0], c.rows[-1][0]) for c in self.chunks if c.rows]
        return (all(c.ordered() for c in self.chunks)
                and all(a[1] < b[0] for a, b in pairwise(ends)))

    def head(self) -> bytes:
        """What precedes ``<sheetData>``: the sheet's properties, its dimension."""
        first = self.chunks[0]
        data = _SHEET_DATA.search(first.base, first.lo, first.hi)
        assert data is not None  # splices never touch the sheetData tag
        return first.base[first.lo:data.start()]

    def body_end(self) -> int:
        """Where ``</sheetData>`` stands in the whole part."""
        last = self.chunks[-1]
        end = last.base.find(b"</sheetData>", last.rows[-1][2] if last.rows else last.lo, last.hi)
        return end - last.lo + self.starts[-2]

    def spliced(self, splices: Iterable[Splice], grid: tuple[int, int]) -> SheetPart:
        """This part with ``splices`` (sorted, not overlapping, whole rows; offsets in the whole
        part) made: only the chunks they touch are new, the others keep their bytes, packed
        (their segments, which the write needs anyway: the part as read is then let go with
        the snapshot that read it). Each chunk's new bytes are made as soon as its last splice
        has come, so an iterator of splices (the writer's rows, made as it goes) is held one
        chunk's worth at a time."""
        chunks = self.chunks
        out: list[Chunk] = []
        group: list[Splice] = []
        at = 0  # the first chunk not yet in ``out``
        for start, end, new in splices:
            c = min(bisect_right(self.starts, start) - 1, len(chunks) - 1)
            assert end <= self.starts[c + 1], "a splice crosses chunks"
            if group and c != at:
                out += self._made(at, group)
                group, at = [], at + 1
            out += [chunk.pack() for chunk in chunks[at:c]]
            at = c
            group.append((start, end, new))
        if group:
            out += self._made(at, group)
            at += 1
        out += [chunk.pack() for chunk in chunks[at:]]
        new_part = SheetPart.__new__(SheetPart)
        new_part._flat = None
        new_part.plain = True
        new_part.goal = self.goal
        new_part.__dict__["grid"] = grid
        new_part.__dict__["chunks"] = out
        return new_part

    def _made(self, c: int, splices: list[Splice]) -> list[Chunk]:
        """Chunk ``c`` with ``splices`` (offsets in the whole part) made, resplit to the goal."""
        chunk = self.chunks[c]
        shift = chunk.lo - self.starts[c]  # a whole-part offset + shift = one in chunk.base
        local = [(s + shift, e + shift, new) for s, e, new in splices]
        return [c.pack() for c in _resplit(_chunk_after(chunk, local), self.goal)]

    def compressed(self) -> tuple[list[bytes], int, int]:
        """The deflate stream's pieces, its CRC-32 and uncompressed size (each chunk compressed
        on first use)."""
        crc = size = 0
        pieces = []
        for chunk in self.chunks:
            seg = chunk.compressed()
            crc = crc32_combine(crc, seg.crc, seg.size)
            size += seg.size
            pieces.append(seg.data)
        return [*pieces, _FINAL_BLOCK], crc, size


def _number(span: Span) -> int:
    return span[0]


def _start(span: Span) -> int:
    return span[1]


def _chunk_after(chunk: Chunk, splices: list[Splice]) -> Chunk:
    """The chunk with ``splices`` (offsets in ``chunk.base``) made, in new bytes of its own:
    its rows between them moved, theirs found in the new bytes. Rows keep their order: the
    writer puts a new row before the first higher one."""
    view = memoryview(chunk.base)
    pieces: list[bytes | memoryview] = []
    at = chunk.lo
    for start, end, new in splices:
        pieces += [view[at:start], new]
        at = end
    pieces.append(view[at:chunk.hi])
    xml = b"".join(pieces)
    rows = chunk.rows
    out: list[Span] = []
    i = 0
    shift = -chunk.lo
    for start, end, new in splices:
        j = bisect_left(rows, start, lo=i, key=_start)
        out += _shifted(rows[i:j], shift)
        i = bisect_left(rows, end, lo=j, key=_start) if end > start else j  # replaced
        out += row_spans(xml, start + shift, start + shift + len(new))
        shift += len(new) - (end - start)
    out += _shifted(rows[i:], shift)
    return Chunk(xml, 0, len(xml), out)


def _resplit(chunk: Chunk, goal: int) -> list[Chunk]:
    """A chunk grown past twice the goal (rows appended) cut in halves at row starts until none
    is, so that a write keeps recompressing about ``goal`` bytes."""
    if chunk.hi - chunk.lo < 2 * goal or len(chunk.rows) < 2:
        return [chunk]
    half = bisect_left(chunk.rows, chunk.lo + (chunk.hi - chunk.lo) // 2, key=_start)
    if not 0 < half < len(chunk.rows):
        return [chunk]
    cut = chunk.rows[half][1]
    return [*_resplit(Chunk(chunk.base, chunk.lo, cut, chunk.rows[:half]), goal),
            *_resplit(Chunk(chunk.base, cut, chunk.hi, chunk.rows[half:]), goal)]


def _shifted(rows: list[Span], shift: int) -> list[Span]:
    return rows if not shift else [(number, s + shift, e + shift) for number, s, e in rows]


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
