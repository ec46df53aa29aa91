"""``spoolsheet backup create|verify|list|prune|restore``: thin commands over ``spoolsheet.backup``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Column, Table
from rich.text import Text

from .common import cli_errors, confirm, console, err_console, fail, read_only, state, workbook

if TYPE_CHECKING:
    from .. import backup as lib

app = typer.Typer(name="backup", no_args_is_help=True,
                  help="Back up the workbook, check backups, list and prune them, roll back to one.")

FOLDER_HELP = ("Where backups live: a Drive folder id (Google) or a directory (.xlsx; default "
               "backups/ beside the workbook). Env BACKUP_FOLDER_ID.")
FolderOption = typer.Option(None, "--folder", help=FOLDER_HELP)


def register(root: typer.Typer) -> None:
    """Add the ``backup`` commands to the root app."""
    root.add_typer(app)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress bar on a terminal (stderr); quiet when output is not a terminal."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        yield bar


def say(text: str) -> None:
    """One line on stdout, printed as is (names and ids may hold brackets)."""
    console.print(text, markup=False, soft_wrap=True)


def _folder(ctx: typer.Context, folder: str | None) -> str | None:
    return folder or state(ctx).settings.backup_folder


def _age(created: dt.datetime) -> str:
    seconds = int((dt.datetime.now(dt.UTC) - created).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _status(backup: lib.Backup) -> Text:
    if not backup.complete:
        return Text(backup.problem or "incomplete", style="red")
    if backup.verified is None:
        return Text("not checked")
    return Text("verified", style="green") if backup.verified else Text("FAILED", style="red")


@app.command("create")
@cli_errors
def create(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be created; write nothing."),
    verify: bool = typer.Option(False, "--verify", help="Read the copy back and check it cell by cell."),
    folder: str | None = FolderOption,
    label: str | None = typer.Option(None, "--label",
                                     help="Label in the name (default: the schema version)."),
) -> None:
    """Copy the whole workbook into a new backup, with a manifest, and log it in Metadata."""
    from .. import backup as lib

    with workbook(ctx) as wb, progress_bar() as bar:
        b = lib.create(wb, folder=_folder(ctx, folder), label=label, verify=verify,
                       dry_run=dry_run, actor=state(ctx).settings.actor, progress=bar)
        where = lib.store_for(wb, _folder(ctx, folder)).describe_folder()
    assert b.manifest is not None
    what = f"{b.name} in {where}: {len(b.manifest.sheets)} sheets, fingerprint {b.manifest.fingerprint}"
    if dry_run:
        say(f"[dry run] would create backup {what}; nothing was written")
        return
    say(f"created backup {what}\n  id: {b.id}" + (f"\n  path: {b.path}" if b.path else "")
        + ("\n  verified: the copy matches the workbook cell for cell" if verify else ""))


@app.command("verify")
@read_only
@cli_errors
def verify(
    ctx: typer.Context,
    backup_id: str = typer.Argument(..., metavar="BACKUP", help="Backup id (see `backup list`)."),
    against_source: bool = typer.Option(False, "--against-source",
                                        help="Also compare with the live workbook."),
    folder: str | None = FolderOption,
) -> None:
    """Check a backup against its manifest (and the live workbook); exit 4 on any mismatch."""
    from .. import backup as lib

    with workbook(ctx) as wb, progress_bar() as bar:
        report = lib.verify(wb, backup_id, against_source=against_source,
                            folder=_folder(ctx, folder), progress=bar)
    for note in report.notes:
        say(f"note: {note}")
    if not report.ok:
        for line in [*report.problems, *map(str, report.differences)]:
            err_console.print(f"  {line}", markup=False, soft_wrap=True)
        raise fail(f"backup {report.backup.id} failed verification", 4)
    source = " and the live workbook" if against_source else ""
    say(f"backup {report.backup.name} matches its manifest{source}: "
        f"{report.sheets_checked} sheets checked")


@app.command("list")
@read_only
@cli_errors
def list_(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of objects."),
    folder: str | None = FolderOption,
) -> None:
    """This workbook's backups, newest first, with age, label, schema version, size and status."""
    from .. import backup as lib

    with workbook(ctx) as wb:
        backups = lib.list_backups(wb, folder=_folder(ctx, folder))
    if as_json:
        typer.echo(json.dumps([b.to_json() for b in backups], ensure_ascii=False, indent=1))
        return
    table = Table(Column("id", overflow="fold"), "age", "label", "schema", "size", "status")
    for b in backups:
        table.add_row(b.id, _age(b.created), b.label, b.schema_version,
                      f"{b.size:,}" if b.size is not None else "", _status(b))
    if backups:
        console.print(table)
    else:
        say("no backups of this workbook yet")


@app.command("prune")
@cli_errors
def prune(
    ctx: typer.Context,
    keep_last: int = typer.Option(5, "--keep-last", help="Always keep this many newest backups."),
    max_age: float = typer.Option(30, "--max-age", help="Always keep backups younger than this many days."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be removed; remove nothing."),
    folder: str | None = FolderOption,
) -> None:
    """Remove old backups (Google: to the trash); the newest verified one always stays."""
    from .. import backup as lib

    with workbook(ctx) as wb:
        removed = lib.prune(wb, keep_last=keep_last, max_age_days=max_age, dry_run=dry_run,
                            folder=_folder(ctx, folder))
        verb = "would remove" if dry_run else ("moved to the trash" if wb.kind == "google" else "deleted")
    for b in removed:
        say(f"{verb}: {b.id} ({_age(b.created)} old, {b.label})")
    say(f"{len(removed)} backups {verb}" if removed else "nothing to prune")


@app.command("restore")
@cli_errors
def restore(
    ctx: typer.Context,
    backup_id: str = typer.Argument(..., metavar="BACKUP", help="Backup id (see `backup list`)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change; write nothing."),
    force: bool = typer.Option(False, "--force",
                               help="Do not ask; restore even a backup that fails verification."),
    folder: str | None = FolderOption,
) -> None:
    """Roll the live workbook back to a backup, in place, after taking a safety backup."""
    from .. import backup as lib

    if not dry_run:
        confirm(f"Roll the workbook back to backup {backup_id}? Every sheet is overwritten "
                "(a safety backup of the current state is taken first).", force=force)
    with workbook(ctx) as wb, progress_bar() as bar:
        r = lib.restore(wb, backup_id, dry_run=dry_run, force=force, folder=_folder(ctx, folder),
                        actor=state(ctx).settings.actor, progress=bar)
    lead = "[dry run] would restore" if dry_run else "restored"
    say(f"{lead} backup {r.backup.name}: sheets rewritten: {', '.join(r.sheets_restored) or 'none'}"
        f"; re-created: {', '.join(r.sheets_added) or 'none'}"
        f"; removed (added since the backup): {', '.join(r.sheets_removed) or 'none'}")
    for problem in r.forced:
        err_console.print(f"  forced past: {problem}", markup=False, soft_wrap=True)
    if r.safety_backup is not None:
        say(f"the state before the restore is in backup {r.safety_backup.id}")
