"""Settings as they stand in the environment and ``./.env``, raw, without pydantic.

Found as pydantic-settings found them: each setting from the first of its names (its variable,
then its own name) present in the environment, any case, else in ``.env``. ``settings.py``
validates them; a command that needs only the .xlsx path, with nothing else set, opens it from
here (``plain_workbook``): building the validated settings costs about 0.2 s of imports.
"""

from __future__ import annotations

import os

#: Where settings are read from besides the environment (relative: the current folder).
ENV_FILE = ".env"
#: The shop's zone when SPOOLSHEET_TZ is not set (DOMAIN.md: the shop is in Chile).
DEFAULT_TZ = "America/Santiago"
#: Each setting's environment variable.
VARIABLES = {
    "tz": "SPOOLSHEET_TZ",
    "workbook": "SPOOLSHEET_WORKBOOK",
    "sheet_id": "GOOGLE_SHEET_ID",
    "credentials_file": "GOOGLE_APPLICATION_CREDENTIALS",
    "credentials_json": "GOOGLE_APPLICATION_CREDENTIALS_JSON",
    "google_endpoint": "SPOOLSHEET_GOOGLE_ENDPOINT",
    "google_timeout": "SPOOLSHEET_GOOGLE_TIMEOUT",
    "backup_folder": "BACKUP_FOLDER_ID",
    "migration_dry_run": "MIGRATION_DRY_RUN",
    "actor": "SPOOLSHEET_ACTOR",
    "api_tokens": "SPOOLSHEET_API_TOKENS",
    "api_tokens_file": "SPOOLSHEET_API_TOKENS_FILE",
    "writes_per_minute": "SPOOLSHEET_WRITES_PER_MINUTE",
    "reads_per_minute": "SPOOLSHEET_READS_PER_MINUTE",
    "view_ttl": "SPOOLSHEET_VIEW_TTL",
}


def looks_secret(value: object) -> bool:
    """Whether ``value`` could be a credential (a key's JSON, a PEM block, a token)."""
    text = str(value)
    return len(text) > 200 or any(mark in text for mark in ("{", "\n", "\\n", "PRIVATE KEY", "ya29."))


def raw_settings() -> dict[str, str]:
    """Every setting given in the environment or ``.env``, by setting name, unvalidated."""
    found = {k.lower(): v for k, v in os.environ.items()}
    if os.path.isfile(ENV_FILE):
        from dotenv import dotenv_values  # only when there is a file to read

        dotenv = dotenv_values(ENV_FILE, encoding="utf-8")
        found = {**{k.lower(): v for k, v in dotenv.items() if v is not None}, **found}
    out = {}
    for name, var in VARIABLES.items():
        value = found.get(var.lower(), found.get(name))
        if value is not None:
            out[name] = value
    return out


def plain_workbook(raw: dict[str, str]) -> str | None:
    """The .xlsx path when it is the only setting given and one the settings would take as it
    is (not blank, nothing like a credential); else None: the settings must be validated."""
    value = raw.get("workbook")
    if set(raw) != {"workbook"} or value is None or not value or looks_secret(value):
        return None
    return value
