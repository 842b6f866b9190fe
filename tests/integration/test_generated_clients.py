"""Clients generated from openapi.yaml are typed, and the walkthrough written against one works.

openapi-python-client (PyPI, the test extra) and openapi-typescript (npm, tests/browser, installed
by `make test`) generate from the checked-in document, as an integrator would. Either generator's
warning fails the test, and so does a placeholder class (``…Type0``), a field typed ``Any``, a
required field of an answer typed as possibly unset, or ``unknown`` in a TypeScript schema. Then
examples/client_walkthrough.py runs against ``intervisie serve`` and passes ``mypy --strict``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared.domain.webhooks import EVENT_TYPES
from tests.integration.servers import INTERVISIE, free_port, serving

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "openapi.yaml"
BIN = Path(sys.executable).parent
OPENAPI_TYPESCRIPT = ROOT / "tests/browser/node_modules/.bin/openapi-typescript"
PACKAGE = "intervisie_client"
PLACEHOLDER = re.compile(r"Type\d+$")
# An answer's property left out on purpose (see ResponseSchema.Meta.optional_fields): the parts
# of a problem that depend on its type.
# A problem's extension members belong to some problem types only (errors to validation,
# the rest to schedule-conflict), so a problem of another type leaves them out.
OPTIONAL_IN_ANSWERS = {
    ("Problem", "errors"), ("Problem", "conflicts"), ("Problem", "reason"), ("Problem", "person_id"),
    ("Problem", "placed_session_id"), ("Problem", "explanations"),
}


def _spec() -> dict:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def answer_schemas(spec: dict) -> set[str]:
    """Every schema that an answer's body holds, directly or nested."""
    responses = [r for item in spec["paths"].values() for op in item.values() if isinstance(op, dict) for r in op.get("responses", {}).values()]
    responses += list(spec["components"]["responses"].values())
    names = {name for r in responses for name in _refs(r.get("content", {}))}
    schemas = spec["components"]["schemas"]
    todo = list(names)
    while todo:
        for name in _refs(schemas[todo.pop()]) - names:
            names.add(name)
            todo.append(name)
    return names


@pytest.fixture(scope="module")
def python_client(tmp_path_factory) -> Path:
    """The generated package's parent directory (put it on the path to import ``intervisie_client``)."""
    out = tmp_path_factory.mktemp("client")
    result = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(DOCUMENT), "--meta", "none",
         "--config", str(ROOT / "examples/openapi-python-client.yaml"), "--output-path", str(out / PACKAGE)],
        capture_output=True, text=True, timeout=300, check=False, cwd=out,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},  # its ruff hooks
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"warning|error|skipping", output, flags=re.I), output
    return out


