"""Rich renderings of plans, reports, status and the ledger, shared by the CLI and the demo (which
print status with ``print_status``: a pipe gets the ledger as tab-separated lines).

Cells are plain strings shown literally: the CLI's consoles have markup off (cli/common.py), so
a TAG or a step holding ``[bold]`` is printed as typed, with nothing to escape.
"""

from __future__ import annotations

from collections.abc import Sequence

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..ledger import LedgerEntry
from ..migrations import CheckReport, Plan, RunReport, Status, VerifyReport
from ..values import shop_tz
from .common import console


def plan_view(plan: Plan) -> RenderableType:
    title = (f"Plan: {plan.direction} {plan.workbook} ({plan.kind}) from {plan.version} "
             f"to {plan.target}")
    if not plan:
        return Text(f"{title}: nothing to do, the workbook is at {plan.version}.")
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("migration", style="bold")
    table.add_column("steps")
    table.add_column("its write (one atomic write unless said)")
    for m in plan.migrations:
        split = ([] if m.parts == 1 else
                 [f"{m.write_requests} writes (over Google's 10 MB per request: not atomic; "
                  "a killed run resumes)"])
        table.add_row(f"{m.id}\n{m.version_from} → {m.version_to}",
                      "\n".join(f"• {s}" for s in m.steps),
                      "\n".join(f"• {w}" for w in [*split, *m.writes]))
    for line in plan.resume:
        table.add_row("(resume)", line, "ledger status")
    requests = Text("Requests: " + "; ".join(plan.requests), style="dim")
    parts: list[RenderableType] = [table, requests]
    if plan.lock:
        parts.append(Text(f"Lock held by {plan.lock.describe()}", style="yellow"))
    return Group(*parts)


def report_view(report: RunReport) -> RenderableType:
    if report.dry_run:
        return Group(plan_view(report.plan), Text("Dry run: nothing was written.", style="bold"))
    if not report.changed:
        return Text(f"Nothing to do: the workbook is at {report.version_after}.")
    lines = [f"{report.action}: {report.version_before} → {report.version_after}"]
    lines += [f"applied and verified: {', '.join(report.applied)}"] if report.applied else []
    lines += [f"finished verifying: {', '.join(report.verified)}"] if report.verified else []
    lines += [f"backup: {report.backup_id}"] if report.backup_id else []
    r, b = report.requests, report.backup_requests
    lines.append(f"requests: {r.get('reads', 0)} reads, {r.get('writes', 0)} writes, "
                 f"{r.get('retries', 0)} retries (backup: {b.get('reads', 0)} reads, "
                 f"{b.get('writes', 0)} writes); {report.duration_s:.1f} s")
    return Text("\n".join(lines), style="green")


LEDGER_COLUMNS = ("migration", "version", "status", "when", "who", "seconds", "backup")


def _ledger_rows(history: Sequence[LedgerEntry]) -> list[tuple[str, ...]]:
    return [(e.migration_id, e.schema_version, e.status, e.applied_at, e.applied_by,
             f"{e.duration_s:.1f}" if e.duration_s is not None else "", e.backup_id)
            for e in history]


def ledger_lines(history: Sequence[LedgerEntry]) -> list[str]:
    """The ledger for a pipe: tab-separated lines with a header, nothing cut or wrapped; the
    header names the zone of ``when``, as the terminal's table title does."""
    header = tuple(f"when ({shop_tz()})" if c == "when" else c for c in LEDGER_COLUMNS)
    return ["\t".join(r) for r in [header, *_ledger_rows(history)]]


def ledger_view(history: Sequence[LedgerEntry]) -> RenderableType:
    if not history:
        return Text("The ledger is empty: no migration was ever recorded.")
    table = Table(title=f"Migration ledger (sheet spoolsheet_migrations; times in {shop_tz()})",
                  title_justify="left")
    for name in LEDGER_COLUMNS:
        table.add_column(name, no_wrap=name == "migration", min_width=10 if name == "when" else None,
                         overflow="fold" if name == "backup" else "ellipsis")
    for row in _ledger_rows(history):
        table.add_row(*row)
    return table


def status_view(status: Status, *, ledger: bool = True) -> RenderableType:
    """Status and (unless ``ledger`` is False: a pipe gets ``ledger_lines``, see
    ``print_status``) the ledger."""
    table = Table(show_header=False, title=f"{status.workbook} ({status.kind})", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("schema version", status.version)
    table.add_row("pending", ", ".join(status.pending) or "none")
    if status.unverified:
        table.add_row("never verified", ", ".join(status.unverified) + " (run `migrate up`)")
    table.add_row("last backup", status.last_backup.describe() if status.last_backup else "none found")
    table.add_row("lock", status.lock.describe() if status.lock else "free")
    if status.checksum_mismatch:
        table.add_row("changed since applied", ", ".join(status.checksum_mismatch))
    return Group(table, ledger_view(status.history)) if ledger else table


def verify_view(report: VerifyReport) -> RenderableType:
    if report.ok:
        return Text(f"OK: the workbook holds what {report.version} promises "
                    f"({', '.join(report.checked) or 'nothing to check at the base version'}).",
                    style="green")
    return Text("Verification failed:\n" + "\n".join(f"• {p}" for p in report.problems), style="red")


def check_view(report: CheckReport) -> RenderableType:
    if report.ok:
        return Text(f"No drift: the workbook has the layout {report.version} gives it.", style="green")
    return Text(f"Drift from the layout of {report.version}:\n"
                + "\n".join(f"• {p}" for p in report.drift), style="red")


def print_status(status: Status) -> None:
    """Status and ledger on stdout: tables on a terminal; on a pipe the ledger as tab-separated
    lines, so that no id or backup name is cut or wrapped at the pipe's assumed 80 columns."""
    piped = not console.is_terminal
    console.print(status_view(status, ledger=not piped))
    if piped and status.history:
        typer.echo("\n".join(ledger_lines(status.history)))
    elif piped:
        console.print(ledger_view(status.history))
