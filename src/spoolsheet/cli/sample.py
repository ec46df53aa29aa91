"""``spoolsheet sample``: the realistic v2.1 workbook, written to a file or into an empty spreadsheet."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import cli_errors, console, state, workbook


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""

    @app.command("sample")
    @cli_errors
    def sample_command(
        ctx: typer.Context,
        path: Path | None = typer.Argument(
            None, help="The .xlsx file to write. Without it, --sheet-id names an empty Google "
                       "spreadsheet to fill."),
        spools: int = typer.Option(2500, "--spools", min=1, help="Spools (TAG rows) in Operaciones."),
        seed: int = typer.Option(0, "--seed", help="The same seed always gives the same workbook."),
        force: bool = typer.Option(False, "--force", help="Overwrite PATH if it already exists."),
    ) -> None:
        """Write a realistic, deterministic v2.1 workbook: 10 sheets, spools, workers, audit log."""
        from ..sample import sample

        if path is None and state(ctx).settings.sheet_id:
            with workbook(ctx) as wb:
                report = sample(workbook=wb, spools=spools, seed=seed)
        else:
            report = sample(path, spools=spools, seed=seed, overwrite=force)
        console.print(f"wrote {report.where}: {report.sheets} sheets, {report.spools:,} spools, "
                      f"{report.workers} workers, {report.events:,} audit events "
                      f"in {report.seconds:.1f} s", soft_wrap=True)
