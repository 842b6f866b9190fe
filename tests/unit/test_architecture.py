"""The domain stays pure: it imports neither Flask, SQLAlchemy, marshmallow nor Dramatiq."""

from __future__ import annotations

import ast
from pathlib import Path

import shared.domain

FORBIDDEN = {"flask", "flask_smorest", "sqlalchemy", "marshmallow", "dramatiq", "alembic", "webargs", "psycopg", "redis", "pika"}
DOMAIN = Path(shared.domain.__file__).parent


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
