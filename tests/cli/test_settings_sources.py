"""Where settings come from: given values, then the environment (any case), then ./.env."""

from __future__ import annotations

from pathlib import Path

import pytest

from spoolsheet.errors import ConfigurationError
from spoolsheet.settings import Settings


@pytest.fixture
def clean(monkeypatch, tmp_path):
    for name in ("SPOOLSHEET_WORKBOOK", "GOOGLE_SHEET_ID", "SPOOLSHEET_GOOGLE_TIMEOUT", "TZ",
                 "SPOOLSHEET_TZ", "SPOOLSHEET_ACTOR", "MIGRATION_DRY_RUN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_given_values_beat_the_environment_which_beats_the_env_file(clean, tmp_path):
    (tmp_path / ".env").write_text("SPOOLSHEET_ACTOR=from-file\nspoolsheet_google_timeout=7\n"
                                   "MIGRATION_DRY_RUN=true\n", encoding="utf-8")
    clean.setenv("spoolsheet_actor", "from-env")  # any case, as pydantic-settings matched it
    settings = Settings()
    assert (settings.actor, settings.google_timeout, settings.migration_dry_run) == (
        "from-env", 7.0, True)
    assert Settings(actor="given").actor == "given"
    assert Settings(SPOOLSHEET_ACTOR="given").actor == "given"


def test_a_bad_value_from_the_env_file_names_its_variable_only(clean, tmp_path):
    (tmp_path / ".env").write_text("SPOOLSHEET_GOOGLE_TIMEOUT=soon\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        Settings()
    assert str(caught.value).startswith("bad setting: SPOOLSHEET_GOOGLE_TIMEOUT: ")
    assert "soon" not in str(caught.value)


def test_without_an_env_file_only_the_environment_counts(clean):
    clean.setenv("SPOOLSHEET_WORKBOOK", "shop.xlsx")
    settings = Settings()
    assert settings.workbook == Path("shop.xlsx") and settings.sheet_id is None
