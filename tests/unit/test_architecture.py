"""The shape of the house: the domain stays pure (it imports neither Flask, SQLAlchemy, marshmallow
nor Dramatiq), no modules import each other around a ring, and no domain module grows past one
idea's length."""

from __future__ import annotations

import ast
from pathlib import Path

import services
import shared
import shared.domain

FORBIDDEN = {"flask", "flask_smorest", "sqlalchemy", "marshmallow", "dramatiq", "alembic", "webargs", "psycopg", "redis", "pika"}
DOMAIN = Path(shared.domain.__file__).parent
ROOT = Path(shared.__file__).parent.parent
PACKAGES = (Path(shared.__file__).parent, Path(services.__file__).parent)
MAX_DOMAIN_LINES = 600


def imported_top_level_names(path: Path) -> set[str]:
    tree = _parse(path)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_modules_import_no_framework():
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) >= 2
    offenders = {
        str(path.relative_to(DOMAIN)): sorted(imported_top_level_names(path) & FORBIDDEN)
        for path in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_domain_imports_no_other_layer_of_the_project():
    for path in DOMAIN.rglob("*.py"):
        tree = _parse(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(("shared.db", "shared.use_cases", "services")):
                raise AssertionError(f"{path.name} imports {node.module}")


def test_the_check_catches_a_framework_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy.orm\nfrom flask import g\n")
    assert imported_top_level_names(bad) & FORBIDDEN == {"sqlalchemy", "flask"}


def module_names(packages=PACKAGES, root=ROOT) -> dict[str, Path]:
    """Every module under ``packages`` by its dotted name (a package by its ``__init__.py``)."""
    found = {}
    for package in packages:
        for path in package.rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Which of ``modules`` each one imports: at the top, inside a function or under
    ``TYPE_CHECKING`` alike, since a deferred import is still a cycle in the design.
    ``from a import b`` counts as importing the module ``a.b`` when there is one, else ``a``."""

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(_parse(path)):
            if isinstance(node, ast.Import):
                targets.update(known(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([node.module] if node.module else [])])
                targets.update(known(f"{base}.{alias.name}") for alias in node.names)
        graph[name] = {target for target in targets if target and target != name}
    return graph


def rings(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _described(ring: list[str], graph: dict[str, set[str]]) -> str:
    return "; ".join(f"{name} -> {', '.join(sorted(graph[name] & set(ring)))}" for name in ring)


def test_no_modules_of_services_and_shared_import_each_other_around_a_ring():
    modules = module_names()
    assert {"shared.domain.composition", "services.api.app", "shared.use_cases.people"} <= set(modules)
    graph = import_graph(modules)
    assert "shared.use_cases.outbox" in graph["shared.use_cases.webhooks"]
    assert [_described(ring, graph) for ring in rings(graph)] == []


def test_the_ring_check_finds_a_ring_through_a_deferred_and_a_relative_import(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def later():\n    from ..c import thing\n")
    (package / "c.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    from pkg import a\n")
    (package / "d.py").write_text("from pkg import c\n")
    graph = import_graph(module_names((package,), tmp_path))
    assert graph["pkg.sub.b"] == {"pkg.c"}
    assert rings(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    assert _described(rings(graph)[0], graph) == "pkg.a -> pkg.sub.b; pkg.c -> pkg.a; pkg.sub.b -> pkg.c"


def test_no_domain_module_is_longer_than_one_idea():
    lengths = {
        str(path.relative_to(DOMAIN)): len(path.read_text(encoding="utf-8").splitlines())
        for path in DOMAIN.rglob("*.py")
    }
    assert max(lengths.values()) > 100
    assert {name: length for name, length in lengths.items() if length > MAX_DOMAIN_LINES} == {}


def _parse(path):
    """``ast.parse`` in a fresh thread: CPython 3.11 raises "AST constructor recursion depth
    mismatch" in a thread that met a RecursionError earlier (gh-106905), as a test of deeply
    nested mail may leave the main thread; a new thread starts with clean counters."""
    import threading

    found = {}
    worker = threading.Thread(target=lambda: found.setdefault("tree", ast.parse(path.read_text(encoding="utf-8"))))
    worker.start()
    worker.join()
    return found["tree"]
