"""Every bad input gets an RFC 9457 problem with the field and the reason, and stores nothing."""

from __future__ import annotations

import json

import pytest

from tests.api import payloads


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.json
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def _window(**changes):
    return {"weekly": [{"day": "tue", "start": "19:00", "end": "21:30", **changes}]}


def _gone(**changes):
    return {"unavailable": [{"start": "2027-03-08", "end": "2027-03-12", **changes}]}


INVALID_PARTICIPANTS = [
    ({"timezone": "Europe/Amsterdm"}, "timezone"),
    ({"timezone": "CEST"}, "timezone"),
    ({"email": "niet-een-adres"}, "email"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"organization": "x" * 201}, "organization"),
    ({"language": "de"}, "language"),
    ({"role": "Intern Begeleider"}, "role"),
    ({"themes": ["a", "a"]}, "themes"),
    ({"school_holiday_region": "oost"}, "school_holiday_region"),
    ({"availability": _window(day="tuesday")}, "availability.weekly.0.day"),
    ({"availability": _window(start="7pm")}, "availability.weekly.0.start"),
    ({"availability": _window(start="19:60")}, "availability.weekly.0.start"),
    ({"availability": _window(end="18:00")}, "availability.weekly.0.end"),
    ({"availability": _gone(start="2027-02-29")}, "availability.unavailable.0.start"),
    ({"availability": _gone(start="2027-13-01")}, "availability.unavailable.0.start"),
    ({"availability": _gone(end="2027-03-01")}, "availability.unavailable.0.end"),
    ({"availability": _gone(start="2027-03-08T10:00:00")}, "availability.unavailable.0.start"),
    ({"availability": _gone(start="2027-03-08T10:00:00+01:00")}, "availability.unavailable.0.end"),
    ({"availability": {"weekly": [], "sometimes": []}}, "availability.sometimes"),
    ({"shoe_size": 42}, "shoe_size"),
]


@pytest.mark.parametrize(("changes", "field"), INVALID_PARTICIPANTS, ids=[f for _, f in INVALID_PARTICIPANTS])
def test_invalid_participant_is_422_naming_the_field_and_stores_nothing(platform, changes, field):
    body = _problem(platform.post("/v1/participants", json=payloads.participant(1, **changes)), 422)
    assert body["type"] == "/problems/validation-error"
    fields = [e["field"] for e in body["errors"]]
    assert field in fields
    assert all(e["reason"] for e in body["errors"])
    assert platform.get("/v1/participants").json == []


def test_missing_required_fields_are_each_named(platform):
    body = _problem(platform.post("/v1/participants", json={}), 422)
    assert {e["field"] for e in body["errors"]} == {"name", "email", "organization", "role"}


INVALID_GROUPS = [
    ({"starts_on": "2027-02-30"}, "starts_on"),
    ({"starts_on": "0001-01-10"}, "starts_on"),  # the clock says 2026-11-24: a year back at most
    ({"starts_on": "9999-12-01"}, "starts_on"),
    ({"starts_on": "2025-11-23"}, "starts_on"),
    ({"starts_on": "2031-11-25"}, "starts_on"),  # five years ahead at most
    ({"timezone": "Amsterdam"}, "timezone"),
    ({"meeting_url": "javascript:alert(1)"}, "meeting_url"),
    ({"session_minutes": 100}, "session_minutes"),
    ({"constraints": {"weekdays": ["mon", "funday"]}}, "constraints.weekdays.1"),
    ({"constraints": {"weekdays": []}}, "constraints.weekdays"),
    ({"constraints": {"earliest": "20:00", "latest": "19:00"}}, "constraints.latest"),
    ({"constraints": {"earliest": "8:00"}}, "constraints.earliest"),
    ({"constraints": {"self_directed_quorum": 1}}, "constraints.self_directed_quorum"),
    ({"constraints": {"earliest": "20:00", "latest": "21:00"}}, "constraints"),
]


@pytest.mark.parametrize(("changes", "field"), INVALID_GROUPS, ids=[f for _, f in INVALID_GROUPS])
def test_invalid_group_is_422_naming_the_field_and_stores_nothing(admin, changes, field):
    body = _problem(admin.post("/v1/groups", json=payloads.group(**changes)), 422)
    assert field in [e["field"] for e in body["errors"]]
    assert admin.get("/v1/groups").json == []


