"""A realistic, deterministic v2.1 workbook: the shop's spreadsheet as it is, for tests and demos.

Three rooms: ``generator`` makes the content (plain sheets from a seed, never the wall clock),
``xlsx`` writes it to a new .xlsx file, ``fill`` puts it into an empty ``Workbook`` on any
backend (e.g. a new Google spreadsheet). ``sample`` is the one call the ``spoolsheet sample``
command makes: generate, write or fill, and report what was made.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ..errors import UsageError
from ..workbook import Workbook
from .fill import fill_workbook
from .generator import METADATA_SAMPLE_HEADERS, REFERENCE_DAY, SampleSheet, generate, summary
from .xlsx import check_target, write_sample, write_xlsx

__all__ = [
    "METADATA_SAMPLE_HEADERS",
    "REFERENCE_DAY",
    "SampleReport",
    "SampleSheet",
    "check_target",
    "fill_workbook",
    "generate",
    "sample",
    "summary",
    "write_sample",
    "write_xlsx",
]


@dataclass(frozen=True)
class SampleReport:
    """What ``sample`` made: where, how much of it, and how long it took."""

    where: str
    sheets: int
    spools: int
    workers: int
    events: int
    seconds: float


def sample(path: str | os.PathLike[str] | None = None, *, workbook: Workbook | None = None,
           spools: int = 2500, seed: int = 0, overwrite: bool = False) -> SampleReport:
    """Write the sample to a new .xlsx at ``path``, or fill the empty ``workbook`` with it.

    A file is refused before anything is generated when it exists (unless ``overwrite``), is not
    an .xlsx name, or has no folder; a workbook that is not empty is refused before any write.
    """
    if (path is None) == (workbook is None):
        raise UsageError("give PATH.xlsx to write, or --sheet-id ID to fill an empty Google spreadsheet")
    started = time.perf_counter()
    if path is not None:
        target = check_target(path, overwrite)  # before spending time generating
        sheets = generate(spools, seed)
        where = str(write_xlsx(target, sheets, overwrite=overwrite))
    else:
        assert workbook is not None
        sheets = generate(spools, seed)
        fill_workbook(workbook, sheets)
        where = f"spreadsheet {workbook.location}"
    return SampleReport(where=where, seconds=time.perf_counter() - started, **summary(sheets))
