"""Every option and argument of the command tree converts values as Typer's own conversion does
(cli.common.PlainValues skips pydantic for the everyday ones): same value or same refusal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer.main
from typer._click import Command, Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param
from typer.core import _TyperParameter

from spoolsheet.cli import app
from spoolsheet.cli.common import PlainValues

VALUES = ["12", "-3", "--5", "007", "0", "1_000", " 4", "ARM", "arm", "Sold", "x", "", "a b",
          "/tmp/no/such", ".", "1.5", "true", "no", "١٢"]


def parameters(command: Command) -> Iterator[tuple[Command, _TyperParameter]]:
    for p in command.params:
        if isinstance(p, _TyperParameter):
            yield command, p
    for sub in getattr(command, "commands", {}).values():
        yield from parameters(sub)


def outcome(convert, value, param, ctx):
    try:
        return "value", convert(value, param=param, ctx=ctx)
    except BadParameter as exc:
        return "refused", exc.format_message()


ROOT = typer.main.get_command(app)
ALL = list(parameters(ROOT))


def test_every_parameter_converts_without_pydantic():
    assert ALL and all(isinstance(p._runtime_param, PlainValues) for _, p in ALL)


@pytest.mark.parametrize("value", VALUES)
def test_plain_values_are_typers_values(value):
    for command, param in ALL:
        ctx = Context(command)
        theirs = build_runtime_param(param.type_descriptor)
        ours = param._runtime_param
        assert outcome(ours.coerce, value, param, ctx) == outcome(theirs.coerce, value, param, ctx), (
            command.name, param.name, value)


def test_help_converts_without_pydantic_too():
    help_option = ROOT.get_help_option(Context(ROOT))
    assert isinstance(help_option._runtime_param, PlainValues)
