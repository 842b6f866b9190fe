"""What a JSON body must be before anything reads it: there when the operation needs one, sent
as JSON, and readable as JSON, or the answer is a problem that says which, and nothing changes."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from tests.api import payloads

HUGE = "1" * 4301  # one digit past what Python turns into an int from text (sys.get_int_max_str_digits)
PLACEHOLDER = '"<huge>"'


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["detail"]
    return body


def _stored(admin) -> dict:
    return {kind: admin.get(f"/v1/{kind}").json for kind in ("participants", "facilitators", "groups")}


@pytest.fixture
def rows(admin) -> dict:
    participant = admin.post("/v1/participants", json=payloads.participant(1)).json
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator()).json
    group = admin.post("/v1/groups", json=payloads.group()).json
    return {"participant": participant["id"], "facilitator": facilitator["id"], "group": group["id"]}


# (method, path, document): the placeholder stands where the huge number goes, mostly nested.
BIG_NUMBERS = [
    ("post", "/v1/participants", payloads.participant(2, availability={"weekly": [{"day": "<huge>", "start": "19:00", "end": "21:00"}]})),
    ("patch", "/v1/participants/{participant}", {"availability": {"weekly": [], "unavailable": [{"start": "<huge>", "end": "2027-03-12"}]}}),
    ("put", "/v1/participants/{participant}/availability", {"weekly": [{"day": "tue", "start": "<huge>", "end": "21:00"}]}),
    ("post", "/v1/participants/{participant}/availability-link", {"valid_days": "<huge>"}),
    ("post", "/v1/facilitators", payloads.facilitator(capacity={"max_sessions_per_day": "<huge>"})),
    ("post", "/v1/groups", payloads.group(constraints={"weekdays": ["<huge>"]})),
    ("patch", "/v1/groups/{group}", {"session_minutes": "<huge>"}),
    ("post", "/v1/webhooks", {"url": "https://hooks.example.org/x", "no_such_key": "<huge>"}),
    ("put", "/v1/sessions/{random}/attendance/{random}", {"response": "<huge>"}),
]


@pytest.mark.parametrize(("method", "path", "document"), BIG_NUMBERS, ids=[f"{m} {p}" for m, p, _ in BIG_NUMBERS])
def test_a_number_of_more_than_4300_digits_is_400_naming_the_problem_and_changes_nothing(admin, rows, caplog, method, path, document):
    before = _stored(admin)
    body = json.dumps(document).replace(PLACEHOLDER, HUGE)
    url = path.format(**rows, random=uuid.uuid4())
    with caplog.at_level(logging.INFO):
        response = getattr(admin, method)(url, data=body, headers={"Content-Type": "application/json"})
    problem = _problem(response, 400)
    assert problem["type"] == "/problems/validation-error"
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [("(body)", "body")]
    assert "digits" in problem["errors"][0]["reason"] and "JSON" in problem["errors"][0]["reason"]
    assert HUGE not in response.get_data(as_text=True)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert _stored(admin) == before


def test_a_number_of_4300_digits_is_read_and_refused_by_its_field(admin, rows):
    body = json.dumps({"valid_days": "<huge>"}).replace(PLACEHOLDER, HUGE[:4300])
    response = admin.post(f"/v1/participants/{rows['participant']}/availability-link", data=body, headers={"Content-Type": "application/json"})
    problem = _problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == ["valid_days"]


NO_BODY = [
    ({}, "no body and no media type"),
    ({"headers": {"Content-Type": "application/json"}}, "an empty JSON body"),
    ({"headers": {"Content-Type": "text/plain"}}, "an empty text body"),
]


@pytest.mark.parametrize("sent", [s for s, _ in NO_BODY], ids=[i for _, i in NO_BODY])
def test_an_empty_put_of_availability_is_400_and_keeps_the_week(admin, rows, sent):
    url = f"/v1/participants/{rows['participant']}"
    before = admin.get(url)
    problem = _problem(admin.put(f"{url}/availability", **sent), 400)
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [("(body)", "body")]
    assert "JSON" in problem["errors"][0]["reason"]
    after = admin.get(url)
    assert after.json == before.json and after.headers["ETag"] == before.headers["ETag"]
    assert after.json["availability"]["weekly"] == payloads.participant(1)["availability"]["weekly"]


NOT_JSON = [
    ("text/plain", json.dumps({"weekly": [], "unavailable": []})),
    ("application/x-www-form-urlencoded", "weekly=&unavailable="),
    ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="weekly"\r\n\r\n[]\r\n--x--\r\n'),
    (None, json.dumps({"weekly": [], "unavailable": []})),
]


@pytest.mark.parametrize(("media_type", "body"), NOT_JSON, ids=[str(m) for m, _ in NOT_JSON])
def test_availability_sent_as_anything_but_json_is_415_and_keeps_the_week(admin, rows, media_type, body):
    url = f"/v1/participants/{rows['participant']}"
    before = admin.get(url).json
    headers = {"Content-Type": media_type} if media_type else {}
    response = admin.client.put(
        f"{url}/availability", data=body.encode(), headers={"Authorization": f"Bearer {admin.key}", **headers},
    )
    problem = _problem(response, 415)
    assert problem["type"] == "/problems/unsupported-media-type"
    assert "application/json" in problem["detail"]
    assert admin.get(url).json == before


@pytest.mark.parametrize("document", [{}, {"unavailable": []}, {"unavailable": [{"start": "2027-05-01", "end": "2027-05-02"}]}])
def test_availability_without_weekly_is_422_naming_it_and_keeps_the_week(admin, rows, document):
    url = f"/v1/participants/{rows['participant']}"
    before = admin.get(url).json
    problem = _problem(admin.put(f"{url}/availability", json=document), 422)
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [("weekly", "body")]
    assert admin.get(url).json == before


def test_a_patch_that_sends_availability_without_weekly_is_422_and_keeps_the_week(admin, rows):
    url = f"/v1/participants/{rows['participant']}"
    before = admin.get(url).json
    problem = _problem(admin.patch(url, json={"availability": {}}), 422)
    assert [e["field"] for e in problem["errors"]] == ["availability.weekly"]
    assert admin.get(url).json == before


def test_an_empty_weekly_is_still_said_out_loud(admin, rows):
    """`"weekly": []` is how a client says "no weekly restriction": sent, it is taken."""
    url = f"/v1/participants/{rows['participant']}/availability"
    response = admin.put(url, json={"weekly": []})
    assert response.status_code == 200, response.json
    assert response.json["availability"] == {"weekly": [], "unavailable": []}


PATCHES = ["/v1/participants/{participant}", "/v1/facilitators/{facilitator}", "/v1/groups/{group}"]


@pytest.mark.parametrize("path", PATCHES)
def test_a_patch_without_a_body_is_400_and_an_empty_object_changes_nothing(admin, rows, path):
    url = path.format(**rows)
    before = admin.get(url)
    problem = _problem(admin.patch(url), 400)
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [("(body)", "body")]
    assert admin.get(url).json == before.json
    unchanged = admin.patch(url, json={})
    assert unchanged.status_code == 200, unchanged.json
    assert unchanged.json == before.json and unchanged.headers["ETag"] == before.headers["ETag"]


def test_recording_an_answer_needs_its_body_too(admin):
    url = f"/v1/sessions/{uuid.uuid4()}/attendance/{uuid.uuid4()}"
    _problem(admin.put(url), 400)
    _problem(admin.put(url, data=json.dumps({"response": "accepted"}), headers={"Content-Type": "text/plain"}), 415)
    problem = _problem(admin.put(url, json={}), 422)
    assert [e["field"] for e in problem["errors"]] == ["response"]


def test_a_post_that_needs_a_body_is_400_without_one_and_415_with_another_media_type(admin):
    _problem(admin.post("/v1/participants"), 400)
    sent_as_text = admin.post("/v1/participants", data=json.dumps(payloads.participant(1)), headers={"Content-Type": "text/plain"})
    _problem(sent_as_text, 415)
    assert admin.get("/v1/participants").json == []


def test_an_optional_body_may_be_left_out_but_not_sent_as_another_media_type(admin, rows):
    url = f"/v1/participants/{rows['participant']}/availability-link"
    assert admin.post(url).status_code == 201
    _problem(admin.post(url, data=json.dumps({"valid_days": 3}), headers={"Content-Type": "text/plain"}), 415)


def test_operations_with_a_json_body_document_400_and_415(client):
    spec = client.get("/openapi.json").json
    with_body = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method != "parameters" and "application/json" in operation.get("requestBody", {}).get("content", {})
    ]
    assert len(with_body) >= 10
    for path, method, operation in with_body:
        assert {"400", "415"} <= operation["responses"].keys(), (method, path)
