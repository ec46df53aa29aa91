"""``spoolsheet migrate ...``: thin over ``spoolsheet.migrations``.

``MIGRATION_DRY_RUN=true`` turns every migration command into a dry run; ``BACKUP_FOLDER_ID``
is the default backup folder; ``SPOOLSHEET_ACTOR`` names who runs it in the ledger.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from .common import cli_errors, confirm, console, err_console, read_only, state, workbook
from .output import emit_json, json_option

migrate_app = typer.Typer(help="Schema migrations: status, plan, up, down, verify, baseline.",
                          no_args_is_help=True)

TO = typer.Option(None, "--to", help="Stop at this migration id or version (e.g. v3_0_occupation, v2.1).")
DRY_RUN = typer.Option(False, "--dry-run", help="Show the plan, write nothing (also MIGRATION_DRY_RUN=true).")
FORCE = typer.Option(False, "--force", help="Do not ask for confirmation.")
BACKUP_ID = typer.Option(None, "--backup-id", help="Use this existing backup (it must match the "
                                                   "workbook now) instead of taking one.")
FOLDER = typer.Option(None, "--backup-folder", "--folder",
                      help="Where the backup goes (env BACKUP_FOLDER_ID).")
BREAK = typer.Option(False, "--break-lock",
                     help="Release a lock left by a crashed run first (admin's escape).")
TTL = typer.Option(None, "--lock-ttl", help="Seconds before a lock left by a killed run can be taken "
                                            "over (default 15 minutes).")
MIGRATIONS_DIR = typer.Option(None, "--migrations", help="The shop's folder of revision files, "
                              "after the package's own (env SPOOLSHEET_MIGRATIONS).")


@contextmanager
def no_cycle_scans() -> Iterator[None]:
    """The cyclic collector off for the run: a workbook read is millions of acyclic cell lists,
    which every full collection rescans with the GIL held (at 12,000 spools about a third of
    `migrate up`, in pauses of up to 0.5 s that freeze the display). Refcounting still frees."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _run(ctx: typer.Context, func, *, force: bool, dry_run: bool, as_json: bool = False,
         **options) -> None:
    """The shared shape of up/down: options from the environment, plan, confirm, run, report."""
    from .. import migrations
    from . import migrate_views as render
    from .progress import progress_view

    st = state(ctx)
    if options.get("lock_ttl", 0) is None:
        del options["lock_ttl"]

    with workbook(ctx) as wb, progress_view(verbose=st.verbose) as progress, no_cycle_scans():

        def ask(plan: migrations.Plan) -> bool:
            with progress.paused():
                (err_console if as_json else console).print(render.plan_view(plan))
                confirm(f"Apply this {plan.direction} to {plan.workbook}?", force=False)
            return True

        report = func(wb, dry_run=dry_run or st.settings.migration_dry_run, force=force,
                      actor=st.settings.actor, confirm=ask, progress=progress, **options)
    if as_json:
        emit_json(report)
    else:
        console.print(render.report_view(report))


