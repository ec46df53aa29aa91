"""``spoolsheet backup create|verify|list|prune|restore``: thin commands over ``spoolsheet.backup``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import typer
from rich.text import Text

from .common import cli_errors, confirm, console, err_console, fail, read_only, state, workbook
from .output import count, emit_json

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


JsonOption = typer.Option(False, "--json",
                          help="Print the result as JSON on stdout (shape in docs/backup.md).")


@app.command("create")
@cli_errors
def create(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be created; write nothing."),
    verify: bool = typer.Option(False, "--verify", help="Check the copy: byte for byte against "
                                "what was read (.xlsx), else read back cell by cell."),
    folder: str | None = FolderOption,
    label: str | None = typer.Option(None, "--label",
                                     help="Label in the name (default: the schema version)."),
    as_json: bool = JsonOption,
) -> None:
    """Copy the whole workbook into a new backup, with a manifest, and log it in Metadata."""
    from .. import backup as lib
    from .progress import progress_view

    with workbook(ctx) as wb, progress_view() as bar:
        b = lib.create(wb, folder=_folder(ctx, folder), label=label, verify=verify,
                       dry_run=dry_run, actor=state(ctx).settings.actor, progress=bar)
        where = lib.store_for(wb, _folder(ctx, folder)).folder
    if as_json:
        emit_json({"dry_run": dry_run, "folder": where, "backup": b.to_json()})
        return
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
    backup_id: str = typer.Argument(..., metavar="BACKUP", help="Backup id or name (see `backup list`)."),
    against_source: bool = typer.Option(False, "--against-source",
                                        help="Also compare with the live workbook."),
    folder: str | None = FolderOption,
    as_json: bool = JsonOption,
) -> None:
    """Check a backup against its manifest (and the live workbook); exit 4 on any mismatch."""
    from .. import backup as lib
    from .progress import progress_view

    with workbook(ctx) as wb, progress_view() as bar:
        report = lib.verify(wb, backup_id, against_source=against_source,
                            folder=_folder(ctx, folder), progress=bar)
    if as_json:
        emit_json(report.to_json())
        if not report.ok:
            raise typer.Exit(4)
        return
    for note in report.notes:
        say(f"note: {note}")
    if not report.intact:
        for line in [*report.backup_problems, *map(str, report.differences)]:
            err_console.print(f"  {line}", markup=False, soft_wrap=True)
        raise fail(f"backup {report.backup.id} failed verification", 4)
    if report.source_changes:
        for line in [*report.source_changes, *map(str, report.differences)]:
            err_console.print(f"  {line}", markup=False, soft_wrap=True)
        raise fail(f"backup {report.backup.name} is intact ({report.sheets_checked} sheets match "
                   "its manifest), but the live workbook has changed since it was taken: "
                   f"{count(len(report.source_changes), 'sheet')} changed, listed above with "
                   "the first cells that differ", 4)
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
    """This workbook's backups, newest first, with name, id, age, label, schema version, size and status.

    On a terminal a table; piped, one backup per line, tab-separated, never wrapped.
    """
    from .. import backup as lib

    with workbook(ctx) as wb:
        backups = lib.list_backups(wb, folder=_folder(ctx, folder))
    if as_json:
        emit_json([b.to_json() for b in backups])
        return
    if not backups:
        say("no backups of this workbook yet")
        return
    if not console.is_terminal:
        typer.echo("\t".join(("name", "id", "age", "label", "schema", "size", "status")))
        for b in backups:
            typer.echo("\t".join((b.name, b.id, _age(b.created), b.label, b.schema_version,
                           str(b.size) if b.size is not None else "", _status(b).plain)))
        return
    from rich.table import Column, Table

    table = Table(Column("name", no_wrap=True), Column("id", no_wrap=True), "age", "label",
                  "schema", "size", "status")
    for b in backups:
        table.add_row(b.name, b.id if b.id != b.name else "(same)",
                      _age(b.created), b.label, b.schema_version,
                      f"{b.size:,}" if b.size is not None else "", _status(b))
    console.print(table)


@app.command("prune")
@cli_errors
def prune(
    ctx: typer.Context,
    keep_last: int = typer.Option(5, "--keep-last", help="Always keep this many newest backups."),
    max_age: float = typer.Option(30, "--max-age", help="Always keep backups younger than this many days."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be removed; remove nothing."),
    folder: str | None = FolderOption,
    as_json: bool = JsonOption,
) -> None:
    """Remove old backups (Google: to the trash); the newest verified one always stays."""
    from .. import backup as lib

    with workbook(ctx) as wb:
        removed = lib.prune(wb, keep_last=keep_last, max_age_days=max_age, dry_run=dry_run,
                            folder=_folder(ctx, folder))
        done = lib.store_for(wb, _folder(ctx, folder)).removal
    if as_json:
        emit_json({"dry_run": dry_run, "removal": done, "removed": [b.to_json() for b in removed]})
        return
    verb = f"would be {done}" if dry_run else done
    for b in removed:
        say(f"{verb}: {b.name} ({_age(b.created)} old, {b.label})")
    if not removed:
        say("nothing to prune")
    else:
        say(f"{count(len(removed), 'backup')} {verb}")


@app.command("restore")
@cli_errors
def restore(
    ctx: typer.Context,
    backup_id: str = typer.Argument(..., metavar="BACKUP", help="Backup id or name (see `backup list`)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change; write nothing."),
    force: bool = typer.Option(False, "--force",
                               help="Do not ask; restore even a backup that fails verification."),
    folder: str | None = FolderOption,
    as_json: bool = JsonOption,
) -> None:
    """Roll the live workbook back to a backup, in place, after taking a safety backup.

    The audit log (Metadata) and the migration lock are kept as they are, never rolled back.
    """
    from .. import backup as lib

    if not dry_run:
        confirm(f"Roll the workbook back to backup {backup_id}? Every sheet but the audit log is "
                "overwritten (a safety backup of the current state is taken first).", force=force)
    from .progress import progress_view

    with workbook(ctx) as wb, progress_view() as bar:
        r = lib.restore(wb, backup_id, dry_run=dry_run, force=force, folder=_folder(ctx, folder),
                        actor=state(ctx).settings.actor, progress=bar)
    if as_json:
        emit_json(r.to_json())
        return
    if r.already_restored:
        say(f"backup {r.backup.name} was already restored by an earlier run; nothing was written")
    else:
        lead = "[dry run] would restore" if dry_run else "restored"
        say(f"{lead} backup {r.backup.name}: sheets rewritten: {', '.join(r.sheets_restored) or 'none'}"
            f"; re-created: {', '.join(r.sheets_added) or 'none'}"
            f"; removed (added since the backup): {', '.join(r.sheets_removed) or 'none'}"
            f"; kept as they are: {', '.join(r.sheets_kept) or 'none'}"
            f" ({count(r.events_kept, 'audit event')} logged since the backup stay in the log)")
        if r.migrations_rolled_back:
            say(f"migration runs rolled back (the ledger says so): {', '.join(r.migrations_rolled_back)}")
    for problem in r.forced:
        err_console.print(f"  forced past: {problem}", markup=False, soft_wrap=True)
    if r.safety_backup is not None:
        say(f"the state before the restore is in backup {r.safety_backup.name} (id {r.safety_backup.id})")
