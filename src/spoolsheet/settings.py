"""Settings from the environment, ``.env`` and CLI options (which override both).

Credentials are held as secrets: they never appear in a repr, a log line or an error message.
Given values first, then the environment and ``./.env`` as ``environment.raw_settings`` finds
them (pydantic-settings' rule), validated by a plain pydantic model: importing pydantic-settings
cost every command about a quarter of a second of CPU.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from .environment import DEFAULT_TZ, VARIABLES, looks_secret, raw_settings
from .errors import ConfigurationError

__all__ = ["DEFAULT_TZ", "Clock", "Settings", "looks_secret", "shown", "variable"]


def shown(value: object) -> str:
    """``value`` quoted for an error message, unless it could be a credential: then a placeholder.

    A key pasted into the wrong variable is the usual way a secret reaches a message.
    """
    return "(a value that looks like a credential, not shown)" if looks_secret(value) else repr(str(value))


def variable(name: str) -> str:
    """The environment variable of a setting (``google_timeout`` → SPOOLSHEET_GOOGLE_TIMEOUT)."""
    return VARIABLES.get(name, name)


def names(setting: str) -> AliasChoices:
    """What a setting is given as: its variable, or its own name."""
    return AliasChoices(VARIABLES[setting], setting)


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
            raw = raw_settings()
            super().__init__(**{**{k: raw[k] for k in type(self).model_fields if k in raw},
                                **values})
        except ValidationError as exc:
            problems = "; ".join(f"{variable(str(e['loc'][0]) if e['loc'] else '?')}: {e['msg']}"
                                 for e in exc.errors(include_url=False, include_input=False))
            raise ConfigurationError(f"bad setting: {problems}") from None

    tz: str = Field(DEFAULT_TZ, validation_alias=names("tz"))

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
    workbook: Path | None = Field(None, validation_alias=names("workbook"))
    sheet_id: str | None = Field(None, validation_alias=names("sheet_id"))
    credentials_file: Path | None = Field(
        None, validation_alias=names("credentials_file"))
    credentials_json: SecretStr | None = Field(
        None, validation_alias=names("credentials_json"))
    google_endpoint: str | None = Field(
        None, validation_alias=names("google_endpoint"))
    google_timeout: float = Field(
        30.0, validation_alias=names("google_timeout"))
    backup_folder: str | None = Field(
        None, validation_alias=names("backup_folder"))
    migration_dry_run: bool = Field(
        False, validation_alias=names("migration_dry_run"))
    actor: str | None = Field(None, validation_alias=names("actor"))
    # The HTTP service (spoolsheet serve): ``name=secret`` tokens, comma- or line-separated.
    api_tokens: SecretStr | None = Field(
        None, validation_alias=names("api_tokens"))
    api_tokens_file: Path | None = Field(
        None, validation_alias=names("api_tokens_file"))
    writes_per_minute: float = Field(
        60.0, gt=0, validation_alias=names("writes_per_minute"))
    # None: as many as writes (Google's per-user quotas are 60 of each).
    reads_per_minute: float | None = Field(
        None, gt=0, validation_alias=names("reads_per_minute"))
    view_ttl: float = Field(
        5.0, ge=0, validation_alias=names("view_ttl"))

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
