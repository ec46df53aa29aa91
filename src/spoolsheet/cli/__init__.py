"""The ``spoolsheet`` command: one thin command per library function."""

from __future__ import annotations

from pathlib import Path

import typer

from ..settings import Settings
from .common import State, cli_errors

app = typer.Typer(
    name="spoolsheet",
    help="Back up, migrate and operate a pipe-spool shop's production workbook "
         "(Google Sheets or a local .xlsx file).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # a traceback with locals could show credentials
    add_completion=False,
)


@app.callback()
@cli_errors
def main(
    ctx: typer.Context,
    workbook: Path | None = typer.Option(
        None, "--workbook", "-w", help="Local .xlsx workbook (env SPOOLSHEET_WORKBOOK)."),
    sheet_id: str | None = typer.Option(
        None, "--sheet-id", help="Google spreadsheet id (env GOOGLE_SHEET_ID)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say more, including request counts."),
) -> None:
    """Options here choose the workbook for every command; they override the environment and .env."""
    settings = Settings()
    if workbook is not None:
        settings = settings.model_copy(update={"workbook": workbook, "sheet_id": None})
    elif sheet_id is not None:
        settings = settings.model_copy(update={"sheet_id": sheet_id, "workbook": None})
    ctx.obj = State(settings=settings, verbose=verbose)


from . import backup, migrate, occupation, sample  # noqa: E402  (register commands)

for module in (backup, migrate, occupation, sample):
    module.register(app)
