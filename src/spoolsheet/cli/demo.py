"""``spoolsheet demo``: the main job on the embedded default, end to end, in one command."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import cli_errors, console


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""

    @app.command("demo")
    @cli_errors
    def demo(dir: Path = typer.Option(Path("spoolsheet-demo"), "--dir",
                                      help="Folder for the demo workbook and its backups.")) -> None:
        """Create the 2,500-spool sample, show status and plan, back up, migrate to v3.0, verify."""
        from ..demo import run_demo

        run_demo(dir, console)
