"""An .xlsx file as a package: one snapshot of its bytes, its sheets, styles and strings.

Everything the fast reader and the part-rewriting writer need to know about the zip and the
small XML parts (workbook, relationships, styles, shared strings) lives here, parsed once per
snapshot. Parts are decompressed only when asked for, once per snapshot; a sheet part's row
index and compressed form (``SheetPart``) are kept too, and carried to the snapshot of a file
this process wrote itself (``carry``). Failures of the layers below (zip,
zlib, XML) become one ``CorruptWorkbook`` naming the file and the part.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, TypeVar

from lxml import etree  # type: ignore[import-untyped]

from ..errors import CorruptWorkbook, WorkbookAccessDenied, WorkbookNotFound
from ..fs import atomic_write
from ..progress import Received, upload
from .xlsx_part import SheetPart, streamed_grid

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKSHEET_REL = f"{REL_NS}/worksheet"
OFFICE_DOC_REL = f"{REL_NS}/officeDocument"

#: (size, mtime_ns, inode): changes whenever anyone replaces or rewrites the file.
Stamp = tuple[int, int, int]

#: Built-in number formats that are dates or times (ECMA-376 18.8.30).
_BUILTIN_DATE_FORMATS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_DATE_CODES = re.compile(r"[dmyhs]", re.I)

T = TypeVar("T")
#: Bytes a part is decompressed, or a file written, at a time: each a step progress shows.
PIECE_BYTES = 1 << 20


def save(path: Path, data: bytes) -> None:
    """The new file's ``data`` written atomically (``fs.atomic_write``), ``PIECE_BYTES`` at a
    time, telling ``progress.upload`` the bytes written of its size."""

    def write(tmp: Path) -> None:
        written = upload(len(data))
        with open(tmp, "wb") as fh:
            for at in range(0, len(data), PIECE_BYTES):
                fh.write(memoryview(data)[at:at + PIECE_BYTES])
                if written is not None:
                    written(min(at + PIECE_BYTES, len(data)))

    atomic_write(path, write)


def stamp_of(st: os.stat_result) -> Stamp:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def is_date_format(code: str) -> bool:
    """Whether a number format code shows a date or time (what makes a serial read as a date)."""
    stripped = _QUOTED.sub("", code.split(";")[0])
    return bool(_DATE_CODES.search(stripped)) and "General" not in stripped


@dataclass(frozen=True)
class SheetEntry:
    """A worksheet as the workbook part lists it: title, ids, and the zip member of its XML."""

    title: str
    sheet_id: int
    rel_id: str
    part: str
    hidden: bool


class Package:
    """One consistent snapshot of an .xlsx file (the bytes read through one open file)."""

    def __init__(self, path: Path, data: bytes, stamp: Stamp) -> None:
        self.path = path
        self.data = data
        self.stamp = stamp
        self._parts: dict[str, bytes] = {}
        self._sheet_parts: dict[str, SheetPart] = {}
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise CorruptWorkbook(f"{path} is not an .xlsx workbook ({exc})") from exc

    @classmethod
    def open(cls, path: Path) -> Package:
        """Read the file once; its stamp comes from the same open file, so they agree."""
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                return cls(path, fh.read(), stamp_of(st))
        except FileNotFoundError as exc:
            raise WorkbookNotFound(f"workbook file not found: {path}") from exc
        except PermissionError as exc:
            raise WorkbookAccessDenied(f"cannot read workbook file {path}: permission denied") from exc
        except IsADirectoryError as exc:
            raise CorruptWorkbook(f"{path} is not an .xlsx workbook (it is a folder)") from exc

    # --- raw parts -----------------------------------------------------------------------

    def damaged(self, part: str, exc: BaseException) -> CorruptWorkbook:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return CorruptWorkbook(f"{self.path}: part {part} is damaged ({reason})")

    def has(self, part: str) -> bool:
        return part in self.zip.NameToInfo

    def part(self, name: str, told: Received | None = None) -> bytes:
        """A member's bytes, decompressed and CRC-checked (once per snapshot), ``PIECE_BYTES``
        at a time, each told to ``told`` (the bytes so far, of the member's ``file_size``)."""
        data = self._parts.get(name)
        if data is not None:
            return data
        with self._inflating(name) as stream:
            out = io.BytesIO()  # one buffer grown in place: joining pieces held both
            while piece := stream.read(PIECE_BYTES):
                out.write(piece)
                if told is not None:
                    told(out.tell())
        data = self._parts[name] = out.getvalue()  # the buffer itself, not a copy
        return data

    @contextmanager
    def _inflating(self, name: str) -> Iterator[IO[bytes]]:
        """A member as it inflates (its CRC checked at the end); a missing or damaged member is
        refused naming the file and the part."""
        if not self.has(name):
            raise CorruptWorkbook(f"{self.path} is not a readable .xlsx workbook (part {name} is "
                                  f"missing)")
        try:
            with self.zip.open(name) as stream:
                yield stream
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
            raise self.damaged(name, exc) from exc

    def sheet_part(self, name: str) -> SheetPart:
        """A worksheet member as the writer and the grid need it (once per snapshot)."""
        sheet = self._sheet_parts.get(name)
        if sheet is None:
            xml = self.part(name)
            sheet = self._sheet_parts[name] = SheetPart(xml)
        return sheet

    def release(self, name: str) -> None:
        """Let go of a member's bytes as inflated from the file (a sheet typed whole needs them
        no longer; a write inflates them again, and keeps what it makes packed). A sheet part
        this process wrote is kept: it is held compressed already."""
        sheet = self._sheet_parts.get(name)
        if sheet is None or sheet.flat:
            self._sheet_parts.pop(name, None)
            self._parts.pop(name, None)

    def grid(self, name: str) -> tuple[int, int]:
        """A worksheet's grid (``SheetPart.grid``): of the part when it is held, else from the
        member inflated a piece at a time and let go (a sheet list, or a read of a few rows,
        needs the grids of parts it does not read)."""
        if name in self._sheet_parts or name in self._parts:
            return self.guard(name, lambda: self.sheet_part(name).grid)
        with self._inflating(name) as stream:
            grid = self.guard(name, lambda: streamed_grid(
                iter(lambda: stream.read(PIECE_BYTES), b"")))
        return grid if grid is not None else self.guard(name, lambda: self.sheet_part(name).grid)

    def carry(self, before: Package, rewritten: dict[str, SheetPart], changed: set[str]) -> None:
        """This snapshot is ``before`` rewritten by this process: members it copied as they
        were keep what was known of them, rewritten sheets take their new form."""
        self._parts = {k: v for k, v in before._parts.items() if k not in changed}
        self._sheet_parts = {k: v for k, v in before._sheet_parts.items() if k not in changed}
        self._sheet_parts.update(rewritten)  # their XML stays in chunks, never joined here

    def xml(self, name: str) -> etree._Element:
        return self.guard(name, lambda: etree.fromstring(self.part(name), parser=_PARSER))

    def guard(self, part: str, work: Callable[[], T]) -> T:
        """Run ``work`` on a part, mapping XML and decoding failures to ``CorruptWorkbook``."""
        try:
            return work()
        except CorruptWorkbook:
            raise
        except (etree.LxmlError, ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
            raise self.damaged(part, exc) from exc

    # --- structure -----------------------------------------------------------------------

    @cached_property
    def workbook_part(self) -> str:
        rels = self.rels("")
        for target, kind in rels.values():
            if kind == OFFICE_DOC_REL:
                return target
        return "xl/workbook.xml"

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationships of a part (``""`` = the package): id → (target member, type)."""
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
        if not self.has(rels_part):
            return {}
        root = self.xml(rels_part)
        out = {}
        for rel in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            member = (target.lstrip("/") if target.startswith("/")
                      else posixpath.normpath(posixpath.join(folder, target)))
            out[rel.get("Id", "")] = (member, rel.get("Type", ""))
        return out

    @cached_property
    def workbook_xml(self) -> etree._Element:
        return self.xml(self.workbook_part)

    @cached_property
    def sheet_entries(self) -> list[SheetEntry]:
        rels = self.rels(self.workbook_part)

        def entries() -> list[SheetEntry]:
            out = []
            for el in self.workbook_xml.iter(f"{{{MAIN_NS}}}sheet"):
                rel_id = el.get(f"{{{REL_NS}}}id", "")
                target, kind = rels.get(rel_id, ("", ""))
                if kind != WORKSHEET_REL:
                    continue  # chart sheets, dialog sheets: not grids of cells
                out.append(SheetEntry(el.get("name", ""), int(el.get("sheetId", "0")), rel_id,
                                      target, el.get("state", "visible") != "visible"))
            return out

        found = self.guard(self.workbook_part, entries)
        if not found:
            raise CorruptWorkbook(f"{self.path} is not a readable .xlsx workbook (no worksheets)")
        return found

    def entry(self, title: str) -> SheetEntry | None:
        return next((e for e in self.sheet_entries if e.title == title), None)

    @cached_property
    def date1904(self) -> bool:
        pr = self.workbook_xml.find(f"{{{MAIN_NS}}}workbookPr")
        return pr is not None and pr.get("date1904", "false").lower() in ("1", "true")

    # --- styles and strings ----------------------------------------------------------------

    def related(self, kind: str) -> str | None:
        for target, rel_kind in self.rels(self.workbook_part).values():
            if rel_kind == f"{REL_NS}/{kind}":
                return target
        return None

    @cached_property
    def styles(self) -> Styles:
        part = self.related("styles")
        if part is None or not self.has(part):
            return Styles(part or "xl/styles.xml", None, [], {})
        root = self.xml(part)
        return self.guard(part, lambda: Styles.parse(part, root))

    @cached_property
    def shared_strings(self) -> list[str]:
        part = self.related("sharedStrings")
        if part is None or not self.has(part):
            return []
        root = self.xml(part)
        return self.guard(part, lambda: [string_item_text(si) for si in root.iter(f"{{{MAIN_NS}}}si")])


@dataclass
class Styles:
    """cellXfs as number formats: which style ids show dates, and how to add a date style."""

    part: str
    root: etree._Element | None
    xf_formats: list[int]  # cellXfs index → numFmtId
    custom: dict[int, str]  # numFmtId → format code

    @classmethod
    def parse(cls, part: str, root: etree._Element) -> Styles:
        custom = {int(n.get("numFmtId", "0")): n.get("formatCode", "")
                  for n in root.iter(f"{{{MAIN_NS}}}numFmt")}
        xfs = root.find(f"{{{MAIN_NS}}}cellXfs")
        formats = [int(xf.get("numFmtId", "0")) for xf in xfs] if xfs is not None else []
        return cls(part, root, formats, custom)

    def format_code(self, style: int) -> str | None:
        if not 0 <= style < len(self.xf_formats):
            return None
        fmt = self.xf_formats[style]
        return self.custom.get(fmt)

    def is_date_style(self, style: int) -> bool:
        if not 0 <= style < len(self.xf_formats):
            return False
        fmt = self.xf_formats[style]
        if fmt in self.custom:
            return is_date_format(self.custom[fmt])
        return fmt in _BUILTIN_DATE_FORMATS


def string_item_text(si: etree._Element) -> str:
    """A shared string's plain text: its runs' text, without phonetic guides."""
    text = si.find(f"{{{MAIN_NS}}}t")
    if text is not None and len(si) == 1:
        return text.text or ""
    return "".join(t.text or "" for r in si if r.tag == f"{{{MAIN_NS}}}r"
                   for t in r if t.tag == f"{{{MAIN_NS}}}t") or (text.text or "" if text is not None else "")


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