def test_starts_on_within_the_window_is_accepted_at_both_ends(admin):
    for day in ("2025-11-24", "2031-11-24"):
        assert admin.post("/v1/groups", json=payloads.group(starts_on=day)).status_code == 201
    problem = _problem(admin.post("/v1/group-proposals", json={"group_by": "theme", "filters": {}, "starts_on": "0001-01-10"}), 422)
    assert [(e["field"], e["reason"]) for e in problem["errors"]] == [("starts_on", "must lie within 1 year before and 5 years after today")]


def test_invalid_patch_changes_nothing(platform):
    created = platform.post("/v1/participants", json=payloads.participant(1)).json
    url = f"/v1/participants/{created['id']}"
    _problem(platform.patch(url, json={"name": "Goed", "email": "fout"}), 422)
    assert platform.get(url).json == created


def test_malformed_json_is_a_problem(platform):
    response = platform.post(
        "/v1/participants", data=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    body = _problem(response, 400)
    assert "JSON" in body["detail"]


HOSTILE_TEXT = [
    ({"name": "Anna\u0000de Vries"}, "name", "control characters"),
    ({"name": "Anna\nde Vries"}, "name", "control characters"),
    ({"organization": "School\tA"}, "organization", "control characters"),
    ({"name": "Anna \ud800"}, "name", "lone surrogate"),
    ({"availability": _gone(note="mei\u0007")}, "availability.unavailable.0.note", "control characters"),
    ({"themes": ["gedrag", "x\u001b[31m"]}, "themes.1", "control characters"),
]


@pytest.mark.parametrize(("changes", "field", "reason"), HOSTILE_TEXT)
def test_hostile_text_is_422_naming_the_field_and_stores_nothing(platform, changes, field, reason):
    body = json.dumps(payloads.participant(1, **changes))  # \ud800 escaped, as a client would send it
    response = platform.post("/v1/participants", data=body, headers={"Content-Type": "application/json"})
    problem = _problem(response, 422)
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [(field, "body")]
    assert reason in problem["errors"][0]["reason"]
    assert platform.get("/v1/participants").json == []


def test_a_nul_byte_in_a_query_filter_is_422_naming_it(platform):
    problem = _problem(platform.get("/v1/participants?organization=School%00A"), 422)
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [("organization", "query")]


def test_a_deeply_nested_body_is_400_not_a_crash(platform):
    for depth in (5000, 900):
        body = b"[" * depth + b"]" * depth
        problem = _problem(platform.post("/v1/participants", data=body, headers={"Content-Type": "application/json"}), 400 if depth > 1000 else 422)
        assert problem["status"] in (400, 422)
    nested = {"name": "Anna"}
    for _ in range(50):
        nested = {"x": nested}
    _problem(platform.post("/v1/participants", json={**payloads.participant(1), "availability": nested}), 422)
    assert platform.get("/v1/participants").json == []


def test_body_over_one_mebibyte_is_413(platform):
    huge = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    body = _problem(
        platform.post("/v1/participants", data=huge, headers={"Content-Type": "application/json"}), 413
    )
    assert body["type"] == "/problems/payload-too-large"
    assert platform.get("/v1/participants").json == []


def test_unknown_path_is_404_problem(platform):
    _problem(platform.get("/v1/nothing-here"), 404)
    _problem(platform.get("/v1/participants/not-a-uuid"), 404)


def test_wrong_method_is_405_problem_with_allow(platform):
    response = platform.put("/v1/participants")
    _problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_unexpected_failure_is_500_problem_without_a_stack_trace(platform, monkeypatch):
    from shared.use_cases import people

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals: /srv/app/people.py line 42")

    monkeypatch.setattr(people, "list_participants", broken)
    response = platform.get("/v1/participants")
    body = _problem(response, 500)
    text = response.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text
    assert body["type"] == "/problems/internal-error"


def test_problem_types_are_documented_at_their_uri(client):
    response = client.get("/problems/validation-error")
    assert response.status_code == 200
    assert "field" in response.get_data(as_text=True)
