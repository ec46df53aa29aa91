"""docs/cli.md, generated from every command's ``--help`` and the ``--json`` shapes below.

Run ``python -m spoolsheet.cli.docs`` after changing a command; a test fails while docs/cli.md
differs from what this prints. Each ``--json`` command's shape is written here once: the keys of
its JSON object (or of each object of its list), checked against real output by the tests; a
key ending in ``?`` may be left out (e.g. a backup's ``path`` exists on .xlsx only). A key whose
value is an object (or a list of them) has its keys in ``NESTED``, checked the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from . import app

if TYPE_CHECKING:  # Typer ships its own Click (typer._click) and exports no name for its types
    from typer._click import Command

OUTCOME = ["action", "tag", "row", "operation", "worker", "version_before", "version",
           "event_id", "event_type", "replayed"]
RUN = ["action", "version_before", "version_after", "plan", "dry_run", "applied", "verified",
       "backup_id", "requests", "backup_requests", "duration_s"]
#: One backup, as ``backup list`` prints it and the other backup commands nest it.
BACKUP = ["id", "name", "created", "label", "schema_version", "verified", "complete", "size",
          "source_id", "source_title", "fingerprint", "path?", "problem?"]
PLAN = ["workbook", "kind", "direction", "version", "target", "migrations", "resume", "requests",
        "lock"]
REQUESTS = ["reads", "writes", "retries"]
#: Who holds the migration lock (null when free); acquired/expires in UTC with their offset.
LOCK = ["holder", "purpose", "acquired", "expires"]

#: command path → (kind, keys): "object" is one JSON object, "list" a list of such objects.
JSON_SHAPES: dict[str, tuple[str, list[str]]] = {
    "tomar": ("object", OUTCOME),
    "pausar": ("object", OUTCOME),
    "completar": ("object", OUTCOME),
    "history": ("list", ["worker_id", "worker", "operation", "start", "end", "ended_by", "seconds"]),
    "workers": ("list", ["id", "ref", "nombre", "apellido", "activo", "roles"]),
    "spools": ("list", ["tag", "row", "version", "holder", "since", "materiales", "armador",
                        "fecha_armado", "soldador", "fecha_soldadura", "row_hash", "arm_stage",
                        "sold_stage"]),
    "migrate status": ("object", ["workbook", "kind", "version", "pending", "history",
                                  "unverified", "last_backup", "lock", "checksum_mismatch"]),
    "migrate plan": ("object", PLAN),
    "migrate up": ("object", RUN),
    "migrate down": ("object", RUN),
    "migrate baseline": ("object", RUN),
    "migrate verify": ("object", ["version", "checked", "problems", "ok"]),
    "migrate check": ("object", ["version", "drift"]),
    "backup create": ("object", ["dry_run", "folder", "backup"]),
    "backup verify": ("object", ["backup", "intact", "ok", "sheets_checked", "problems",
                                 "against_source", "source_changes", "differences", "notes"]),
    "backup list": ("list", BACKUP),
    "backup prune": ("object", ["dry_run", "removal", "removed"]),
    "backup restore": ("object", ["backup", "dry_run", "safety_backup", "sheets_restored",
                                  "sheets_unchanged", "sheets_added", "sheets_removed",
                                  "sheets_kept", "events_kept", "migrations_rolled_back", "forced",
                                  "write_requests", "already_restored", "resumed", "restores"]),
}


#: command path → key of its document → the keys of the object(s) that key holds (or null).
NESTED: dict[str, dict[str, list[str]]] = {
    "migrate status": {"history": ["row", "migration_id", "schema_version", "description",
                                   "status", "applied_at", "applied_by", "duration_s",
                                   "backup_id", "checksum"],
                       "last_backup": ["name", "id", "created", "exact"], "lock": LOCK},
    "migrate plan": {"migrations": ["id", "description", "from", "to", "steps", "write",
                                    "write_requests", "atomic"], "lock": LOCK},
    **{run: {"plan": PLAN, "requests": REQUESTS, "backup_requests": REQUESTS}
       for run in ("migrate up", "migrate down", "migrate baseline")},
    "backup create": {"backup": BACKUP},
    "backup verify": {"backup": BACKUP},
    "backup prune": {"removed": BACKUP},
    "backup restore": {"backup": BACKUP, "safety_backup": BACKUP},
}


def keys_match(item: dict, keys: list[str]) -> bool:
    """Whether a JSON object has exactly ``keys``, in order, the optional (``?``) ones or not."""
    optional = {k[:-1] for k in keys if k.endswith("?")}
    return [k for k in item if k not in optional] == [k for k in keys if not k.endswith("?")] \
        and set(item) <= {k.rstrip("?") for k in keys}

HEADER = """# Command reference

Generated by `python -m spoolsheet.cli.docs` from each command's `--help`; do not edit by hand
(a test fails when this file is stale).

`--workbook`/`-w`, `--sheet-id`, `-v`/`--verbose` and `--dry-run` are accepted before or after
any command, with the same meaning everywhere. Exit codes: 0 done, 1 error, 2 usage, 3 conflict,
4 verification failed.

With `--json` a command prints one JSON document on stdout and nothing else there (progress and
messages go to stderr; exit codes are the same as without it). Times for machines are ISO 8601
in UTC with their offset (`2026-12-02T14:05:00+00:00`); a date alone stays `YYYY-MM-DD`. What
people read (tables, sentences) is in the shop's time, zone shown (`SPOOLSHEET_TZ`, default
America/Santiago). Under a command's keys, a key that holds an object (or a list of objects,
each with these keys; or null, or empty when there is none) has its keys listed.
"""


def commands(command: Command | None = None, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], Command]]:
    """Every command and group under the root, depth first, in registration order."""
    command = command or typer.main.get_command(app)
    yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from commands(sub, (*path, name))


def help_text(path: tuple[str, ...]) -> str:
    """What ``spoolsheet PATH --help`` prints at 100 columns."""
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100", "TERM": "dumb"},
                                prog_name="spoolsheet")
    if result.exit_code != 0:
        raise RuntimeError(f"spoolsheet {' '.join(path)} --help failed: {result.output}")
    return result.stdout.rstrip()


def key_list(keys: list[str]) -> str:
    return ", ".join(f"`{k[:-1]}` (optional)" if k.endswith("?") else f"`{k}`" for k in keys)


def named(keys: list[str]) -> str:
    """A nested object's keys (of each, in a list; the value may be null or empty), by the
    command that prints them whole where there is one."""
    for command, (_kind, whole) in JSON_SHAPES.items():
        if whole is keys:
            return f"the keys `{command}` prints"
    return f"each object has the keys: {key_list(keys)}"


def shape(name: str) -> str:
    found = JSON_SHAPES.get(name)
    if found is None:
        raise KeyError(f"`spoolsheet {name} --json` has no documented shape in cli/docs.py")
    kind, keys = found
    what = "one object" if kind == "object" else "a list of objects"
    inner = "".join(f"- `{key}`: {named(inner_keys)}\n"
                    for key, inner_keys in NESTED.get(name, {}).items())
    return f"`--json` prints {what} with the keys: {key_list(keys)}\n" + ("\n" + inner if inner else "")


def render() -> str:
    """The whole of docs/cli.md."""
    parts = [HEADER]
    for path, command in commands():
        name = " ".join(path)
        parts.append(f"## spoolsheet {name}".rstrip() + "\n")
        parts.append(f"```text\n{help_text(path)}\n```\n")
        if any("--json" in p.opts for p in command.params):
            parts.append(shape(name))
    return "\n".join(parts)


DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"

if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DOC
    target.write_text(render(), encoding="utf-8")
