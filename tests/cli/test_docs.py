"""docs/cli.md is what the commands say: generated from ``--help``, stale means failed."""

from __future__ import annotations

from spoolsheet.cli.docs import DOC, JSON_SHAPES, commands, render


def test_docs_cli_md_is_what_the_generator_prints_now():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/cli.md is stale: run `python -m spoolsheet.cli.docs`")


def test_every_command_has_help_a_section_and_if_it_has_json_a_shape():
    doc = DOC.read_text(encoding="utf-8")
    seen = 0
    for path, command in commands():
        name = " ".join(path)
        assert (command.help or "").strip(), f"`spoolsheet {name}` has no help text"
        assert f"## spoolsheet {name}".rstrip() + "\n" in doc, f"no section for `spoolsheet {name}`"
        if any("--json" in p.opts for p in command.params):
            assert name in JSON_SHAPES, f"`spoolsheet {name} --json` has no documented shape"
            seen += 1
    assert seen >= 17
