"""``spoolsheet serve``: a thin layer over ``spoolsheet.service.serve``."""

from __future__ import annotations

import gc

import typer

from .common import cli_errors, state


def register(app: typer.Typer) -> None:
    """Add this module's command to the root app."""

    @app.command("serve")
    @cli_errors
    def serve(ctx: typer.Context,
              host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; beyond "
                                       "loopback only with tokens (SPOOLSHEET_API_TOKENS)."),
              port: int = typer.Option(8000, "--port", help="TCP port (0: any free one).")) -> None:
        """Serve the shop floor: the HTTP API (docs at /docs), the one writer of the workbook."""
        from .. import service

        gc.enable()  # a long-lived process: the cyclic collector back on (see common.Program)
        service.serve(state(ctx).settings, host=host, port=port)
