"""The layers, read off the code's own imports (top level and inside functions alike).

The core (`tasteloop/`) has no import cycle and imports no web, database or queue library; the
shared measuring imports neither the domain nor an engine; an engine imports neither the other
engine nor the registry; the store knows nothing of the web or the jobs; the web app touches no
engine internals.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tasteloop", "store", "jobs", "webapp")


def _module(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    return {name: _imports(path) for name, path in modules.items()}


GRAPH = _graph()


def _within(prefix: str) -> dict[str, set[str]]:
    return {m: deps for m, deps in GRAPH.items() if m == prefix or m.startswith(prefix + ".")}


def _offending(prefix: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for module, deps in _within(prefix).items():
        bad = sorted(d for d in deps if any(d == f or d.startswith(f + ".") for f in forbidden))
        if bad:
            found[module] = bad
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    edges = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
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
                found.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read_from_the_code():
    assert "tasteloop.loop" in GRAPH and "tasteloop.iteration" in GRAPH["tasteloop.loop"]
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_the_core_has_no_import_cycle():
    assert _cycles(_within("tasteloop")) == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (
            "tasteloop",
            ("flask", "flask_login", "flask_wtf", "sqlalchemy", "alembic", "rq", "redis"),
        ),
        ("tasteloop", ("store", "jobs", "webapp")),
        # what both engines measure with knows no engine, no domain and no loop
        ("tasteloop.measure", ("tasteloop.domain", "tasteloop.offline", "tasteloop.gateway")),
        ("tasteloop.measure", ("tasteloop.loop", "tasteloop.iteration", "tasteloop.engines")),
        # the domain knows no engine and no loop
        ("tasteloop.domain", ("tasteloop.offline", "tasteloop.gateway", "tasteloop.engines")),
        ("tasteloop.domain", ("tasteloop.loop", "tasteloop.iteration", "tasteloop.cli")),
        # an engine knows neither the other engine nor the registry that chooses between them
        ("tasteloop.offline", ("tasteloop.gateway", "tasteloop.engines", "tasteloop.loop")),
        ("tasteloop.gateway", ("tasteloop.offline", "tasteloop.engines", "tasteloop.loop")),
        ("store", ("webapp", "jobs", "flask", "rq")),
        ("jobs", ("webapp", "flask")),
        ("webapp", ("tasteloop.offline", "tasteloop.gateway", "tasteloop.measure.features")),
    ],
)
def test_each_layer_imports_only_what_it_may(layer, forbidden):
    assert _offending(layer, forbidden) == {}
