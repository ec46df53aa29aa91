"""``spoolsheet demo``: the main job on the embedded default, end to end, in one command."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import cli_errors, console, state


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""

    @app.command("demo")
    @cli_errors
    def demo(ctx: typer.Context,
             dir: Path = typer.Option(Path("spoolsheet-demo"), "--dir",
                                      help="Folder for the demo workbook and its backups."),
             spools: int = typer.Option(2500, "--spools", min=1,
                                        help="Spools in the sample (a smaller one is quicker).")
             ) -> None:
        """Create the 2,500-spool sample, show status and plan, back up, migrate to v3.0, verify."""
        from ..demo import run_demo
        from . import migrate_views as render
        from .progress import progress_view

        with progress_view(verbose=state(ctx).verbose) as progress:
            report = run_demo(dir, spools=spools, progress=progress)
        sections = [
            ("1. A fresh v2.1 workbook",
             f"Wrote {report.path} ({report.spools:,} spools, the shop's 63 v2.1 columns)."),
            ("2. Status", render.status_view(report.status_before)),
            ("3. The plan (nothing written yet)", render.plan_view(report.plan)),
            ("4. Back up, migrate to v3.0, verify, record", render.report_view(report.run)),
            ("5. Verify again, from the workbook as it is now", render.verify_view(report.verified)),
        ]
        for title, body in sections:
            console.rule(title)
            console.print(body)
        console.rule("6. Status and ledger")
        render.print_status(report.status_after)
        console.print(f"Done in {report.seconds:.1f} s. Try: spoolsheet --workbook {report.path} "
                      "migrate status", soft_wrap=True)
