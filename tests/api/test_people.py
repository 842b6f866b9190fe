"""Facilitators and participants: create, read, change, delete, filter."""

from __future__ import annotations

import json

import pytest

from tests.api import payloads


def test_creating_a_facilitator_answers_201_with_location_etag_and_representation(admin):
    response = admin.post("/v1/facilitators", json=payloads.facilitator())
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"] == f"/v1/facilitators/{body['id']}"
    assert response.headers["ETag"].startswith('"')
    assert body["name"] == "Fien Jansen"
    assert body["language"] == "nl"
    assert body["availability"] == {
        "weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}],
        "unavailable": [],
    }
    assert admin.get(response.headers["Location"]).json == body


def test_participant_defaults_and_fields_round_trip(platform):
    sent = payloads.participant(1, external_ref="abc-1", school_holiday_region="midden", language="en")
    created = platform.post("/v1/participants", json=sent)
    assert created.status_code == 201
    body = created.json
    for name in ("name", "email", "organization", "role", "themes", "external_ref", "school_holiday_region", "language"):
        assert body[name] == sent[name]
    assert body["timezone"] == "Europe/Amsterdam"
    assert body["availability"]["unavailable"] == [
        {"start": "2027-03-08", "end": "2027-03-12", "note": "studiereis"}
    ]
    assert body["group_ids"] == []


def test_patch_changes_only_what_is_sent(admin):
    response = admin.post("/v1/participants", json=payloads.participant(1, language="en"))
    created = response.json
    changed = admin.patch(f"/v1/participants/{created['id']}", json={"name": "Nieuwe Naam"})
    assert changed.status_code == 200
    assert changed.json["name"] == "Nieuwe Naam"
    assert changed.json["language"] == "en"
    assert changed.json["availability"] == created["availability"]
    assert changed.json["themes"] == created["themes"]
    assert changed.headers["ETag"] != response.headers["ETag"]


def test_patching_themes_changes_the_etag(admin):
    created = admin.post("/v1/participants", json=payloads.participant(1))
    changed = admin.patch(f"/v1/participants/{created.json['id']}", json={"themes": ["lastige_ouders"]})
    assert changed.json["themes"] == ["lastige_ouders"]
    assert changed.headers["ETag"] != created.headers["ETag"]


def test_put_availability_replaces_it(platform):
    created = platform.post("/v1/participants", json=payloads.participant(1)).json
    new = {"weekly": [{"day": "wed", "start": "13:00", "end": "17:00"}], "unavailable": []}
    response = platform.put(f"/v1/participants/{created['id']}/availability", json=new)
    assert response.status_code == 200
    assert response.json["availability"] == new
    assert platform.get(f"/v1/participants/{created['id']}").json["availability"] == new


def test_datetime_unavailability_is_kept_with_its_offset(platform):
    created = platform.post("/v1/participants", json=payloads.participant(1)).json
    new = {"weekly": [], "unavailable": [{"start": "2027-03-09T18:00:00+01:00", "end": "2027-03-09T22:00:00+01:00"}]}
    response = platform.put(f"/v1/participants/{created['id']}/availability", json=new)
    assert response.status_code == 200, response.json
    assert response.json["availability"] == {
        "weekly": [],
        "unavailable": [{"start": "2027-03-09T18:00:00+01:00", "end": "2027-03-09T22:00:00+01:00", "note": None}],
    }


def test_external_ref_is_unique_per_client_only(platform, other_platform):
    assert platform.post("/v1/participants", json=payloads.participant(1, external_ref="x")).status_code == 201
    clash = platform.post("/v1/participants", json=payloads.participant(2, external_ref="x"))
    assert clash.status_code == 409
    assert clash.content_type == "application/problem+json"
    assert other_platform.post("/v1/participants", json=payloads.participant(3, external_ref="x")).status_code == 201
    assert [p["external_ref"] for p in platform.get("/v1/participants?external_ref=x").json] == ["x"]


