"""What every command shares: the global options, opening the workbook, errors → exit codes.

Commands stay thin (sqlite-utils' habit): parse options, call one library function, print.
Each ``cli/`` module has a ``register(app)`` that adds its commands; the root group then gives
every command the global options (``--workbook``, ``--sheet-id``, ``-v``, ``--dry-run``), so they
work before and after the subcommand with one meaning. Library modules are imported inside the
commands, never at the top of a ``cli/`` module: ``--help`` stays fast.

Data is printed literally: both consoles have Rich markup off, so a TAG like ``[/x]`` or a cell
like ``[bold]X`` is shown as typed. Style comes from ``rich.text.Text`` objects, never from markup.
"""

from __future__ import annotations

import copy
import functools
import gc
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
import typer.main
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from ..errors import SpoolsheetError

if TYPE_CHECKING:  # Typer ships its own Click (typer._click) and exports no name for its types
    from typer._click import Command, Parameter

    from ..settings import Settings
    from ..workbook import Workbook


class Program(typer.Typer):
    """The root app. Called (``app()``: the ``spoolsheet`` script, ``python -m spoolsheet``), it is
    a process that runs one command and ends: with the cyclic collector off, and not turned back
    on (the first collection after would scan every object the command made). A command imports
    some 380 modules and reads cells, all acyclic (refcounting frees them), which the collector
    scanned 100-120 times: 20-50 ms of a command's 0.4-0.5 s of CPU at 2,500 spools.
    ``spoolsheet serve``, long-lived, turns it back on; in-process runs (CliRunner) keep it on."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        gc.disable()
        return super().__call__(*args, **kwargs)


console = Console(highlight=False, markup=False, emoji=False)
err_console = Console(stderr=True, highlight=False, markup=False, emoji=False)

F = TypeVar("F", bound=Callable[..., object])

GLOBAL_PANEL = "Global options (before or after the command)"


@dataclass
class State:
    """What the global options said, handed to every command through the root context's ``obj``.

    Settings are read from the environment only when a command first needs them (``--help``
    never pays for pydantic), then the options override them.
    """

    workbook: Path | None = None
    sheet_id: str | None = None
    verbose: bool = False
    dry_run: bool = False
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from ..settings import Settings

            settings = Settings()
            if self.workbook is not None:
                settings = settings.model_copy(update={"workbook": self.workbook, "sheet_id": None})
            elif self.sheet_id is not None:
                settings = settings.model_copy(update={"sheet_id": self.sheet_id, "workbook": None})
            self._settings = settings
        return self._settings


def state(ctx: typer.Context) -> State:
    """The State of this invocation (kept on the root context)."""
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def _set_workbook(ctx: typer.Context, value: Path | None) -> None:
    if value is not None:
        st = state(ctx)
        if st.sheet_id is not None:
            raise typer.BadParameter("give --workbook or --sheet-id, not both")
        st.workbook = value


def _set_sheet_id(ctx: typer.Context, value: str | None) -> None:
    if value is not None:
        st = state(ctx)
        if st.workbook is not None:
            raise typer.BadParameter("give --workbook or --sheet-id, not both")
        st.sheet_id = value


def _set_verbose(ctx: typer.Context, value: bool) -> None:
    if value:
        state(ctx).verbose = True


def _set_dry_run(ctx: typer.Context, value: bool) -> None:
    if value:
        state(ctx).dry_run = True


def _refuse_dry_run(ctx: typer.Context, value: bool) -> None:
    if value or state(ctx).dry_run:
        raise typer.BadParameter(f"`{ctx.command_path}` has no dry run: it writes to the workbook")


@functools.cache
def _built(func: Callable[..., None]) -> tuple[Parameter, ...]:
    """The option objects Typer builds from ``func``'s signature, built once per process."""
    holder = typer.Typer(add_completion=False)
    holder.command()(func)
    return tuple(typer.main.get_command(holder).params)


def _params(func: Callable[..., None]) -> list[Parameter]:
    """Fresh option objects for one command: copies of ``_built``'s (building them for each of
    the 40-odd commands and groups was ~20 ms of every start-up)."""
    return [copy.copy(param) for param in _built(func)]


def _global_signature(
    workbook: Path | None = typer.Option(
        None, "--workbook", "-w", metavar="PATH", expose_value=False, callback=_set_workbook,
        rich_help_panel=GLOBAL_PANEL, help="Local .xlsx workbook (env SPOOLSHEET_WORKBOOK)."),
    sheet_id: str | None = typer.Option(
        None, "--sheet-id", metavar="ID", expose_value=False, callback=_set_sheet_id,
        rich_help_panel=GLOBAL_PANEL, help="Google spreadsheet id (env GOOGLE_SHEET_ID)."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", expose_value=False, callback=_set_verbose,
        rich_help_panel=GLOBAL_PANEL, help="Say more: each step as it happens, and the requests made."),
) -> None:
    """The options every command accepts, before or after its name, with the same meaning."""


