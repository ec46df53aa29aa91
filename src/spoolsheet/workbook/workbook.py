"""``Workbook``: what the rest of spoolsheet uses, over whichever backend holds the data.

Thin on purpose: it adds column lookup and conveniences; every I/O rule lives in the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from ..errors import SchemaError, SheetNotFound
from ..schema import ColumnMap
from ..values import Cell
from .base import Backend, BackupStore, Region, RequestStats, Sheet, SheetInfo
from .changes import ChangeSet


class Workbook:
    """A workbook on some backend. Thin: it adds column lookup and conveniences, never I/O rules."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    @property
    def id(self) -> str:
        return self.backend.id

    @property
    def title(self) -> str:
        return self.backend.title

    @property
    def kind(self) -> str:
        return self.backend.kind

    @property
    def stats(self) -> RequestStats:
        return self.backend.stats

    def sheets(self) -> list[SheetInfo]:
        return self.backend.sheets()

    def sheet_titles(self) -> list[str]:
        return self.backend.sheet_titles()

    def read(self, titles: Sequence[str] | None = None, *,
             formulas: bool = True) -> dict[str, Sheet]:
        return self.backend.read(titles, formulas=formulas)

    def read_sheet(self, title: str, *, formulas: bool = True) -> Sheet:
        try:
            return self.read([title], formulas=formulas)[title]
        except KeyError:
            raise SheetNotFound(f"sheet {title!r} not found in {self.title!r}") from None

    def read_regions(self, regions: Sequence[Region], *, formulas: bool = False,
                     optional: Sequence[str] = ()) -> list[list[list[Cell]]]:
        """``Backend.read_regions``; regions of ``optional`` sheets the workbook lacks read as
        [] (found out only when the read refuses: no request to ask first)."""
        return self._present(lambda rs: self.backend.read_regions(rs, formulas=formulas),
                             regions, optional)

    def read_described(self, regions: Sequence[Region], *,
                       optional: Sequence[str] = ()) -> list[list[list[Cell]]]:
        """``Backend.read_described`` (small regions, with the title, sheets and notes), with
        ``optional`` as in ``read_regions``."""
        return self._present(self.backend.read_described, regions, optional)

    def _present(self, read: Callable[[Sequence[Region]], list[list[list[Cell]]]],
                 regions: Sequence[Region], optional: Sequence[str]) -> list[list[list[Cell]]]:
        try:
            return read(regions)
        except SheetNotFound:
            titles = set(self.sheet_titles())
            if not optional or all(r.title in titles for r in regions):
                raise
        present = [r for r in regions if r.title in titles or r.title not in optional]
        cells = iter(read(present) if present else [])
        return [next(cells) if r in present else [] for r in regions]

    def sheet_info(self, title: str) -> SheetInfo | None:
        return self.backend.sheet_info(title)

    def note(self, key: str) -> str | None:
        return self.backend.note(key)

    def revision(self) -> object | None:
        return self.backend.revision()

    @property
    def location(self) -> str:
        return self.backend.location

    def apply(self, changes: ChangeSet, *, atomic: bool = True) -> None:
        self.backend.apply(changes, atomic=atomic)

    def split(self, changes: ChangeSet,
              sheets: Mapping[str, SheetInfo] | None = None) -> list[ChangeSet]:
        return self.backend.split(changes, sheets)

    def exclusive(self) -> AbstractContextManager[None]:
        return self.backend.exclusive()

    def sidecar(self, name: str) -> Path | None:
        return self.backend.sidecar(name)

    def backup_store(self, folder: str | None = None) -> BackupStore:
        return self.backend.backup_store(folder)


def columns(sheet: Sheet, header_row: int = 1) -> ColumnMap:
    """The column map of a sheet as read; an empty header row is a SchemaError."""
    cmap = ColumnMap.from_row(sheet.title, sheet.row(header_row))
    if not cmap.headers:
        raise SchemaError(f"sheet {sheet.title!r} has no header row (row {header_row} is empty)")
    return cmap
