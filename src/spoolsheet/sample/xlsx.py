"""The sample written as an .xlsx: a zip of a few XML parts, streamed.

Written directly (not through openpyxl, which without lxml manages ~30,000 cells a second) it
takes a few seconds at 50,000 spools, and with fixed zip timestamps the same seed gives the same
bytes. Cells go through ``workbook.xlsx_cells.cell_xml``, the one value-typing rule every .xlsx
writer of spoolsheet follows.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr as xml_quote

from ..errors import UsageError, WorkbookError
from ..fs import atomic_write
from ..schema import column_letter
from ..values import DATE_DISPLAY_FORMAT
from ..workbook.xlsx_cells import cell_xml
from ..workbook.xlsx_part import COMPRESS_LEVEL
from .generator import SampleSheet, generate

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_ZIP_TIME = (2026, 3, 13, 0, 0, 0)
_DATE_STYLE = 1  # cellXfs index of the dd-mm-yyyy format
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet {_NS}>'
    f'<numFmts count="1"><numFmt numFmtId="164" formatCode="{DATE_DISPLAY_FORMAT}"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)


def _sheet_xml(sheet: SampleSheet) -> Iterator[str]:
    """The worksheet part, streamed a batch of rows at a time. Its extent (``dimension`` and an
    empty cell in the bottom-right corner, as ``mark_grid_corner`` does) is the sheet's grid."""
    height, width = sheet.grid_rows, sheet.grid_cols
    letters = [column_letter(c) for c in range(1, width + 1)]
    corner = f'<c r="{letters[-1]}{height}"/>'
    yield (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}>'
           f'<dimension ref="A1:{letters[-1]}{height}"/><sheetData>')
    batch: list[str] = []
    for r, values in enumerate(sheet.rows, start=1):
        cells = "".join(cell_xml(f"{letters[c]}{r}", v, style=None, date_style=_DATE_STYLE,
                                 sheet=sheet.title, row=r)
                        for c, v in enumerate(values) if v is not None and v != "")
        if r == height and (len(values) < width or values[-1] is None or values[-1] == ""):
            cells += corner
        batch.append(f'<row r="{r}">{cells}</row>')
        if len(batch) == 1000:
            yield "".join(batch)
            batch.clear()
    yield "".join(batch)
    if height > len(sheet.rows):
        yield f'<row r="{height}">{corner}</row>'
    yield "</sheetData></worksheet>"


def _package_parts(titles: Sequence[str]) -> dict[str, str]:
    """Every part but the worksheets: content types, relationships, workbook, styles."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    n = len(titles)
    sheets = "".join(f'<sheet name={xml_quote(t)} sheetId="{i}" r:id="rId{i}"/>'
                     for i, t in enumerate(titles, start=1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" '
                   f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                        f'ContentType="{_CT}.worksheet+xml"/>' for i in range(1, n + 1))
    return {
        "[Content_Types].xml": (
            f'{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            f'{overrides}</Types>'),
        "_rels/.rels": (
            f'{head}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'{head}<workbook {_NS} xmlns:r="{_REL_NS}"><sheets>{sheets}</sheets>'
            '<calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'{head}<Relationships xmlns="{_PKG_REL_NS}">{rels}<Relationship Id="rId{n + 1}" '
            f'Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": _STYLES,
    }


def check_target(path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """The path to write the sample to, refused before any work if it cannot or should not be."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"{path}: the sample is an .xlsx workbook; give a path ending in .xlsx")
    if path.exists() and not overwrite:
        raise UsageError(f"{path} already exists; refusing to overwrite it (use --force)")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: folder {path.parent} does not exist")
    return path


def write_xlsx(path: str | os.PathLike[str], sheets: Sequence[SampleSheet], *,
               overwrite: bool = False) -> Path:
    """Write ``sheets`` to a new .xlsx, atomically (``spoolsheet.fs.atomic_write``)."""
    path = check_target(path, overwrite)

    def part(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]  # the writer's level
        return info

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name, text in _package_parts([s.title for s in sheets]).items():
                zf.writestr(part(name), text)
            for i, sheet in enumerate(sheets, start=1):
                with zf.open(part(f"xl/worksheets/sheet{i}.xml"), "w", force_zip64=True) as fh:
                    for chunk in _sheet_xml(sheet):
                        fh.write(chunk.encode("utf-8"))

    try:
        atomic_write(path, write)
    except OSError as exc:
        raise WorkbookError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def write_sample(path: str | os.PathLike[str], spools: int = 2500, seed: int = 0, *,
                 overwrite: bool = False) -> Path:
    """Write the sample workbook to ``path`` (.xlsx); refuses an existing file unless ``overwrite``."""
    path = check_target(path, overwrite)  # before spending time generating
    return write_xlsx(path, generate(spools, seed), overwrite=overwrite)