def _root_dry_run(dry_run: bool = typer.Option(
        False, "--dry-run", expose_value=False, callback=_set_dry_run, rich_help_panel=GLOBAL_PANEL,
        help="Make the command a dry run, as its own --dry-run (a command that has none refuses; "
             "migrations also: MIGRATION_DRY_RUN=true).")) -> None:
    """``spoolsheet --dry-run COMMAND``."""


def _read_only_dry_run(dry_run: bool = typer.Option(
        False, "--dry-run", expose_value=False, callback=_set_dry_run, rich_help_panel=GLOBAL_PANEL,
        help="Accepted: this command writes nothing anyway.")) -> None:
    """A read-only command's --dry-run."""


def _refused_dry_run(dry_run: bool = typer.Option(
        False, "--dry-run", expose_value=False, callback=_refuse_dry_run, rich_help_panel=GLOBAL_PANEL,
        help="Refused (exit 2): this command writes and has no dry run.")) -> None:
    """A writing command without a dry run refuses ``--dry-run`` rather than write."""


def _merge_root_dry_run(param: Parameter) -> None:
    """A command's own --dry-run is also set by ``spoolsheet --dry-run COMMAND``."""
    own = param.callback

    def merged(ctx: Any, p: Parameter, value: Any) -> Any:
        value = bool(value) or state(ctx).dry_run
        return own(ctx, p, value) if own is not None else value

    param.callback = merged


def read_only(func: F) -> F:
    """Mark a command that never writes: ``--dry-run`` is accepted and changes nothing.

    A command without its own ``--dry-run`` and without this mark refuses ``--dry-run`` (exit 2)
    rather than write when the admin asked for a dry run.
    """
    func.__dict__["spoolsheet_read_only"] = True
    return func


GLOBAL_NAMES = {"--workbook", "-w", "--sheet-id", "--verbose", "-v"}


def _equip(command: Command) -> None:
    """Give ``command`` (and everything under it) the global options."""
    for param in command.params:
        if GLOBAL_NAMES & set(param.opts + param.secondary_opts):
            raise RuntimeError(f"`{command.name}` declares a global option ({', '.join(param.opts)}): "
                               "cli.common gives it to every command; read it with state(ctx)")
    command.params.extend(_params(_global_signature))
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            _equip(sub)
        return
    own = next((p for p in command.params if p.name == "dry_run"), None)
    if own is not None:
        _merge_root_dry_run(own)
    elif getattr(command.callback, "spoolsheet_read_only", False):
        command.params.extend(_params(_read_only_dry_run))
    else:
        command.params.extend(_params(_refused_dry_run))


class RootGroup(TyperGroup):
    """The ``spoolsheet`` group: hands the global options to every command it holds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_params(_global_signature) + _params(_root_dry_run))
        for command in self.commands.values():
            _equip(command)


@contextmanager
def workbook(ctx: typer.Context) -> Iterator[Workbook]:
    """The workbook the options/environment name, closed afterwards; request counts with -v.
    On a terminal, the sizes of earlier runs' answers go with it (``answer_sizes``)."""
    from ..workbook import open_workbook

    st = state(ctx)
    sizes = answer_sizes() if err_console.is_terminal else None
    known = dict(sizes) if sizes is not None else None
    wb = open_workbook(st.settings, answered=sizes)
    try:
        yield wb
    finally:
        if st.verbose:
            s = wb.stats
            err_console.print(Text(f"{wb.kind} requests: {s.reads} reads, {s.writes} writes, "
                                   f"{s.retries} retries", style="dim"))
        wb.close()
        if sizes is not None and sizes != known:
            keep_answer_sizes(sizes)


#: Answers whose sizes are kept between runs (the newest; each a digest and a number).
KEPT_SIZES = 200


def answer_sizes_path() -> Path:
    """Where the CLI keeps the sizes of Google's answers between runs: in the user's cache
    folder (``$XDG_CACHE_HOME``, else ``~/.cache``), so that the first long read of a run shows a
    total and an ETA (an estimate, ``≈``) where Google sends no length. Only digests of the
    requests and byte counts: no id, name or cell."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "spoolsheet" / "answer-sizes.json"


def answer_sizes() -> dict[str, int]:
    """What earlier runs kept (nothing when the file is missing or not ours to read)."""
    try:
        kept = json.loads(answer_sizes_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(kept, dict):
        return {}
    return {k: v for k, v in kept.items() if isinstance(k, str) and type(v) is int}


def keep_answer_sizes(sizes: dict[str, int]) -> None:
    """Merge this run's sizes into the file (atomically; the newest ``KEPT_SIZES``). A cache:
    a folder that cannot be written only loses the estimates, never the command."""
    from ..fs import atomic_write_text

    merged = {k: v for k, v in answer_sizes().items() if k not in sizes}
    merged.update(sizes)  # this run's last: the newest are kept
    newest = dict(list(merged.items())[-KEPT_SIZES:])
    path = answer_sizes_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(newest))
    except OSError:
        pass


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line on stderr and give the Exit to raise."""
    err_console.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)
    return typer.Exit(code)


def cli_errors(func: F) -> F:
    """Turn any SpoolsheetError into one line on stderr and its class's exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
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