@migrate_app.command()
@read_only
@cli_errors
def status(ctx: typer.Context, as_json: bool = json_option(),
           migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
    """Schema version, pending migrations, ledger, last backup and lock (1 read)."""
    from .. import migrations
    from . import migrate_views as render
    from .progress import progress_view

    with workbook(ctx) as wb, progress_view(verbose=state(ctx).verbose) as progress:
        result = migrations.status(wb, migrations_dir=migrations_dir, progress=progress)
    if as_json:
        emit_json(result)
    else:
        render.print_status(result)


@migrate_app.command()
@read_only
@cli_errors
def plan(ctx: typer.Context, to: str | None = TO,
         as_json: bool = json_option(),
         migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
    """The dry run of `up`: exact changes and the requests it will make; writes nothing."""
    from .. import backup, migrations
    from . import migrate_views as render
    from .progress import progress_view

    with workbook(ctx) as wb, progress_view(verbose=state(ctx).verbose) as progress:
        result = migrations.plan(wb, to=to, backups=backup, migrations_dir=migrations_dir,
                                 progress=progress)
    if as_json:
        emit_json(result)
    else:
        console.print(render.plan_view(result))


@migrate_app.command()
@cli_errors
def up(ctx: typer.Context, to: str | None = TO, dry_run: bool = DRY_RUN, force: bool = FORCE,
       backup_id: str | None = BACKUP_ID, backup_folder: str | None = FOLDER,
       break_lock: bool = BREAK, lock_ttl: float | None = TTL,
       migrations_dir: Path | None = MIGRATIONS_DIR, as_json: bool = json_option()) -> None:
    """Apply pending migrations: lock, verified backup, one atomic write each, verify, record."""
    from .. import backup, migrations

    _run(ctx, migrations.up, backups=backup, to=to, dry_run=dry_run, force=force,
         backup_id=backup_id,
         backup_folder=backup_folder or state(ctx).settings.backup_folder, break_lock=break_lock,
         lock_ttl=lock_ttl, migrations_dir=migrations_dir, as_json=as_json)


@migrate_app.command()
@cli_errors
def down(ctx: typer.Context, to: str | None = TO, dry_run: bool = DRY_RUN,
         force: bool = typer.Option(False, "--force",
                                    help="Do not ask; revert even while spools are occupied."),
         backup_id: str | None = BACKUP_ID, backup_folder: str | None = FOLDER,
         break_lock: bool = BREAK, lock_ttl: float | None = TTL,
         migrations_dir: Path | None = MIGRATIONS_DIR, as_json: bool = json_option()) -> None:
    """Revert the last migration (or down to --to), after a verified backup."""
    from .. import backup, migrations

    _run(ctx, migrations.down, backups=backup, to=to, dry_run=dry_run, force=force,
         backup_id=backup_id,
         backup_folder=backup_folder or state(ctx).settings.backup_folder, break_lock=break_lock,
         lock_ttl=lock_ttl, migrations_dir=migrations_dir, as_json=as_json)


@migrate_app.command()
@read_only
@cli_errors
def check(ctx: typer.Context, as_json: bool = json_option(),
          migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
    """Compare the workbook with the layout its chain gives it; exit 4 on drift."""
    from .. import migrations
    from . import migrate_views as render

    with workbook(ctx) as wb:
        result = migrations.check(wb, migrations_dir=migrations_dir)
    if as_json:
        emit_json({"version": result.version, "drift": result.drift})
    else:
        console.print(render.check_view(result))
    if not result.ok:
        raise typer.Exit(4)


@migrate_app.command()
@read_only
@cli_errors
def verify(ctx: typer.Context, migrations_dir: Path | None = MIGRATIONS_DIR,
           as_json: bool = json_option()) -> None:
    """Check the workbook holds what its schema version promises; exit 4 if not."""
    from .. import migrations
    from . import migrate_views as render

    with workbook(ctx) as wb:
        result = migrations.verify(wb, migrations_dir=migrations_dir)
    if as_json:
        emit_json({"version": result.version, "checked": result.checked,
                   "problems": result.problems, "ok": result.ok})
    else:
        console.print(render.verify_view(result))
    if not result.ok:
        raise typer.Exit(4)


@migrate_app.command()
@cli_errors
def baseline(ctx: typer.Context,
             migration_id: str = typer.Argument(..., help="The migration already applied by hand."),
             dry_run: bool = DRY_RUN, force: bool = FORCE, break_lock: bool = BREAK,
             migrations_dir: Path | None = MIGRATIONS_DIR, as_json: bool = json_option()) -> None:
    """Adopt a workbook migrated by hand: check it, then record it without changing data."""
    from .. import migrations

    _run(ctx, lambda wb, **kw: migrations.baseline(wb, migration_id, **kw), force=force,
         dry_run=dry_run, break_lock=break_lock, migrations_dir=migrations_dir, as_json=as_json)


@migrate_app.command()
@cli_errors
def stamp(ctx: typer.Context,
          migration_id: str = typer.Argument(..., help="The migration to record as applied."),
          dry_run: bool = DRY_RUN, force: bool = FORCE, break_lock: bool = BREAK,
          migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
    """Record the workbook as at a migration without checking or changing data; see `check`."""
    from .. import migrations

    _run(ctx, lambda wb, **kw: migrations.stamp(wb, migration_id, **kw), force=force,
         dry_run=dry_run, break_lock=break_lock, migrations_dir=migrations_dir)


@migrate_app.command()
@cli_errors
def new(message: str = typer.Argument(..., help="What the revision does, e.g. 'add Estado_Detalle'."),
        migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
    """Write a new revision file into the shop's folder, revising the current head."""
    from .. import migrations

    path = migrations.new(message, migrations_dir)
    console.print(f"Wrote {path}: fill in upgrade(op) (and downgrade(op)), then `migrate plan`.")


def register(app: typer.Typer) -> None:
    """Add `migrate` to the root app."""
    app.add_typer(migrate_app, name="migrate")
