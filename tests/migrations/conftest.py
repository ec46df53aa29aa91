"""Fixtures for migration tests (helpers live in ``migration_helpers``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from migration_helpers import edit_xlsx

from spoolsheet.workbook import Workbook


@pytest.fixture(scope="session")
def sample_tiny(tmp_path_factory) -> Path:
    """A 30-spool sample: every migration path, at a fraction of the small sample's cost."""
    from spoolsheet.sample import write_sample

    return write_sample(tmp_path_factory.mktemp("sample") / "Kronos_tiny.xlsx", spools=30, seed=5)


@pytest.fixture(scope="session")
def clean_on_google(sample_tiny):
    """The shop's history (``history/``) run uninterrupted on Google, v3.0 then the rest, as
    read: what each run killed or whose answer was lost must end as. Made once."""
    from test_migrate_history import up

    from spoolsheet.testing import FakeGoogle, open_fake

    fake = FakeGoogle()
    fake.load_xlsx(sample_tiny, "clean")
    with open_fake(fake, "clean") as other:
        up(other, to="v3.0")
        up(other)
        return other.read()


@pytest.fixture
def google_copy(fake_google):
    """``google_copy(xlsx_path) -> Workbook`` on the fake, for tests of Google-only behaviour."""
    from spoolsheet.testing import open_fake

    opened = []

    def _open(source: Path) -> Workbook:
        fake_google.load_xlsx(source, "live")
        opened.append(open_fake(fake_google, "live"))
        return opened[-1]

    yield _open
    for wb in opened:
        wb.close()


@pytest.fixture
def drifted(tmp_path, open_copy):
    """``drifted(source, edit) -> Workbook``: a hand-edited copy, opened on the test's backend."""

    def _open(source: Path, edit: Callable[[openpyxl.Workbook], None]) -> Workbook:
        folder = tmp_path / "edited"
        folder.mkdir(exist_ok=True)
        return open_copy(edit_xlsx(source, folder / source.name, edit))

    return _open
