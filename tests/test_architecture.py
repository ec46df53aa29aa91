"""The package's shape, read from its source with ``ast``: no import cycle (function-local imports
included), layers only import downwards (cli → services → workbook interface → backends), no
service asks which backend it has, and every ``__all__`` names what its module defines."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import spoolsheet

ROOT = Path(spoolsheet.__file__).parent
PACKAGE = "spoolsheet"
SERVICES = ("backup", "migrations", "occupation", "service")
BACKEND_CLASSES = {"XlsxBackend", "GoogleBackend"}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    def where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(ROOT.parent)}:{getattr(node, 'lineno', 0)}"


def _modules() -> dict[str, Module]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = Module(".".join(parts), path, ast.parse(path.read_text("utf-8")))
    return out


MODULES = _modules()


@dataclass(frozen=True)
class Edge:
    source: Module
    target: str  # a module of the package
    names: tuple[str, ...]  # names taken from it (``from target import names``)
    node: ast.AST
    typing_only: bool  # under ``if TYPE_CHECKING:``: annotations only, never run


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    base = base if module.is_package else base[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _typing_only(tree: ast.Module) -> set[ast.AST]:
    out: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.update(n for stmt in node.body for n in ast.walk(stmt))
    return out


def edges(module: Module, known: Collection[str] = MODULES) -> Iterator[Edge]:
    """Every import of a package module (one of ``known``) in ``module``, at any depth."""
    typing_only = _typing_only(module.tree)
    for node in ast.walk(module.tree):
        hint = node in typing_only
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield Edge(module, alias.name, (), node, hint)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            plain = []
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:  # ``from . import rules`` imports the submodule
                    yield Edge(module, sub, (), node, hint)
                else:
                    plain.append(alias.name)
            if plain and target in known:
                yield Edge(module, target, tuple(plain), node, hint)


EDGES = [e for m in MODULES.values() for e in edges(m)]


def test_the_import_walk_sees_function_local_and_relative_imports():
    """The walk itself: it must find what the rules below rely on, or they could never fail."""
    probe = Module(f"{PACKAGE}.migrations.probe", ROOT / "migrations" / "probe.py", ast.parse(
        "from . import lock\n"
        "from ..workbook import Workbook, XlsxBackend\n"
        "def later():\n"
        "    from ..backup import store\n"
        "    import spoolsheet.values\n"
        "if TYPE_CHECKING:\n"
        "    from ..occupation.service import OccupationService\n"))
    known = {f"{PACKAGE}.{m}" for m in ("migrations", "migrations.lock", "workbook", "backup",
                                         "backup.store", "values", "occupation.service")}
    found = {(e.target, e.names, e.typing_only) for e in edges(probe, known)}
    assert found == {(f"{PACKAGE}.migrations.lock", (), False),
                     (f"{PACKAGE}.workbook", ("Workbook", "XlsxBackend"), False),
                     (f"{PACKAGE}.backup.store", (), False), (f"{PACKAGE}.values", (), False),
                     (f"{PACKAGE}.occupation.service", ("OccupationService",), True)}


def _cycles(found: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), as sorted names."""
    graph: dict[str, set[str]] = {}
    for e in found:
        graph.setdefault(e.source.name, set())
        graph.setdefault(e.target, set())
        if e.target != e.source.name and not e.typing_only:
            graph[e.source.name].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _describe_cycle(component: list[str]) -> str:
    inside = set(component)
    lines = [f"{e.source.name} -> {e.target} ({e.source.where(e.node)})" for e in EDGES
             if e.source.name in inside and e.target in inside and e.target != e.source.name
             and not e.typing_only]
    return "\n  ".join(["cycle:", *lines])


def test_no_import_cycle_not_even_through_function_local_imports():
    """A package ``__init__`` counts as a module: a submodule that imports a name from its own
    package while the package imports the submodule is a circle too (it works only by order).
    Imports under ``if TYPE_CHECKING:`` never run, so they close no circle (layers still apply)."""
    cycles = [_describe_cycle(c) for c in _cycles(EDGES)]
    assert not cycles, "\n".join(cycles)


def test_the_cycle_finder_finds_a_circle_closed_by_a_function_local_import():
    def probe(name: str, source: str) -> Module:
        return Module(f"{PACKAGE}.{name}", ROOT / f"{name}.py", ast.parse(source))

    backup = probe("backup", "from .migrations import runner\n")
    migrations = probe("migrations.runner", "def run():\n    from ..backup import store\n")
    store = probe("backup.store", "from .. import backup\n")
    hinted = probe("backup.store", "from typing import TYPE_CHECKING\n"
                                   "if TYPE_CHECKING:\n    from .. import backup\n")
    known = {m.name for m in (backup, migrations, store)}
    assert _cycles([*edges(backup, known), *edges(migrations, known), *edges(store, known)]) == [
        [f"{PACKAGE}.backup", f"{PACKAGE}.backup.store", f"{PACKAGE}.migrations.runner"]]
    assert _cycles([*edges(backup, known), *edges(migrations, known),
                    *edges(hinted, known)]) == []


def layer(name: str) -> str:
    """cli > service > (testing) > core (workbook interface, schema, values, audit, ...) > backend."""
    parts = name.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top == "cli" or name == f"{PACKAGE}.__main__":
        return "cli"
    if top in SERVICES or top in ("demo", "sample"):
        return "service"
    if top == "testing":
        return "testing"
    if top == "workbook" and len(parts) > 2 and is_backend(name):
        return "backend"
    return "core"


def is_backend(name: str) -> bool:
    return name.startswith((f"{PACKAGE}.workbook.xlsx", f"{PACKAGE}.workbook.google"))


