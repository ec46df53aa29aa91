"""Settings from the environment, ``.env`` and CLI options (which override both).

Credentials are held as secrets: they never appear in a repr, a log line or an error message.
Read as pydantic-settings reads them (each setting from the first of its names found in the
environment, any case, else in ``./.env``; given values first), with a plain pydantic model:
importing pydantic-settings cost every command about a quarter of a second of CPU.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from .errors import ConfigurationError


def looks_secret(value: object) -> bool:
    """Whether ``value`` could be a credential (a key's JSON, a PEM block, a token)."""
    text = str(value)
    return len(text) > 200 or any(mark in text for mark in ("{", "\n", "\\n", "PRIVATE KEY", "ya29."))


def shown(value: object) -> str:
    """``value`` quoted for an error message, unless it could be a credential: then a placeholder.

    A key pasted into the wrong variable is the usual way a secret reaches a message.
    """
    return "(a value that looks like a credential, not shown)" if looks_secret(value) else repr(str(value))


def variable(name: str) -> str:
    """The environment variable of a setting (``google_timeout`` → SPOOLSHEET_GOOGLE_TIMEOUT)."""
    field = Settings.model_fields.get(name)
    alias = field.validation_alias if field else None
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return name


#: Where settings are read from besides the environment (relative: the current folder).
ENV_FILE = ".env"


def environment(model: type[BaseModel]) -> dict[str, str]:
    """Each field's value from the environment or ``.env``, by field name: the first of its
    names found, case-insensitively, the environment before the file (pydantic-settings' rule)."""
    found = {k.lower(): v for k, v in os.environ.items()}
    if os.path.isfile(ENV_FILE):
        from dotenv import dotenv_values  # only when there is a file to read

        dotenv = dotenv_values(ENV_FILE, encoding="utf-8")
        found = {**{k.lower(): v for k, v in dotenv.items() if v is not None}, **found}
    out = {}
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        names = alias.choices if isinstance(alias, AliasChoices) else [name]
        value = next((found[n.lower()] for n in names if isinstance(n, str) and n.lower() in found),
                     None)
        if value is not None:
            out[name] = value
    return out


#: The shop's zone when SPOOLSHEET_TZ is not set (DOMAIN.md: the shop is in Chile).
DEFAULT_TZ = "America/Santiago"


class Clock(BaseModel):
    """The one clock setting, apart so that ``values.shop_tz`` reads it without the others.

    ``tz`` (SPOOLSHEET_TZ, an IANA name): the zone of what people read (backup names, "last
    backup", lock expiry, tables, times written in the sheet); machines get UTC with offset.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def __init__(self, **values: Any) -> None:
        """``values`` over the environment and ``.env``; a bad value is one ConfigurationError
        naming its variable, the value itself never quoted (it may be a misplaced credential).
        """
        try:
            super().__init__(**{**environment(type(self)), **values})
        except ValidationError as exc:
            problems = "; ".join(f"{variable(str(e['loc'][0]) if e['loc'] else '?')}: {e['msg']}"
                                 for e in exc.errors(include_url=False, include_input=False))
            raise ConfigurationError(f"bad setting: {problems}") from None

    tz: str = Field(DEFAULT_TZ, validation_alias=AliasChoices("SPOOLSHEET_TZ", "tz"))

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {shown(value)}: use an IANA name such as "
                             f"{DEFAULT_TZ} or UTC") from None
        return value


class Settings(Clock):
    workbook: Path | None = Field(None, validation_alias=AliasChoices("SPOOLSHEET_WORKBOOK", "workbook"))
    sheet_id: str | None = Field(None, validation_alias=AliasChoices("GOOGLE_SHEET_ID", "sheet_id"))
    credentials_file: Path | None = Field(
        None, validation_alias=AliasChoices("GOOGLE_APPLICATION_CREDENTIALS", "credentials_file"))
    credentials_json: SecretStr | None = Field(
        None, validation_alias=AliasChoices("GOOGLE_APPLICATION_CREDENTIALS_JSON", "credentials_json"))
    google_endpoint: str | None = Field(
        None, validation_alias=AliasChoices("SPOOLSHEET_GOOGLE_ENDPOINT", "google_endpoint"))
    google_timeout: float = Field(
        30.0, validation_alias=AliasChoices("SPOOLSHEET_GOOGLE_TIMEOUT", "google_timeout"))
    backup_folder: str | None = Field(
        None, validation_alias=AliasChoices("BACKUP_FOLDER_ID", "backup_folder"))
    migration_dry_run: bool = Field(
        False, validation_alias=AliasChoices("MIGRATION_DRY_RUN", "migration_dry_run"))
    actor: str | None = Field(None, validation_alias=AliasChoices("SPOOLSHEET_ACTOR", "actor"))
    # The HTTP service (spoolsheet serve): ``name=secret`` tokens, comma- or line-separated.
    api_tokens: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SPOOLSHEET_API_TOKENS", "api_tokens"))
    api_tokens_file: Path | None = Field(
        None, validation_alias=AliasChoices("SPOOLSHEET_API_TOKENS_FILE", "api_tokens_file"))
    writes_per_minute: float = Field(
        60.0, gt=0, validation_alias=AliasChoices("SPOOLSHEET_WRITES_PER_MINUTE", "writes_per_minute"))
    # None: as many as writes (Google's per-user quotas are 60 of each).
    reads_per_minute: float | None = Field(
        None, gt=0, validation_alias=AliasChoices("SPOOLSHEET_READS_PER_MINUTE", "reads_per_minute"))
    view_ttl: float = Field(
        5.0, ge=0, validation_alias=AliasChoices("SPOOLSHEET_VIEW_TTL", "view_ttl"))

    @field_validator("workbook", "sheet_id", "credentials_file", "google_endpoint", "google_timeout",
                     "backup_folder", "migration_dry_run", "actor", "api_tokens_file",
                     "writes_per_minute", "reads_per_minute", "view_ttl", mode="before")
    @classmethod
    def _no_secret(cls, value: object) -> object:
        if value is not None and looks_secret(value):
            raise ValueError("holds what looks like a credential (not shown); a service-account "
                             "key's JSON belongs in GOOGLE_APPLICATION_CREDENTIALS_JSON")
        return value

    @field_validator("sheet_id")
    @classmethod
    def _spreadsheet_id(cls, value: str | None) -> str | None:
        if value and not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("a spreadsheet id has only letters, digits, '-' and '_' (the part of "
                             "the sheet's URL after /d/)")
        return value

    @field_validator("google_endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parts = urlsplit(value)
                usable = parts.scheme in ("http", "https") and bool(parts.hostname)
            except ValueError:
                usable = False
            if not usable:
                raise ValueError("must be an http(s) URL such as http://127.0.0.1:8765")
        return value

    def service_account_info(self) -> dict | None:
        """The service-account key as a dict, from the JSON variable or the file; None if neither."""
        if self.credentials_json is not None:
            raw, source = self.credentials_json.get_secret_value(), "GOOGLE_APPLICATION_CREDENTIALS_JSON"
        elif self.credentials_file is not None:
            source = f"GOOGLE_APPLICATION_CREDENTIALS ({shown(self.credentials_file)})"
            try:
                raw = self.credentials_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigurationError(f"cannot read the credentials file named by {source}: "
                                         f"{exc.strerror}") from None
        else:
            return None
        try:
            info = json.loads(raw)
        except ValueError:
            raise ConfigurationError(f"{source} does not hold valid JSON") from None
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise ConfigurationError(
                f"{source} is not a service-account key (type must be 'service_account')")
        return info
