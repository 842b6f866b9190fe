"""ETags, If-None-Match (304) and If-Match (412), and the atomic version check behind them."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from shared.db.models import Participant
from tests.api import payloads


def test_get_with_current_etag_is_304_without_body(platform):
    created = platform.post("/v1/participants", json=payloads.participant(1))
    url = created.headers["Location"]
    response = platform.get(url, headers={"If-None-Match": created.headers["ETag"]})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == created.headers["ETag"]


def test_write_with_stale_if_match_is_412_and_changes_nothing(platform):
    created = platform.post("/v1/participants", json=payloads.participant(1))
    url = created.headers["Location"]
    stale = created.headers["ETag"]
    first = platform.patch(url, json={"name": "Eerste"}, headers={"If-Match": stale})
    assert first.status_code == 200
    second = platform.patch(url, json={"name": "Tweede"}, headers={"If-Match": stale})
    assert second.status_code == 412
    assert second.content_type == "application/problem+json"
    assert platform.get(url).json["name"] == "Eerste"
    assert platform.delete(url, headers={"If-Match": stale}).status_code == 412
    assert platform.put(url + "/availability", json={"weekly": []}, headers={"If-Match": stale}).status_code == 412
    assert platform.delete(url, headers={"If-Match": first.headers["ETag"]}).status_code == 204


def test_write_without_if_match_is_allowed(platform):
    created = platform.post("/v1/participants", json=payloads.participant(1))
    assert platform.patch(created.headers["Location"], json={"name": "X"}).status_code == 200


def test_groups_and_facilitators_honour_if_match_too(admin):
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator())
    group = admin.post("/v1/groups", json=payloads.group())
    for created in (facilitator, group):
        url = created.headers["Location"]
        assert admin.patch(url, json={"name": "A"}, headers={"If-Match": created.headers["ETag"]}).status_code == 200
        assert admin.patch(url, json={"name": "B"}, headers={"If-Match": created.headers["ETag"]}).status_code == 412
        assert admin.get(url).json["name"] == "A"


def _racing(monkeypatch, times: int) -> list[int]:
    """update_participant with another write landing between its read and its UPDATE, the
    first ``times`` times it runs; what it returns counts the runs."""
    from shared.use_cases import people

    original, runs = people.update_participant, []

    def racing_update(session, participant, data, **options):
        runs.append(1)
        if len(runs) <= times:
            # Through the connection, below the ORM: the loaded object keeps the old version.
            session.connection().execute(
                update(Participant.__table__)
                .where(Participant.__table__.c.id == participant.id)
                .values(name="Ander", version=Participant.__table__.c.version + 1)
            )
        original(session, participant, data, **options)

    monkeypatch.setattr(people, "update_participant", racing_update)
    return runs


def test_version_check_is_in_the_update_itself(platform, monkeypatch):
    """A write that read version N loses when another commits N+1 before its UPDATE runs."""
    created = platform.post("/v1/participants", json=payloads.participant(1))
    _racing(monkeypatch, times=99)
    response = platform.patch(created.headers["Location"], json={"name": "Ik"}, headers={"If-Match": created.headers["ETag"]})
    assert response.status_code == 412
    # The whole transaction was rolled back: neither write is stored.
    assert platform.get(created.headers["Location"]).json["name"] == "Deelnemer 1"


def test_a_write_without_if_match_that_loses_a_race_is_applied_to_the_winner(platform, monkeypatch):
    url = platform.post("/v1/participants", json=payloads.participant(1)).headers["Location"]
    runs = _racing(monkeypatch, times=1)
    response = platform.patch(url, json={"name": "Ik"})
    assert response.status_code == 200, response.json
    assert len(runs) == 2 and platform.get(url).json["name"] == "Ik"


def test_a_write_without_if_match_that_keeps_losing_is_409_and_changes_nothing(platform, monkeypatch):
    url = platform.post("/v1/participants", json=payloads.participant(1)).headers["Location"]
    runs = _racing(monkeypatch, times=99)
    response = platform.patch(url, json={"name": "Ik"})
    assert response.status_code == 409 and response.json["type"] == "/problems/conflict"
    assert len(runs) == 3 and platform.get(url).json["name"] == "Deelnemer 1"


def test_concurrent_writers_with_the_same_etag_one_wins(app, platform):
    created = platform.post("/v1/participants", json=payloads.participant(1))
    url, etag = created.headers["Location"], created.headers["ETag"]
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def write(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.patch(
            url, json={"name": f"Schrijver {n}"},
            headers={"Authorization": f"Bearer {platform.key}", "If-Match": etag},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [412] * 5


def test_a_participants_etag_moves_when_their_groups_change(platform, admin, clock):
    """Their representation lists their groups: joining, leaving, and the group's removal are
    changes a cached copy must not survive (If-None-Match answers 200 with the new groups)."""
    url = platform.post("/v1/participants", json=payloads.participant(1)).headers["Location"]
    pid = url.rsplit("/", 1)[-1]
    first, second = (admin.post("/v1/groups", json=payloads.group(name=f"Groep {n}")).json for n in (1, 2))
    steps = [
        (lambda: admin.put(f"/v1/groups/{first['id']}/members/{pid}"), [first["id"]]),
        (lambda: admin.put(f"/v1/groups/{second['id']}/members/{pid}"), [first["id"], second["id"]]),
        (lambda: admin.delete(f"/v1/groups/{first['id']}/members/{pid}"), [second["id"]]),
        (lambda: admin.delete(f"/v1/groups/{second['id']}"), []),
    ]
    etag = platform.get(url).headers["ETag"]
    for change, groups in steps:
        clock.now += timedelta(minutes=1)  # they are listed in the order they joined
        assert change().status_code < 300
        shown = platform.get(url, headers={"If-None-Match": etag})
        assert shown.status_code == 200, "a copy from before the change is no longer current"
        assert shown.json["group_ids"] == groups
        assert shown.headers["ETag"] != etag
        etag = shown.headers["ETag"]
