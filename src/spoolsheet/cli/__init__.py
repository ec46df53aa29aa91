"""The ``spoolsheet`` command: one thin command per library function.

Each module here has ``register(app)``; ``RootGroup`` (cli/common.py) then gives every command
the global options. Modules import the library inside their commands, so ``--help`` is fast.
"""

from __future__ import annotations

import typer

from . import backup, demo, migrate, occupation, sample, serve
from .common import Program, RootGroup, state

app = Program(
    name="spoolsheet",
    cls=RootGroup,
    help="Back up, migrate and operate a pipe-spool shop's production workbook "
         "(Google Sheets or a local .xlsx file). The options below work before or after the "
         "command name. Exit codes: 0 done, 1 error, 2 usage, 3 conflict, 4 verification failed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # a traceback with locals could show credentials
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def main(ctx: typer.Context) -> None:
    """Global options choose the workbook for every command; they override the environment and .env."""
    state(ctx)


for module in (backup, migrate, occupation, sample, demo, serve):
    module.register(app)
