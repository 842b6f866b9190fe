"""The checked-in openapi.yaml is what the code produces, and it documents our contract."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.api.openapi import render_yaml, spec_dict

ROOT = Path(__file__).resolve().parents[2]


def test_checked_in_openapi_yaml_matches_the_code():
    checked_in = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert checked_in == render_yaml(), "openapi.yaml is stale: run `intervisie openapi` and commit it"


def test_every_operation_documents_problem_json_errors_and_auth():
    spec = spec_dict()
    problem_responses = {
        name for name, response in spec["components"]["responses"].items()
        if "application/problem+json" in response.get("content", {})
    }
    assert {"UNAUTHORIZED", "NOT_FOUND", "UNPROCESSABLE_ENTITY", "PRECONDITION_FAILED", "INTERNAL_SERVER_ERROR", "DEFAULT_ERROR"} <= problem_responses
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            refs = {r.get("$ref", "").rsplit("/", 1)[-1] for r in operation["responses"].values()}
            assert "DEFAULT_ERROR" in refs, (method, path)
            if path.startswith("/v1/"):
                assert "UNAUTHORIZED" in refs, (method, path)
                assert "INTERNAL_SERVER_ERROR" in refs, (method, path)
            assert operation.get("summary"), (method, path)
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_writes_document_if_match_and_412_and_reads_document_etag():
    spec = spec_dict()
    patch = spec["paths"]["/v1/participants/{participant_id}"]["patch"]
    assert any(p["name"] == "If-Match" for p in patch["parameters"])
    assert "412" in patch["responses"]
    get = spec["paths"]["/v1/participants/{participant_id}"]["get"]
    assert "ETag" in get["responses"]["200"]["headers"]
    assert "304" in get["responses"]
    post = spec["paths"]["/v1/participants"]["post"]
    assert "Location" in post["responses"]["201"]["headers"]


def test_lists_document_pagination():
    spec = spec_dict()
    get = spec["paths"]["/v1/participants"]["get"]
    names = {p["name"] for p in get["parameters"]}
    assert {"page", "page_size", "role", "theme", "organization", "unassigned"} <= names
    assert "X-Pagination" in get["responses"]["200"]["headers"]


def test_openapi_json_is_served_and_docs_ui_exists(client):
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json["paths"].keys() == yaml.safe_load(render_yaml())["paths"].keys()
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.data.lower()


def test_health_and_readiness(client):
    assert client.get("/healthz").json["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"]["database"] == "ok"


def test_readiness_fails_with_503_when_the_database_is_unreachable():
    from services.api.app import create_app
    from services.scheduler.scheduler import Scheduler
    from shared.config import Settings
    from shared.db.session import make_engine, make_session_factory

    settings = Settings(database_url="postgresql://nobody@127.0.0.1:9/none", secret_key="t")
    factory = make_session_factory(make_engine(settings.database_url))
    app = create_app(settings, session_factory=factory, scheduler=Scheduler(settings, factory, autostart=False))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "failing"
    assert response.json["checks"]["database"].startswith("failing")
    assert "nobody" not in response.get_data(as_text=True)  # no connection details leak
    assert app.test_client().get("/healthz").status_code == 200


def test_every_operation_has_a_stable_unique_operation_id():
    import re

    from services.api.operation_ids import OPERATION_IDS

    spec = spec_dict()
    seen = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            key = (method.upper(), path)
            assert key in OPERATION_IDS, f"name {key} in services/api/operation_ids.py"
            assert operation["operationId"] == OPERATION_IDS[key]
            assert re.fullmatch(r"[a-z][A-Za-z]+", operation["operationId"]), operation["operationId"]
            seen[operation["operationId"]] = key
    assert len(seen) == len([1 for item in spec["paths"].values() for m in item if m != "parameters"])  # unique


def test_every_202_429_and_503_documents_retry_after():
    spec = spec_dict()
    found = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if str(status) not in ("202", "429", "503"):
                    continue
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
                assert response["headers"]["Retry-After"]["schema"]["type"] == "integer", (method, path, status)
                found += 1
    assert found > 50  # every rate-limited operation's 429, and the accepted runs, batches and proposals


def test_non_json_bodies_and_the_headers_sent_are_declared():
    spec = spec_dict()
    paths, components = spec["paths"], spec["components"]
    binary = {"type": "string", "format": "binary"}
    assert paths["/feeds/{token}.ics"]["get"]["responses"]["200"]["content"]["text/calendar"]["schema"] == binary
    assert paths["/v1/invitations/{invitation_id}.ics"]["get"]["responses"]["200"]["content"]["text/calendar"]["schema"] == binary
    assert paths["/v1/groups/{group_id}/availability.svg"]["get"]["responses"]["200"]["content"]["image/svg+xml"]["schema"] == binary
    assert paths["/v1/itip"]["post"]["requestBody"]["content"]["text/calendar"]["schema"] == binary
    assert paths["/feeds/{token}"]["get"]["responses"]["200"]["content"]["text/html"]["schema"] == {"type": "string"}

    feed = paths["/feeds/{token}.ics"]["get"]
    assert [p["name"] for p in feed["parameters"] if p["in"] == "header"] == ["If-None-Match", "X-Request-ID"]
    # Every answer echoes the request id, and every operation accepts one.
    for item in paths.values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert "X-Request-ID" in [p["name"] for p in operation["parameters"] if p["in"] == "header"], (method, operation["operationId"])
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = components["responses"][response["$ref"].rsplit("/", 1)[-1]]
                assert "X-Request-ID" in response["headers"], (operation["operationId"], status)
    assert {"ETag", "Last-Modified", "Cache-Control"} <= feed["responses"]["200"]["headers"].keys()
    assert "ETag" in feed["responses"]["304"]["headers"]
    assert "ETag" in paths["/v1/sessions/{session_id}"]["get"]["responses"]["304"]["headers"]
    assert "WWW-Authenticate" in components["responses"]["UNAUTHORIZED"]["headers"]

    pagination = components["headers"]["PAGINATION"]
    assert pagination["schema"]["type"] == "string" and "content" not in pagination
    assert pagination["x-json-schema"] == {"$ref": "#/components/schemas/PaginationMetadata"}

    assert "Retry-After" in paths["/v1/scheduling-runs/{run_id}"]["get"]["responses"]["200"]["headers"]
    posts = [(path, item["post"]) for path, item in paths.items() if "post" in item]
    for path, post in posts:
        idempotent = any(p["name"] == "Idempotency-Key" for p in post.get("parameters", []))
        for status, response in post["responses"].items():
            if str(status).startswith("2"):
                assert ("Idempotent-Replayed" in response.get("headers", {})) == idempotent, (path, status)
        created = post["responses"].get("201")
        if created and path != "/v1/participants/{participant_id}/availability-link":  # its page URL is a secret
            assert "Location" in created["headers"], path


def test_closed_sets_are_named_enums_and_nullable_ones_hold_no_null():
    schemas = spec_dict()["components"]["schemas"]
    assert schemas["Weekday"] == {"type": "string", "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    region = schemas["Participant"]["properties"]["school_holiday_region"]
    assert region == {"allOf": [{"$ref": "#/components/schemas/SchoolHolidayRegion"}], "nullable": True, "description": region["description"]}
    assert None not in schemas["SchoolHolidayRegion"]["enum"]

    def walk(node):
        if isinstance(node, dict):
            assert "anyOf" not in node, node  # a composite generators cannot read
            # oneOf only of references told apart by a discriminator (a union in generated clients).
            assert "oneOf" not in node or node["discriminator"]["mapping"], node
            assert None not in node.get("enum", []), node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schemas)
    planned = schemas["PlannedSession"]["properties"]
    assert planned["id"]["format"] == planned["chair_id"]["format"] == planned["absent_ids"]["items"]["format"] == "uuid"
    assert planned["start"]["format"] == "date-time"
    assert schemas["ProposedGroup"]["properties"]["first_session"]["format"] == "date-time"
    assert schemas["Group"]["properties"]["member_count"]["type"] == "integer"
    assert schemas["SchedulingRun"]["properties"]["plan"] == {"allOf": [{"$ref": "#/components/schemas/Plan"}], "nullable": True, "description": "When succeeded"}


def test_a_delivery_payload_is_typed_per_event_type():
    """A delivery's payload is one schema per event type, told apart by `type` (oneOf with a
    discriminator): each admits its own type only, so exactly one matches any payload, and its
    `data` holds every key the worker sends for that type, all of them required."""
    from shared.domain.webhooks import EVENT_DATA, EVENT_TYPES

    schemas = spec_dict()["components"]["schemas"]
    payload = schemas["WebhookDelivery"]["properties"]["payload"]
    mapping = payload["discriminator"]["mapping"]
    assert payload["discriminator"]["propertyName"] == "type"
    assert list(mapping) == list(EVENT_TYPES)
    assert payload["oneOf"] == [{"$ref": ref} for ref in dict.fromkeys(mapping.values())]
    for event_type, ref in mapping.items():
        event = schemas[ref.rsplit("/", 1)[-1]]
        assert event["required"] == ["type", "timestamp", "data"]
        assert event["properties"]["type"] == {"type": "string", "enum": [event_type]}
        data = schemas[event["properties"]["data"]["$ref"].rsplit("/", 1)[-1]]
        assert list(data["properties"]) == data["required"] == list(EVENT_DATA[event_type]), event_type
    assert schemas["InvitationEventData"]["properties"]["participant_id"]["nullable"] is True
    assert "WebhookEventData" not in schemas


def test_an_unavailable_periods_note_is_required_and_nullable_in_answers():
    unavailable = spec_dict()["components"]["schemas"]["Unavailable"]
    assert unavailable["required"] == ["start", "end", "note"]
    assert unavailable["properties"]["note"]["nullable"] is True


def test_the_date_pattern_admits_real_dates_only():
    import re

    from services.api.schemas.common import DATE_OR_DATE_TIME

    schemas = spec_dict()["components"]["schemas"]
    patterns = {schemas[name]["properties"][end]["pattern"] for name in ("Unavailable", "UnavailableInput") for end in ("start", "end")}
    assert patterns == {DATE_OR_DATE_TIME}
    pattern = re.compile(DATE_OR_DATE_TIME)
    for text in ("0000-00-00", "0000-01-01", "2027-00-10", "2027-13-01", "2027-01-00", "2027-01-32",
                 "2027-01-10T24:00:00+01:00", "2027-01-10T19:60:00+01:00", "2027-01-10T19:00:60Z", "2027-01-10T19:00:00+24:00"):
        assert not pattern.search(text), text
    for text in ("0001-01-01", "2027-01-10", "9999-12-31", "2027-12-31T23:59:59.5-09:30", "2027-01-10t19:00:00z"):
        assert pattern.search(text), text
