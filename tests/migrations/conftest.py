"""Fixtures for migration tests (helpers live in ``migration_helpers``)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import openpyxl
import pytest

from migration_helpers import edit_xlsx
from spoolsheet.workbook import Workbook


@pytest.fixture
def drifted(tmp_path, open_copy):
    """``drifted(source, edit) -> Workbook``: a hand-edited copy, opened on the test's backend."""

    def _open(source: Path, edit: Callable[[openpyxl.Workbook], None]) -> Workbook:
        return open_copy(edit_xlsx(source, tmp_path / f"drifted_{source.name}", edit))

    return _open