RANK = {"cli": 4, "testing": 3, "service": 2, "core": 1, "backend": 0}


def test_layers_only_import_downwards():
    """cli → services → core → backends; only ``workbook.open`` (the factory) and the
    ``workbook`` package that re-exports it may reach the backends from the core."""
    wrong = []
    for e in EDGES:
        src, dst = layer(e.source.name), layer(e.target)
        factory = e.source.name in (f"{PACKAGE}.workbook", f"{PACKAGE}.workbook.open")
        if ((RANK[dst] > RANK[src] and not (src == "backend" and dst == "core"))
                or (src == "core" and dst == "backend" and not factory)):
            wrong.append(f"{e.source.where(e.node)}: {src} module {e.source.name} imports "
                         f"{dst} module {e.target}")
    assert not wrong, "\n".join(wrong)


def test_no_service_imports_a_backend():
    """Services and the CLI use the ``Workbook`` API; which backend it is, is not their business.
    (The sample generator writes .xlsx files itself, with the xlsx cell codec: not a service.)"""
    wrong = []
    for e in EDGES:
        top = e.source.name.split(".")[1:2]
        if not (set(top) & {*SERVICES, "cli", "demo"}):
            continue
        if is_backend(e.target) or BACKEND_CLASSES & set(e.names):
            wrong.append(f"{e.source.where(e.node)}: {e.source.name} imports "
                         f"{', '.join(e.names) or e.target} from {e.target}")
    assert not wrong, "\n".join(wrong)


#: The services that work on a workbook; ``service`` (the HTTP API over occupation) and ``demo``
#: compose them, and a migration gets the backup feature passed in (migrations/backups.py).
FEATURES = ("backup", "migrations", "occupation")


def feature_crossings(found: list[Edge]) -> list[str]:
    """Imports from one feature service into another: what they share lives below them."""
    out = []
    for e in found:
        src, dst = e.source.name.split(".")[1:2], e.target.split(".")[1:2]
        if src and dst and src != dst and src[0] in FEATURES and dst[0] in FEATURES:
            out.append(f"{e.source.where(e.node)}: {e.source.name} imports "
                       f"{', '.join(e.names) or e.target} from {e.target}")
    return out


def test_feature_services_do_not_import_each_other():
    wrong = feature_crossings(EDGES)
    assert not wrong, "\n".join(wrong)


def test_the_crossing_finder_finds_a_crossing():
    probe = Module(f"{PACKAGE}.backup.probe", ROOT / "backup" / "probe.py", ast.parse(
        "from ..migrations.lock import LOCK_SHEET\nfrom .. import schema\nfrom . import model\n"))
    known = {f"{PACKAGE}.{m}" for m in ("migrations.lock", "schema", "backup.model")}
    assert [hit.split(": ", 1)[1] for hit in feature_crossings(list(edges(probe, known)))] == [
        f"{PACKAGE}.backup.probe imports LOCK_SHEET from {PACKAGE}.migrations.lock"]


def backend_switches(module: Module) -> Iterator[str]:
    """Places that decide by backend or reach into one: ``x.kind ==``/``in``, isinstance on a
    backend class, ``x.backend.<anything>``."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "kind"
                   and not _is_spec_kind(s) for s in sides):
                yield f"{module.where(node)}: decides by `.kind`: {ast.unparse(node)}"
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("isinstance", "issubclass") and len(node.args) == 2):
            names = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "")
                     for n in ast.walk(node.args[1])}
            if names & BACKEND_CLASSES:
                yield f"{module.where(node)}: isinstance on a backend: {ast.unparse(node)}"
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
              and node.value.attr == "backend"):
            yield f"{module.where(node)}: reaches into the backend: {ast.unparse(node)}"


def _is_spec_kind(node: ast.Attribute) -> bool:
    """``spec.kind`` (a column's value kind in schema specs) is not a backend's kind."""
    return isinstance(node.value, ast.Attribute) and node.value.attr == "spec"


def test_no_backend_switch_outside_the_workbook_package():
    wrong = [hit for name, m in MODULES.items()
             if not name.startswith(f"{PACKAGE}.workbook") and not name.startswith(f"{PACKAGE}.testing")
             for hit in backend_switches(m)]
    assert not wrong, "\n".join(wrong)


def test_the_switch_finder_finds_switches():
    probe = Module("probe", ROOT / "probe.py", ast.parse(
        "if wb.kind == 'xlsx': pass\n"
        "ok = isinstance(wb.backend, (XlsxBackend, int))\n"
        "p = workbook.backend.path\n"
        "kind = {'text': 1}[p.spec.kind]\n"))
    found = list(backend_switches(probe))
    assert len(found) == 3  # the compare, the isinstance, the `.backend.` reach
    assert not any("spec.kind" in f for f in found)


def _all_of(module: Module) -> list[str] | None:
    for node in module.tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            assert node.value is not None
            return list(ast.literal_eval(node.value))
    return None


@pytest.mark.parametrize("name", [n for n, m in MODULES.items() if _all_of(m) is not None])
def test_all_names_what_the_module_defines(name):
    names = _all_of(MODULES[name])
    assert names is not None
    module = importlib.import_module(name)
    assert len(set(names)) == len(names), f"{name}.__all__ repeats a name"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"


def test_py_typed_ships():
    assert (ROOT / "py.typed").is_file()
    pyproject = (ROOT.parent.parent / "pyproject.toml").read_text("utf-8")
    import tomllib
    assert "py.typed" in tomllib.loads(pyproject)["tool"]["setuptools"]["package-data"]["spoolsheet"]
