"""Writes that land at the same moment on PostgreSQL: a request that sent no If-Match is never
told that someone else changed the resource (412); it is applied after the other write."""

from __future__ import annotations

import threading

import pytest

from tests.api import payloads

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

ROUNDS = 20


def _at_once(app, key: str, *requests: tuple) -> list:
    """Each (method, url, json) from its own thread and test client, released together."""
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)

    def send(index: int, method: str, url: str, body) -> None:
        client = app.test_client()
        barrier.wait()
        answers[index] = getattr(client, method)(url, json=body, headers={"Authorization": f"Bearer {key}"})

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_adding_one_participant_to_two_groups_at_once_succeeds_both_times(app, admin):
    for n in range(ROUNDS):
        first, second = (admin.post("/v1/groups", json=payloads.group(name=f"Groep {n}.{k}")).json["id"] for k in (1, 2))
        person = admin.post("/v1/participants", json=payloads.participant(n)).json["id"]
        answers = _at_once(
            app, admin.key,
            ("put", f"/v1/groups/{first}/members/{person}", None),
            ("put", f"/v1/groups/{second}/members/{person}", None),
        )
        assert [a.status_code for a in answers] == [200, 200], [a.json for a in answers]
        assert sorted(admin.get(f"/v1/participants/{person}").json["group_ids"]) == sorted([first, second])


def test_a_change_without_if_match_is_applied_after_a_concurrent_membership_write(app, admin):
    for n in range(ROUNDS):
        group = admin.post("/v1/groups", json=payloads.group(name=f"Groep {n}")).json["id"]
        url = admin.post("/v1/participants", json=payloads.participant(n)).headers["Location"]
        person = url.rsplit("/", 1)[-1]
        answers = _at_once(
            app, admin.key,
            ("put", f"/v1/groups/{group}/members/{person}", None),
            ("patch", url, {"name": f"Nieuwe naam {n}"}),
        )
        assert [a.status_code for a in answers] == [200, 200], [a.json for a in answers]
        shown = admin.get(url).json
        assert shown["name"] == f"Nieuwe naam {n}" and shown["group_ids"] == [group]