def test_deleting_a_participant_removes_it_and_its_memberships(admin):
    person = admin.post("/v1/participants", json=payloads.participant(1)).json
    group = admin.post("/v1/groups", json=payloads.group()).json
    admin.put(f"/v1/groups/{group['id']}/members/{person['id']}")
    assert admin.delete(f"/v1/participants/{person['id']}").status_code == 204
    assert admin.get(f"/v1/participants/{person['id']}").status_code == 404
    assert admin.get(f"/v1/groups/{group['id']}").json["members"] == []


def test_facilitator_who_guides_a_group_cannot_be_deleted(admin):
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator()).json
    admin.post("/v1/groups", json=payloads.group(facilitator_id=facilitator["id"]))
    response = admin.delete(f"/v1/facilitators/{facilitator['id']}")
    assert response.status_code == 409
    assert admin.get(f"/v1/facilitators/{facilitator['id']}").status_code == 200


def test_facilitator_can_be_changed_and_deleted(admin):
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator()).json
    url = f"/v1/facilitators/{facilitator['id']}"
    assert admin.patch(url, json={"language": "en"}).json["language"] == "en"
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404


@pytest.fixture
def pool(admin):
    """Five participants: roles, themes, schools and one group to filter on."""
    people = [
        admin.post("/v1/participants", json=payloads.participant(1, role="leerkracht", themes=["lastige_ouders"])).json,
        admin.post("/v1/participants", json=payloads.participant(2, role="intern_begeleider", themes=["ouderbetrokkenheid", "lastige_ouders"])).json,
        admin.post("/v1/participants", json=payloads.participant(3, role="schoolleider", themes=[], organization="School 1")).json,
        admin.post("/v1/participants", json=payloads.participant(4, role="intern_begeleider", themes=["ouderbetrokkenheid"])).json,
        admin.post("/v1/participants", json=payloads.participant(5, role="leerkracht", themes=[])).json,
    ]
    group = admin.post("/v1/groups", json=payloads.group()).json
    admin.put(f"/v1/groups/{group['id']}/members/{people[1]['id']}")
    admin.put(f"/v1/groups/{group['id']}/members/{people[4]['id']}")
    return people, group


def _names(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [p["name"] for p in response.json]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("role=intern_begeleider", ["Deelnemer 2", "Deelnemer 4"]),
        ("theme=lastige_ouders", ["Deelnemer 1", "Deelnemer 2"]),
        ("organization=School%201", ["Deelnemer 1", "Deelnemer 3"]),
        ("unassigned=true", ["Deelnemer 1", "Deelnemer 3", "Deelnemer 4"]),
        ("unassigned=false", ["Deelnemer 2", "Deelnemer 5"]),
        ("role=intern_begeleider&unassigned=true", ["Deelnemer 4"]),
    ],
)
def test_participant_list_filters(admin, pool, query, expected):
    assert _names(admin.get(f"/v1/participants?{query}")) == expected


def test_participant_list_filters_by_group(admin, pool):
    _, group = pool
    assert _names(admin.get(f"/v1/participants?group_id={group['id']}")) == ["Deelnemer 2", "Deelnemer 5"]


def test_lists_paginate_with_x_pagination_header(admin, pool):
    first = admin.get("/v1/participants?page=1&page_size=2")
    assert _names(first) == ["Deelnemer 1", "Deelnemer 2"]
    meta = json.loads(first.headers["X-Pagination"])
    assert meta["total"] == 5 and meta["total_pages"] == 3 and meta["page"] == 1
    assert meta["next_page"] == 2
    assert _names(admin.get("/v1/participants?page=3&page_size=2")) == ["Deelnemer 5"]


def test_page_size_above_100_is_refused(admin):
    response = admin.get("/v1/participants?page_size=101")
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "page_size"
    assert response.json["errors"][0]["location"] == "query"
