"""``spoolsheet tomar / pausar / completar / spools / workers / history``: thin layers over
spoolsheet.occupation, each running the migration chain's drift check (``--migrations DIR`` /
``SPOOLSHEET_MIGRATIONS``, as ``migrate check``) on the read it makes: exit 4 on drift."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from ..values import format_date, shop_now
from .common import cli_errors, console, err_console, read_only, workbook
from .migrate import MIGRATIONS_DIR
from .output import emit_json, json_option, print_table

if TYPE_CHECKING:
    from .. import occupation
    from ..occupation import Holding, LayoutCheck

WORKER = typer.Option(..., "--worker", help="The worker: its Id in Trabajadores (93) or its "
                                            "INICIALES(ID) form (MR(93)); see `spoolsheet workers`.")
EXPECT = typer.Option(None, "--expect-version", help="Refuse (exit 3) unless the spool is at this "
                                                     "version: the one you last saw.")
TAG = typer.Argument(..., help="The spool's TAG_SPOOL (barcode).")


def say(outcome: occupation.Outcome, as_json: bool) -> None:
    """The outcome's sentence, printed as is; or its JSON object (``Outcome.as_dict``)."""
    if as_json:
        emit_json(outcome)
    else:
        console.print(str(outcome), soft_wrap=True)


def when(value: dt.date | None) -> str:
    if value is None:
        return ""
    text = format_date(value)
    return f"{text} {value:%H:%M}" if isinstance(value, dt.datetime) else text


def span(holding: Holding, now: dt.datetime) -> str:
    length = holding.duration(now)
    if length is None:
        return "?"
    hours, rest = divmod(int(length.total_seconds()) // 60, 60)
    days, hours = divmod(hours, 24)
    return (f"{days}d " if days else "") + f"{hours}h {rest:02d}m"


def checked(migrations_dir: Path | None) -> LayoutCheck:
    """The chain's drift check, the one ``migrate check`` and the HTTP service run."""
    from .. import migrations

    return migrations.layout_check(migrations_dir)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""

    @app.command("tomar")
    @cli_errors
    def tomar(ctx: typer.Context, tag: str = TAG, worker: str = WORKER,
              op: Literal["ARM", "SOLD"] = typer.Option(..., "--op", case_sensitive=False,
                                                        help="The operation to take it for."),
              expect_version: int | None = EXPECT, as_json: bool = json_option(),
              migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
        """Take a free spool for ARM or SOLD (exit 3 if someone else holds or changed it)."""
        from .. import occupation

        with workbook(ctx) as wb:
            say(occupation.tomar(wb, tag, worker=worker, op=occupation.Operation(op.upper()),
                                 expect_version=expect_version,
                                 layout_check=checked(migrations_dir)), as_json)

    @app.command("pausar")
    @cli_errors
    def pausar(ctx: typer.Context, tag: str = TAG, worker: str = WORKER,
               expect_version: int | None = EXPECT, as_json: bool = json_option(),
               migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
        """Release a spool you hold, keeping its progress (exit 3 if you do not hold it)."""
        from .. import occupation

        with workbook(ctx) as wb:
            say(occupation.pausar(wb, tag, worker=worker, expect_version=expect_version,
                                  layout_check=checked(migrations_dir)), as_json)

    @app.command("completar")
    @cli_errors
    def completar(ctx: typer.Context, tag: str = TAG, worker: str = WORKER,
                  expect_version: int | None = EXPECT, as_json: bool = json_option(),
                  migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
        """Finish the operation you took the spool for, and release it."""
        from .. import occupation

        with workbook(ctx) as wb:
            say(occupation.completar(wb, tag, worker=worker, expect_version=expect_version,
                                     layout_check=checked(migrations_dir)), as_json)

    @app.command("spools")
    @read_only
    @cli_errors
    def spools(ctx: typer.Context,
               free: bool = typer.Option(False, "--free", help="Only spools nobody holds."),
               occupied: bool = typer.Option(False, "--occupied", help="Only spools someone holds."),
               as_json: bool = typer.Option(False, "--json", help="JSON records, with version and "
                                                                  "row_hash."),
               migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
        """Who has what: every spool with its holder, ARM and SOLD stages and version."""
        from .. import occupation

        with workbook(ctx) as wb:
            service = occupation.OccupationService(wb, layout_check=checked(migrations_dir))
            survey = service.survey(free=free, occupied=occupied, hashed=as_json)
        found = [s for s in survey if isinstance(s, occupation.Spool)]
        for problem in survey:
            if not isinstance(problem, occupation.Spool):
                err_console.print(f"unreadable spool: {problem}", markup=False, soft_wrap=True)
        if as_json:
            emit_json([{**s.as_dict(), "since": s.since} for s in found])  # since: UTC, offset
            return
        arm, sold = occupation.Operation.ARM, occupation.Operation.SOLD
        print_table(console, ["TAG", "Ocupado_Por", "since", "ARM", "SOLD", "version"],
                    ([s.tag, str(s.holder or ""), when(s.since), s.stage(arm).value,
                      s.stage(sold).value, str(s.version)] for s in found))
        console.print(f"{len(found)} spools, {sum(not s.free for s in found)} occupied")

    @app.command("workers")
    @read_only
    @cli_errors
    def workers(ctx: typer.Context,
                as_json: bool = typer.Option(False, "--json", help="JSON records: id, ref, nombre, "
                                                                   "apellido, activo, roles."),
                migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
        """Every worker: Id, INICIALES(ID), name, active or not, active roles."""
        from .. import occupation

        with workbook(ctx) as wb:
            found = occupation.workers(wb, layout_check=checked(migrations_dir))
        if as_json:
            emit_json(found)
            return
        print_table(console, ["Id", "worker", "name", "active", "roles"],
                    ([str(w.id), str(w.ref), w.name, "yes" if w.activo else "no",
                      ", ".join(sorted(w.roles))] for w in found))

    @app.command("history")
    @read_only
    @cli_errors
    def history(ctx: typer.Context, tag: str = TAG, as_json: bool = json_option(),
                migrations_dir: Path | None = MIGRATIONS_DIR) -> None:
        """Who held a spool, for which operation, from when to when, for how long."""
        from .. import occupation

        with workbook(ctx) as wb:
            held = occupation.history(wb, tag, layout_check=checked(migrations_dir))
        now = shop_now()
        if as_json:
            emit_json([{**dataclasses.asdict(h), "seconds": h.duration(now)} for h in held])
            return
        if not held:
            console.print(f"{tag}: never taken (no TOMAR_SPOOL in Metadata)")
            return
        print_table(console, ["worker", "op", "from", "to", "for", "ended by"],
                    ([h.worker or str(h.worker_id), str(h.operation), when(h.start),
                      when(h.end) or "(holds it now)", span(h, now), h.ended_by or ""]
                     for h in held))
