"""What every command shares: settings from options, opening the workbook, errors → exit codes.

Commands stay thin (sqlite-utils' habit): parse options, call one library function, print.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import typer
from rich.console import Console

from ..errors import SpoolsheetError
from ..settings import Settings
from ..workbook import Workbook, open_workbook

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., object])


@dataclass
class State:
    """What the root callback parsed, handed to every command through ``ctx.obj``."""

    settings: Settings
    verbose: bool = False


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State(Settings())
    return root.obj


@contextmanager
def workbook(ctx: typer.Context) -> Iterator[Workbook]:
    """The workbook the options/environment name, closed afterwards; prints request counts with -v."""
    st = state(ctx)
    wb = open_workbook(st.settings)
    try:
        yield wb
    finally:
        if st.verbose:
            s = wb.stats
            err_console.print(f"[dim]{wb.kind} requests: {s.reads} reads, {s.writes} writes, "
                              f"{s.retries} retries[/dim]")
        wb.close()


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line on stderr and give the Exit to raise."""
    err_console.print(f"[bold red]error:[/bold red] {message}", soft_wrap=True)
    return typer.Exit(code)


def cli_errors(func: F) -> F:
    """Turn any SpoolsheetError into one line on stderr and its class's exit code."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SpoolsheetError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


def confirm(question: str, *, force: bool) -> None:
    """Ask before changing data; ``--force`` skips it; no terminal and no --force refuses."""
    if force:
        return
    if not sys.stdin or not sys.stdin.isatty():
        raise fail(f"{question} Refusing without a terminal to confirm on: add --force.")
    if not typer.confirm(question, default=False):
        raise fail("cancelled, nothing was changed")
