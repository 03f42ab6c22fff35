"""The module import graph of the service: no import circle (type-checking and function-level imports
count), and no adapter imports the engine (adapters call the service)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "services" / "screening"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The `screening` modules `path` imports anywhere in it (top level, functions, TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "screening")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "screening":
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    """Module → the `screening` modules it imports (packages' empty `__init__` left out)."""
    known = modules()
    graph = {name: imports_of(path, set(known)) for name, path in known.items()}
    return {name: targets - {name} for name, targets in graph.items() if path_has_code(known[name])}


def path_has_code(path: Path) -> bool:
    return bool(path.read_text(encoding="utf-8").strip())


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def render(graph: dict[str, set[str]]) -> str:
    """The graph as text, one module a line: `module -> imported, ...`."""
    return "\n".join(
        f"{name} -> {', '.join(sorted(targets)) or '(nothing)'}" for name, targets in sorted(graph.items())
    )


def test_no_module_imports_itself_back_through_others() -> None:
    graph = import_graph()
    assert len(graph) > 30
    assert circles(graph) == []


def test_no_adapter_imports_the_engine() -> None:
    graph = import_graph()
    adapters = {name: targets for name, targets in graph.items() if name.startswith("screening.adapters.")}
    assert adapters
    assert {name for name, targets in adapters.items() if "screening.domain.engine" in targets} == set()


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
