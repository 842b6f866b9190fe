"""Participants' answers are dumped once per version (services.api.schemas.people): a read after
any change shows the change, exactly as a process that keeps nothing shows it."""

from __future__ import annotations

from dataclasses import replace

import marshmallow as ma
import pytest

from services.api.app import create_app
from services.api.schemas.people import ParticipantSchema
from tests.api import payloads
from tests.api.conftest import Caller


@pytest.fixture
def uncached(settings, session_factory, scheduler, clock, admin) -> Caller:
    """The same database and key through an app that keeps no answers."""
    app = create_app(replace(settings, answer_cache_size=0), session_factory=session_factory, scheduler=scheduler, clock=clock)
    app.testing = True
    return Caller(app.test_client(), admin.key, admin.client_id)


@pytest.fixture
def dumps(monkeypatch) -> list[str]:
    """The ids of the participants marshmallow dumps from now on."""
    dumped: list[str] = []
    real = ma.Schema.dump

    def counting(self, obj, *, many=None):
        if isinstance(self, ParticipantSchema) and not (self.many if many is None else many):
            dumped.append(str(obj.id))
        return real(self, obj, many=many)

    monkeypatch.setattr(ma.Schema, "dump", counting)
    return dumped


def _reads(caller: Caller, participant_id: str) -> tuple[dict, list[dict]]:
    one = caller.get(f"/v1/participants/{participant_id}")
    page = caller.get("/v1/participants?page_size=20")
    assert one.status_code == page.status_code == 200
    return one.json, page.json


def test_a_read_after_every_kind_of_change_shows_what_a_process_without_answers_shows(admin, uncached):
    person = admin.post("/v1/participants", json=payloads.participant(1)).json
    admin.post("/v1/participants", json=payloads.participant(2))
    group = admin.post("/v1/groups", json=payloads.group()).json
    pid = person["id"]
    changes = [
        lambda: admin.patch(f"/v1/participants/{pid}", json={"name": "Anna Bakker"}),
        lambda: admin.patch(f"/v1/participants/{pid}", json={"themes": ["gedrag", "ouderbetrokkenheid"]}),
        lambda: admin.patch(f"/v1/participants/{pid}", json={"themes": ["ouderbetrokkenheid", "gedrag"]}),
        lambda: admin.put(f"/v1/participants/{pid}/availability", json={"weekly": [], "unavailable": []}),
        lambda: admin.put(f"/v1/groups/{group['id']}/members/{pid}"),
        lambda: admin.delete(f"/v1/groups/{group['id']}/members/{pid}"),
        lambda: admin.patch(f"/v1/participants/{pid}", json={"external_ref": "ref-1"}),
    ]
    seen = [_reads(admin, pid)]
    for change in changes:
        assert change().status_code < 300
        shown = _reads(admin, pid)
        assert shown == _reads(uncached, pid)
        assert shown != seen[-1], "the change shows"
        seen.append(shown)
    assert seen[1][0]["name"] == "Anna Bakker"
    assert seen[3][0]["themes"] == ["ouderbetrokkenheid", "gedrag"]
    assert seen[5][0]["group_ids"] == [group["id"]]
    assert seen[6][0]["group_ids"] == []


def test_an_unchanged_participant_is_dumped_once(admin, dumps):
    first, second = (admin.post("/v1/participants", json=payloads.participant(n)).json for n in (1, 2))
    dumps.clear()
    assert [p["id"] for p in admin.get("/v1/participants").json] == [first["id"], second["id"]]
    admin.get(f"/v1/participants/{first['id']}")
    assert sorted(dumps) == sorted([first["id"], second["id"]])
    dumps.clear()
    admin.patch(f"/v1/participants/{second['id']}", json={"name": "Bram de Boer"})
    dumps.clear()
    page = admin.get("/v1/participants").json
    assert [p["name"] for p in page] == ["Deelnemer 1", "Bram de Boer"]
    assert dumps == [second["id"]]


def test_a_process_told_to_keep_no_answers_dumps_every_read(uncached, admin, dumps):
    person = admin.post("/v1/participants", json=payloads.participant(1)).json
    dumps.clear()
    for _ in range(2):
        uncached.get("/v1/participants")
    assert dumps == [person["id"]] * 2
