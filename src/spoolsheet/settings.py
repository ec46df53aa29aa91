"""Settings from the environment, ``.env`` and CLI options (which override both).

Credentials are held as secrets: they never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigurationError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    workbook: Path | None = Field(None, validation_alias=AliasChoices("SPOOLSHEET_WORKBOOK", "workbook"))
    sheet_id: str | None = Field(None, validation_alias=AliasChoices("GOOGLE_SHEET_ID", "sheet_id"))
    credentials_file: Path | None = Field(
        None, validation_alias=AliasChoices("GOOGLE_APPLICATION_CREDENTIALS", "credentials_file"))
    credentials_json: SecretStr | None = Field(
        None, validation_alias=AliasChoices("GOOGLE_APPLICATION_CREDENTIALS_JSON", "credentials_json"))
    google_endpoint: str | None = Field(
        None, validation_alias=AliasChoices("SPOOLSHEET_GOOGLE_ENDPOINT", "google_endpoint"))
    google_timeout: float = Field(30.0, validation_alias=AliasChoices("SPOOLSHEET_GOOGLE_TIMEOUT", "google_timeout"))
    backup_folder: str | None = Field(None, validation_alias=AliasChoices("BACKUP_FOLDER_ID", "backup_folder"))
    migration_dry_run: bool = Field(False, validation_alias=AliasChoices("MIGRATION_DRY_RUN", "migration_dry_run"))
    actor: str | None = Field(None, validation_alias=AliasChoices("SPOOLSHEET_ACTOR", "actor"))

    def service_account_info(self) -> dict | None:
        """The service-account key as a dict, from the JSON variable or the file; None if neither."""
        if self.credentials_json is not None:
            raw, source = self.credentials_json.get_secret_value(), "GOOGLE_APPLICATION_CREDENTIALS_JSON"
        elif self.credentials_file is not None:
            source = f"GOOGLE_APPLICATION_CREDENTIALS ({self.credentials_file})"
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
            raise ConfigurationError(f"{source} is not a service-account key (type must be 'service_account')")
        return info
