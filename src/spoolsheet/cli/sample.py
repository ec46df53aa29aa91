"""``spoolsheet sample``: the realistic v2.1 workbook, written to a file or into an empty spreadsheet."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ..errors import UsageError
from ..sample import check_target, fill_workbook, generate, summary, write_xlsx
from .common import cli_errors, console, state, workbook


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""

    @app.command("sample")
    @cli_errors
    def sample(
        ctx: typer.Context,
        path: Path | None = typer.Argument(
            None, help="The .xlsx file to write. Without it, --sheet-id names an empty Google "
                       "spreadsheet to fill."),
        spools: int = typer.Option(2500, "--spools", min=1, help="Spools (TAG rows) in Operaciones."),
        seed: int = typer.Option(0, "--seed", help="The same seed always gives the same workbook."),
        force: bool = typer.Option(False, "--force", help="Overwrite PATH if it already exists."),
    ) -> None:
        """Write a realistic, deterministic v2.1 workbook: 10 sheets, spools, workers, audit log."""
        if path is None and not state(ctx).settings.sheet_id:
            raise UsageError("give PATH.xlsx to write, or --sheet-id ID to fill an empty Google spreadsheet")
        started = time.perf_counter()
        if path is not None:
            check_target(path, force)
        sheets = generate(spools, seed)
        if path is not None:
            where = str(write_xlsx(path, sheets, overwrite=force))
        else:
            with workbook(ctx) as wb:
                fill_workbook(wb, sheets)
                where = f"Google spreadsheet {wb.id}"
        n = summary(sheets)
        console.print(f"wrote {where}: {n['sheets']} sheets, {n['spools']:,} spools, "
                      f"{n['workers']} workers, {n['events']:,} audit events "
                      f"in {time.perf_counter() - started:.1f} s", soft_wrap=True)
