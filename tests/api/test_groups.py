"""Groups and their members."""

from __future__ import annotations

import threading

from tests.api import payloads


def test_group_defaults(admin):
    response = admin.post("/v1/groups", json=payloads.group())
    assert response.status_code == 201
    group = response.json
    assert response.headers["Location"] == f"/v1/groups/{group['id']}"
    assert group["timezone"] == "Europe/Amsterdam"
    assert group["language"] == "nl"
    assert (group["session_minutes"], group["guided_sessions"], group["follow_up_sessions"]) == (90, 3, 6)
    assert group["constraints"] == {
        "weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "earliest": "08:00",
        "latest": "22:00",
        "skip_public_holidays": True,
        "school_holiday_region": None,
        "self_directed_quorum": None,
    }
    assert group["members"] == [] and group["member_count"] == 0


def test_group_with_unknown_facilitator_is_422_on_that_field(admin):
    response = admin.post("/v1/groups", json=payloads.group(facilitator_id="5f0c3a5e-0000-4000-8000-000000000000"))
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "facilitator_id"
    assert admin.get("/v1/groups").json == []


def test_patching_some_constraints_keeps_the_others(admin):
    group = admin.post("/v1/groups", json=payloads.group(constraints={"weekdays": ["tue", "mon"], "latest": "21:00"})).json
    assert group["constraints"]["weekdays"] == ["mon", "tue"]
    changed = admin.patch(f"/v1/groups/{group['id']}", json={"constraints": {"earliest": "18:00"}})
    assert changed.status_code == 200, changed.json
    assert changed.json["constraints"]["earliest"] == "18:00"
    assert changed.json["constraints"]["latest"] == "21:00"
    assert changed.json["constraints"]["weekdays"] == ["mon", "tue"]


def test_patching_constraints_into_an_impossible_window_is_422(admin):
    group = admin.post("/v1/groups", json=payloads.group(constraints={"latest": "21:00"})).json
    response = admin.patch(f"/v1/groups/{group['id']}", json={"constraints": {"earliest": "21:30"}})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "constraints.latest"
    assert admin.get(f"/v1/groups/{group['id']}").json["constraints"]["earliest"] == "08:00"


def test_members_are_added_idempotently_and_listed_in_order(admin):
    group = admin.post("/v1/groups", json=payloads.group()).json
    people = [admin.post("/v1/participants", json=payloads.participant(i)).json for i in range(3)]
    for person in people:
        response = admin.put(f"/v1/groups/{group['id']}/members/{person['id']}")
        assert response.status_code == 200
        assert response.json["participant_id"] == person["id"]
    again = admin.put(f"/v1/groups/{group['id']}/members/{people[0]['id']}")
    assert again.status_code == 200
    shown = admin.get(f"/v1/groups/{group['id']}").json
    assert [m["participant_id"] for m in shown["members"]] == [p["id"] for p in people]
    assert shown["member_count"] == 3
    assert admin.get(f"/v1/participants/{people[0]['id']}").json["group_ids"] == [group["id"]]


def test_removing_a_member(admin):
    group = admin.post("/v1/groups", json=payloads.group()).json
    person = admin.post("/v1/participants", json=payloads.participant(1)).json
    admin.put(f"/v1/groups/{group['id']}/members/{person['id']}")
    assert admin.delete(f"/v1/groups/{group['id']}/members/{person['id']}").status_code == 204
    assert admin.get(f"/v1/groups/{group['id']}").json["members"] == []
    assert admin.delete(f"/v1/groups/{group['id']}/members/{person['id']}").status_code == 404


def test_adding_a_member_changes_the_groups_etag(admin):
    created = admin.post("/v1/groups", json=payloads.group())
    person = admin.post("/v1/participants", json=payloads.participant(1)).json
    admin.put(f"/v1/groups/{created.json['id']}/members/{person['id']}")
    assert admin.get(f"/v1/groups/{created.json['id']}").headers["ETag"] != created.headers["ETag"]


def test_a_ninth_member_is_409(admin):
    group = admin.post("/v1/groups", json=payloads.group()).json
    people = [admin.post("/v1/participants", json=payloads.participant(i)).json for i in range(9)]
    for person in people[:8]:
        assert admin.put(f"/v1/groups/{group['id']}/members/{person['id']}").status_code == 200
    response = admin.put(f"/v1/groups/{group['id']}/members/{people[8]['id']}")
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert "8" in response.json["detail"]
    assert admin.get(f"/v1/groups/{group['id']}").json["member_count"] == 8


def test_concurrent_additions_never_exceed_eight_members(app, admin):
    group = admin.post("/v1/groups", json=payloads.group()).json
    people = [admin.post("/v1/participants", json=payloads.participant(i)).json for i in range(12)]
    statuses: list[int] = []
    barrier = threading.Barrier(len(people))

    def add(person):
        client = app.test_client()
        barrier.wait()
        response = client.put(
            f"/v1/groups/{group['id']}/members/{person['id']}",
            headers={"Authorization": f"Bearer {admin.key}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=add, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 8 + [409] * 4
    assert admin.get(f"/v1/groups/{group['id']}").json["member_count"] == 8


def test_deleting_a_group_keeps_its_participants(admin):
    group = admin.post("/v1/groups", json=payloads.group()).json
    person = admin.post("/v1/participants", json=payloads.participant(1)).json
    admin.put(f"/v1/groups/{group['id']}/members/{person['id']}")
    assert admin.delete(f"/v1/groups/{group['id']}").status_code == 204
    assert admin.get(f"/v1/groups/{group['id']}").status_code == 404
    assert admin.get(f"/v1/participants/{person['id']}").json["group_ids"] == []


def test_platform_cannot_add_members(admin, platform):
    group = admin.post("/v1/groups", json=payloads.group()).json
    person = platform.post("/v1/participants", json=payloads.participant(1)).json
    assert platform.put(f"/v1/groups/{group['id']}/members/{person['id']}").status_code == 403
