"""docker-compose.yml is valid against the Compose specification and hangs together.

No Docker engine runs on the CI machine, so the file is checked statically: the compose-spec JSON
schema that check-jsonschema ships, plus the references between services.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def compose_schema() -> dict:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text(encoding="utf-8"))


def test_compose_file_is_valid_against_the_compose_spec():
    errors = sorted(
        jsonschema.Draft7Validator(compose_schema()).iter_errors(compose()), key=lambda e: e.path
    )
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_the_schema_check_would_catch_a_mistake():
    broken = compose()
    broken["services"]["api"]["depends_on"] = "postgres"  # must be a list or a mapping
    broken["services"]["api"]["restart_policy"] = "always"
    assert list(jsonschema.Draft7Validator(compose_schema()).iter_errors(broken))


def test_every_depends_on_names_an_existing_service():
    services = compose()["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"


def test_the_stack_has_the_services_the_product_needs():
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "api", "scheduler"} <= services.keys()
    assert "gunicorn" in services["api"]["command"]
    assert services["scheduler"]["command"] == ["intervisie", "worker"]
    assert services["migrate"]["command"] == ["intervisie", "db", "upgrade"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_images_built_here_use_the_dockerfile_that_exists():
    for service in compose()["services"].values():
        if "build" in service:
            context = ROOT / (service["build"] if isinstance(service["build"], str) else service["build"]["context"])
            assert (context / "Dockerfile").is_file()