def _models(client: Path) -> dict[str, dict[str, str]]:
    """Each generated model class with its fields' annotations, as written in the source."""
    found = {}
    for path in sorted((client / PACKAGE / "models").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                found[node.name] = {
                    item.target.id: ast.unparse(item.annotation)
                    for item in node.body
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                }
    return found


def test_generated_python_models_are_typed(python_client):
    spec = _spec()
    models = _models(python_client)
    schemas = spec["components"]["schemas"]
    assert set(schemas) <= set(models), set(schemas) - set(models)
    assert [name for name in models if PLACEHOLDER.search(name)] == []
    untyped = [f"{cls}.{field}: {annotation}" for cls, fields in models.items() for field, annotation in fields.items() if re.search(r"\bAny\b", annotation)]
    assert untyped == []
    answers = answer_schemas(spec)
    assert {"Participant", "Group", "SchedulingRun", "Plan", "Session", "GroupProposal", "WebhookDelivery"} <= answers
    maybe_unset = [
        f"{name}.{field}: {annotation}"
        for name in sorted(answers)
        for field, annotation in models[name].items()
        if field in schemas[name].get("required", ()) and "Unset" in annotation
    ]
    assert maybe_unset == []
    # Every property of an answer is in its `required` (null where it may be null), so the types
    # above hold all of them.
    not_required = [
        (name, prop) for name in sorted(answers) for prop in schemas[name].get("properties", {})
        if prop not in schemas[name].get("required", ()) and (name, prop) not in OPTIONAL_IN_ANSWERS
    ]
    assert not_required == []


def test_generated_python_client_names_operations_and_types_the_polled_run(python_client):
    models = _models(python_client)
    assert models["SchedulingRun"]["plan"] in ("None | Plan", "Plan | None")
    assert models["SchedulingRun"]["status"] == "RunStatus"
    assert models["Participant"]["school_holiday_region"] in ("None | SchoolHolidayRegion", "SchoolHolidayRegion | None")
    assert models["PlannedSession"]["start"] == "datetime.datetime"
    assert models["PlannedSession"]["absent_ids"] == "list[UUID]"
    assert models["Group"]["member_count"] == "int"
    assert set(models["Unavailable"]) == {"start", "end", "note"}
    assert models["Unavailable"]["note"] in ("None | str", "str | None")
    # A delivery's payload is a union of one class per event type; its data, a class per shape.
    events = {"".join(part.capitalize() for part in re.split(r"[._]", t)) + "Event" for t in EVENT_TYPES}
    assert set(models["WebhookDelivery"]["payload"].split(" | ")) == events
    assert models["SessionAtRiskEvent"] == {"type_": "SessionAtRiskEventType", "timestamp": "datetime.datetime", "data": "AtRiskEventData"}
    assert models["AtRiskEventData"]["others_declined"] == "int"
    assert models["AttendanceEventData"]["facilitator_id"] in ("None | UUID", "UUID | None")
    api = python_client / PACKAGE / "api"
    for module in ("participants/create_participant.py", "scheduling_runs/request_scheduling_run.py", "invitations/list_session_invitations.py"):
        assert (api / module).is_file(), module


def _typescript_schemas(types: str) -> dict[str, str]:
    """Each schema's TypeScript type by name, from openapi-typescript's `components`, without
    its doc comments (descriptions are prose)."""
    block = types.split("export interface components {", 1)[1].split("\n    responses: {", 1)[0]
    schemas: dict[str, list[str]] = {}
    current = None
    for line in block.splitlines():
        named = re.match(r"^        (\w+): (.*)$", line)
        if named:
            current = named.group(1)
            schemas[current] = [named.group(2)]
        elif current and not line.strip().startswith(("/**", "*", "*/")):
            schemas[current].append(line)
    return {name: "\n".join(lines) for name, lines in schemas.items()}


def test_generated_typescript_types_have_no_unknown_in_resources(tmp_path):
    assert OPENAPI_TYPESCRIPT.exists(), "run `make test` (or npm ci in tests/browser) to install openapi-typescript"
    out = tmp_path / "intervisie.d.ts"
    result = subprocess.run(
        [str(OPENAPI_TYPESCRIPT), str(DOCUMENT), "--output", str(out)],
        capture_output=True, text=True, timeout=300, check=False, env={**os.environ, "NO_COLOR": "1"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"warn|error|⚠", output, flags=re.I), output
    types = out.read_text(encoding="utf-8")
    schemas = _typescript_schemas(types)
    spec = _spec()
    assert set(schemas) == set(spec["components"]["schemas"])
    # TypeScript's `unknown` type, not an enum's string "unknown" (a reason code).
    assert [name for name, body in schemas.items() if re.search(r'(?<!")\bunknown\b(?!")', body)] == []
    optional = {
        (name, prop) for name in answer_schemas(spec)
        for prop in re.findall(r"^            (\w+)\?:", schemas[name], flags=re.M)
    }
    assert optional <= OPTIONAL_IN_ANSWERS, optional - OPTIONAL_IN_ANSWERS
    assert re.search(r"^    createParticipant: \{", types, flags=re.M)
    assert 'components["schemas"]["PlannedSession"][]' in schemas["Plan"]


def test_walkthrough_runs_against_a_live_server_and_passes_mypy_strict(python_client, tmp_path):
    walkthrough = ROOT / "examples/client_walkthrough.py"
    env = {**os.environ, "PYTHONPATH": str(python_client), "MYPYPATH": str(python_client)}
    mypy = subprocess.run(
        [str(BIN / "mypy"), "--strict", "--follow-imports=silent", "--no-incremental", str(walkthrough)],
        capture_output=True, text=True, timeout=300, check=False, env=env, cwd=tmp_path,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr

    port = free_port()
    server = {"INTERVISIE_DATABASE_URL": f"sqlite:///{tmp_path}/walkthrough.db", "INTERVISIE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    with serving(server, cwd=tmp_path, port=port) as base:
        created = subprocess.run(
            [str(INTERVISIE), "api-keys", "create", "--role", "admin", "--name", "Walkthrough"],
            capture_output=True, text=True, timeout=60, check=True, env={**os.environ, **server},
        )
        key = created.stdout.strip().splitlines()[-1]
        result = subprocess.run(
            [sys.executable, str(walkthrough)], capture_output=True, text=True, timeout=180, check=False,
            env={**env, **server, "INTERVISIE_URL": base, "INTERVISIE_KEY": key}, cwd=tmp_path,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["idempotent_replay"] is True
    assert summary["invalid_fields"] == ["email", "timezone"]
    assert summary["conflict"] == "/problems/conflict"
    assert summary["run_status"] == "succeeded"
    assert "dinsdag" in summary["slot"] and "19:00–20:30" in summary["slot"]  # the week of the month depends on today
    assert summary["session_ids"] == summary["planned_session_ids"] and len(summary["session_ids"]) == 9
    assert summary["session_pages"] == 3  # 9 sessions, 4 a page
    assert summary["feed_url"].startswith(base + "/feeds/") and summary["feed_events"] == 9
    assert summary["organization"] == "OBS De Regenboog" and summary["etag_changed"] is True
    assert summary["stale_write"] == "/problems/precondition-failed"


def test_the_integration_guide_shows_the_walkthrough_as_it_is():
    """The integration guide's excerpts of the client walkthrough are its own lines, in order."""
    guide = (ROOT / "docs/integration.md").read_text(encoding="utf-8")
    section = guide.split("## Generated clients", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 5
    script = [line.strip() for line in (ROOT / "examples/client_walkthrough.py").read_text(encoding="utf-8").splitlines()]
    for block in blocks:
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        start = script.index(lines[0])
        assert script[start:start + len(lines)] == lines, block
    assert "examples/openapi-python-client.yaml" in section and "examples/webhook_receiver.py" in section
