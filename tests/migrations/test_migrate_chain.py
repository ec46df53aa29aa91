"""A shop's revision folder: ``migrate new`` from the template, and a chain that cannot be
ordered (two heads, a gap, a cycle, a broken file) refused naming the files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoolsheet import backup, migrations
from spoolsheet.cli import app
from spoolsheet.errors import SchemaError, UsageError
from spoolsheet.migrations.registry import load, new
from spoolsheet.schema import OPERACIONES, ColumnMap


def revision(folder: Path, name: str, version: str, revises: str, body: str = "pass") -> Path:
    path = folder / f"{name}.py"
    path.write_text(f'id = "{name}"\nversion = "{version}"\nrevises = "{revises}"\n'
                    f'description = "{name}"\n\n\ndef upgrade(op):\n    {body}\n', encoding="utf-8")
    return path


def test_the_package_chain_alone_and_with_a_folder(tmp_path):
    assert [m.id for m in load()] == ["v3_0_occupation"]
    revision(tmp_path, "v3_1_a", "v3.1", "v3.0")
    revision(tmp_path, "v3_2_b", "v3.2", "v3.1")
    assert [m.id for m in load(tmp_path)] == ["v3_0_occupation", "v3_1_a", "v3_2_b"]
    assert load(tmp_path).head == "v3.2"


def test_the_folder_from_the_environment(tmp_path, monkeypatch):
    revision(tmp_path, "v3_1_a", "v3.1", "v3.0")
    monkeypatch.setenv("SPOOLSHEET_MIGRATIONS", str(tmp_path))
    assert load().head == "v3.1"
    monkeypatch.setenv("SPOOLSHEET_MIGRATIONS", str(tmp_path / "nowhere"))
    with pytest.raises(UsageError, match="SPOOLSHEET_MIGRATIONS is not a folder"):
        load()


def test_two_heads_name_both_files(tmp_path):
    revision(tmp_path, "v3_1_a", "v3.1", "v3.0")
    revision(tmp_path, "v3_1_b", "v3.2", "v3.0")
    with pytest.raises(SchemaError, match=r"two heads: v3_1_a.py and v3_1_b.py all revise v3.0"):
        load(tmp_path)


def test_a_gap_names_the_file(tmp_path):
    revision(tmp_path, "v3_3_c", "v3.3", "v3.2")
    with pytest.raises(SchemaError, match=r"a gap: v3_3_c.py revises v3.2, which no migration "
                                          r"reaches \(the chain ends at v3.0\)"):
        load(tmp_path)


def test_a_cycle_names_the_files(tmp_path):
    revision(tmp_path, "v3_1_a", "v3.1", "v3.2")
    revision(tmp_path, "v3_2_b", "v3.2", "v3.1")
    with pytest.raises(SchemaError, match=r"a cycle: v3_1_a.py \(v3.2 to v3.1\) -> v3_2_b.py"):
        load(tmp_path)


def test_a_broken_file_and_a_duplicate_version_are_named(tmp_path):
    (tmp_path / "v3_1_bad.py").write_text("id = 'x'\ndef (:\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"revision file .*v3_1_bad.py: SyntaxError"):
        load(tmp_path)
    (tmp_path / "v3_1_bad.py").unlink()
    revision(tmp_path, "v3_1_a", "v3.0", "v3.0")
    with pytest.raises(SchemaError, match=r"two migrations with the version 'v3.0': "
                                          r"v3_0_occupation.py and v3_1_a.py"):
        load(tmp_path)


def test_migrate_new_then_up(tmp_path, open_copy, sample_tiny):
    """The worked example of docs/migrations.md: new → edit upgrade → up, on both backends."""
    folder = tmp_path / "shop_migrations"
    folder.mkdir()
    result = CliRunner().invoke(app, ["migrate", "new", "add Estado_Detalle", "--migrations",
                                      str(folder)])
    assert result.exit_code == 0, result.output
    [path] = folder.glob("*.py")
    assert path.name == "v3_1_add_estado_detalle.py"
    text = path.read_text(encoding="utf-8")
    assert 'revises = "v3.0"' in text and 'version = "v3.1"' in text
    path.write_text(text.replace(
        '    """What this revision adds, e.g. op.add_column("Operaciones", "Estado_Detalle", "text")."""',
        '    op.add_column("Operaciones", "Estado_Detalle", "text", backfill="pendiente")'),
        encoding="utf-8")
    wb = open_copy(sample_tiny)
    report = migrations.up(wb, backups=backup, force=True, migrations_dir=folder)
    assert report.version_after == "v3.1"
    assert ColumnMap.from_row(OPERACIONES, wb.read()[OPERACIONES].row(1)).index("Estado_Detalle") == 67
    assert new("next one", folder).name == "v3_2_next_one.py"  # revises the new head


def test_migrate_new_needs_a_folder(monkeypatch):
    monkeypatch.delenv("SPOOLSHEET_MIGRATIONS", raising=False)
    with pytest.raises(UsageError, match="no migrations folder"):
        new("anything")


def test_every_operation_is_documented():
    """docs/migrations.md names every operation of ``op``, each with a docstring here, and shows
    the parameters each really takes, in order."""
    import inspect

    from spoolsheet.migrations.ops import Operations

    docs = (Path(__file__).parents[2] / "docs" / "migrations.md").read_text(encoding="utf-8")
    section = docs[docs.index("### Operations"):docs.index("### The package's own migrations")]
    names = [n for n, f in inspect.getmembers(Operations, inspect.isfunction) if not n.startswith("_")]
    assert len(names) == 10
    for name in names:
        assert getattr(Operations, name).__doc__, name
        assert f"`{name}(" in section, f"op.{name} is not in the operations reference"
        written = section.split(f"| `{name}(", 1)[1].split(")` |", 1)[0]
        shown = [part.strip().split("=")[0].split(" ")[0] for part in _top_level(written)]
        real = list(inspect.signature(getattr(Operations, name)).parameters)[1:]
        assert shown == real, f"the reference shows op.{name}({', '.join(shown)}), it takes {real}"


def _top_level(text: str) -> list[str]:
    """``text`` split at the commas outside parentheses (``fn(row)`` stays whole)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]
