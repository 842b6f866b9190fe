"""A person's published calendars: added (webcal read as https), shown masked, at most five, under
the webhooks' SSRF rules, fetched by the worker after creation and on refresh, removed, exported
and erased — through the API with a real worker and a real HTTP server publishing the feeds."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.scheduler import calendar_fetch
from services.scheduler.actors import Actors
from shared.db.models import BusyInterval, CalendarSource, IdempotencyRecord, OutboxMessage
from shared.domain.sealing import Sealer
from shared.domain.webhooks import NOT_ALLOWED
from shared.use_cases import busy_time
from shared.use_cases.calendar_sources import SEALING_PURPOSE
from tests.api import payloads
from tests.calendar_server import Feed, calendar_server, ics

pytestmark = pytest.mark.usefixtures("public_dns")

SECRET_PATH = "/owa/calendar/7c2f0e5b9a/reachcalendar.ics?token=S3cr3tT0k3n"
OUTLOOK = "https://outlook.office365.com" + SECRET_PATH
DECEMBER = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # after the tests' clock (2026-11-24 12:00 UTC)


def sources_path(person) -> str:
    return f"/v1/participants/{person['id']}/calendar-sources"


def stored_intervals(session_factory, source_id) -> list[tuple[datetime, datetime]]:
    with session_factory() as session:
        return [
            (row.start, row.end)
            for row in session.scalars(select(BusyInterval).where(BusyInterval.source_id == uuid.UUID(source_id)).order_by(BusyInterval.start))
        ]


# -- adding, showing, listing -----------------------------------------------------------------------


def test_a_calendar_is_added_and_shown_back_with_its_scheme_and_host_only(platform, person):
    response = platform.post(sources_path(person), json={"url": OUTLOOK})
    assert response.status_code == 201, response.json
    source = response.json
    assert source == {
        "id": source["id"], "kind": "ics", "url": "https://outlook.office365.com/…", "status": "pending",
        "last_fetched_at": None, "last_error": None, "last_error_code": None, "busy_count": 0,
    }
    assert response.headers["Location"].endswith(f"{sources_path(person)}/{source['id']}")
    read = platform.get(response.headers["Location"])
    assert read.json == source and read.headers["ETag"] == response.headers["ETag"]
    assert platform.get(sources_path(person)).json == [source]
    assert platform.get(response.headers["Location"], headers={"If-None-Match": read.headers["ETag"]}).status_code == 304
    for answer in (response, read, platform.get(sources_path(person))):
        assert "7c2f0e5b9a" not in answer.get_data(as_text=True)


def test_webcal_is_read_as_https(platform, person, session_factory, settings):
    source = platform.post(sources_path(person), json={"url": "webcal://p42-caldav.icloud.com/published/2/MTIzNDU2"}).json
    assert source["url"] == "https://p42-caldav.icloud.com/…"
    with session_factory() as session:
        row = session.get(CalendarSource, uuid.UUID(source["id"]))
        assert Sealer(settings.secret(), SEALING_PURPOSE).open(row.url_sealed, source["id"]) == "https://p42-caldav.icloud.com/published/2/MTIzNDU2"


def test_the_address_is_stored_sealed_and_opens_for_its_own_row_only(platform, person, session_factory, settings):
    source = platform.post(sources_path(person), json={"url": OUTLOOK}).json
    with session_factory() as session:
        row = session.get(CalendarSource, uuid.UUID(source["id"]))
        stored = json.dumps({column.name: str(getattr(row, column.key)) for column in CalendarSource.__table__.columns})
        sealed = row.url_sealed
    assert "7c2f0e5b9a" not in stored and "S3cr3t" not in stored and "/owa/" not in stored
    sealer = Sealer(settings.secret(), SEALING_PURPOSE)
    assert sealer.open(sealed, source["id"]) == OUTLOOK
    with pytest.raises(Exception, match="does not open"):
        sealer.open(sealed, str(uuid.uuid4()))


def test_a_sixth_calendar_and_the_same_one_twice_are_refused(platform, person):
    for n in range(5):
        assert platform.post(sources_path(person), json={"url": f"https://calendar.example.org/{n}.ics"}).status_code == 201
    sixth = platform.post(sources_path(person), json={"url": "https://calendar.example.org/6.ics"})
    assert sixth.status_code == 409
    assert sixth.content_type == "application/problem+json"
    assert "already has 5 calendar sources" in sixth.json["detail"]
    assert len(platform.get(sources_path(person)).json) == 5

    other = platform.post("/v1/participants", json=payloads.participant(2)).json
    assert platform.post(sources_path(other), json={"url": "https://calendar.example.org/0.ics"}).status_code == 201
    twice = platform.post(sources_path(other), json={"url": "webcal://calendar.example.org/0.ics"})
    assert twice.status_code == 409 and "already a source" in twice.json["detail"]


@pytest.mark.parametrize(("url", "reason"), [
    ("http://calendar.example.org/feed.ics", "must use https"),
    ("https://user:password@calendar.example.org/feed.ics", "must not carry credentials"),
    ("https://127.0.0.1/feed.ics", NOT_ALLOWED),
    ("webcal://[::1]/feed.ics", NOT_ALLOWED),
    ("https://10.0.0.7/feed.ics", NOT_ALLOWED),
    ("https://169.254.169.254/latest/meta-data/", NOT_ALLOWED),
    ("ftp://calendar.example.org/feed.ics", "must use https"),
])
def test_an_address_a_webhook_could_not_have_is_refused(platform, person, url, reason):
    response = platform.post(sources_path(person), json={"url": url})
    assert response.status_code == 422, response.json
    assert response.json["errors"] == [{"field": "url", "location": "body", "reason": reason}]
    assert platform.get(sources_path(person)).json == []


def test_a_host_that_resolves_to_a_private_address_is_refused_like_an_unknown_one(platform, person, monkeypatch, caplog):
    dns = {"intranet.school.example": ["10.1.2.3"], "half.example.org": ["93.184.215.14", "127.0.0.1"]}

    def resolve(host, port):
        if host in dns:
            return dns[host]
        raise OSError("Name or service not known")

    monkeypatch.setattr("services.api.resources.calendar_sources.resolve", resolve)
    answers = set()
    with caplog.at_level(logging.INFO, logger="shared.use_cases.webhooks"):
        for host in ("intranet.school.example", "half.example.org", "no-such-host.example.org"):
            response = platform.post(sources_path(person), json={"url": f"https://{host}/cal.ics?secret=abc"})
            assert response.status_code == 422
            answers.add(json.dumps(response.json["errors"]))
    assert answers == {json.dumps([{"field": "url", "location": "body", "reason": NOT_ALLOWED}])}
    assert "calendar address refused: intranet.school.example resolves to a non-public address (10.1.2.3)" in caplog.text
    assert "secret=abc" not in caplog.text


def test_loopback_is_allowed_only_when_private_addresses_are(platform, person, allow_private):
    response = platform.post(sources_path(person), json={"url": "http://127.0.0.1:8765/feed.ics"})
    assert response.status_code == 201
    assert response.json["url"] == "http://127.0.0.1:8765/…"


def test_a_body_without_a_url_or_with_another_field_is_refused(platform, person):
    assert platform.post(sources_path(person), json={}).json["errors"][0]["field"] == "url"
    extra = platform.post(sources_path(person), json={"url": OUTLOOK, "username": "x"})
    assert extra.status_code == 422 and extra.json["errors"][0]["field"] == "username"
    long = platform.post(sources_path(person), json={"url": "https://calendar.example.org/" + "a" * 2000})
    assert long.status_code == 422 and long.json["errors"][0]["field"] == "url"


def test_a_retried_post_with_the_same_idempotency_key_adds_one_calendar(platform, person):
    first = platform.post(sources_path(person), json={"url": OUTLOOK}, headers={"Idempotency-Key": "add-outlook"})
    again = platform.post(sources_path(person), json={"url": OUTLOOK}, headers={"Idempotency-Key": "add-outlook"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert len(platform.get(sources_path(person)).json) == 1


# -- who may --------------------------------------------------------------------------------------


def test_a_platform_reaches_its_own_participants_calendars_only(platform, other_platform, person):
    source = platform.post(sources_path(person), json={"url": OUTLOOK}).json
    one = f"{sources_path(person)}/{source['id']}"
    assert other_platform.post(sources_path(person), json={"url": OUTLOOK}).status_code == 404
    assert other_platform.get(sources_path(person)).status_code == 404
    assert other_platform.get(one).status_code == 404
    assert other_platform.post(f"{one}/refresh").status_code == 404
    assert other_platform.delete(one).status_code == 404
    assert platform.get(one).status_code == 200
    strangers = f"/v1/participants/{uuid.uuid4()}/calendar-sources"
    assert platform.get(strangers).status_code == 404
    assert platform.get(f"{sources_path(person)}/{uuid.uuid4()}").status_code == 404


def test_facilitators_calendars_are_the_organisers(admin, platform):
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator()).json
    path = f"/v1/facilitators/{facilitator['id']}/calendar-sources"
    assert platform.post(path, json={"url": OUTLOOK}).status_code == 403
    assert platform.get(path).status_code == 403
    created = admin.post(path, json={"url": OUTLOOK})
    assert created.status_code == 201
    assert created.headers["Location"].endswith(f"{path}/{created.json['id']}")
    assert admin.get(path).json == [created.json]
    assert platform.get(created.headers["Location"]).status_code == 403
    assert admin.get(f"/v1/facilitators/{uuid.uuid4()}/calendar-sources").status_code == 404


# -- removing ---------------------------------------------------------------------------------------


def test_removing_a_calendar_removes_its_busy_time(platform, person, session_factory):
    source = platform.post(sources_path(person), json={"url": OUTLOOK}).json
    one = f"{sources_path(person)}/{source['id']}"
    _store_busy(session_factory, source["id"], person["id"])
    assert platform.delete(one, headers={"If-Match": '"stale"'}).status_code == 412
    assert platform.delete(one, headers={"If-Match": platform.get(one).headers["ETag"]}).status_code == 204
    assert platform.get(one).status_code == 404
    assert platform.get(sources_path(person)).json == []
    assert stored_intervals(session_factory, source["id"]) == []


def _store_busy(session_factory, source_id, person_id, kind="participant") -> None:
    with session_factory.begin() as session:
        session.add(BusyInterval(
            source_id=uuid.UUID(source_id), start=DECEMBER, end=DECEMBER + timedelta(hours=1),
            owner_kind=kind, owner_id=uuid.UUID(person_id),
        ))


# -- fetched by the worker --------------------------------------------------------------------------


LESSONS = [(DECEMBER + timedelta(days=d), DECEMBER + timedelta(days=d, hours=1)) for d in range(3)]


def test_an_added_calendar_is_fetched_by_the_worker_and_only_its_busy_times_kept(
    platform, person, worker, allow_private, session_factory, clock,
):
    with calendar_server() as server:
        url = server.publish("/rooster.ics", Feed(ics(*LESSONS), etag='"v1"'))
        created = platform.post(sources_path(person), json={"url": url})
        worker.drain()
    source = platform.get(created.headers["Location"]).json
    assert source["status"] == "ok" and source["busy_count"] == 3 and source["last_error"] is None
    assert source["last_fetched_at"] == clock.now.isoformat()
    assert stored_intervals(session_factory, source["id"]) == LESSONS
    assert platform.get(created.headers["Location"]).headers["ETag"] != created.headers["ETag"]
    with session_factory() as session:
        row = session.get(CalendarSource, uuid.UUID(source["id"]))
        assert row.feed_etag == '"v1"' and row.lease_owner is None and row.fetch_requested_at is None
        assert row.next_fetch_at == clock.now + timedelta(minutes=360)
        assert session.scalars(select(OutboxMessage.topic)).all() == ["calendar.fetch"]
        # Nothing of what the events were is kept anywhere.
        everything = json.dumps([str(value) for table in (CalendarSource, BusyInterval)
                                 for row in session.execute(select(table.__table__)).all() for value in row])
    assert "Sem" not in everything and "Lokaal" not in everything and "Vertrouwelijk" not in everything


def test_refresh_fetches_again_and_a_304_keeps_the_busy_times(platform, person, worker, allow_private, session_factory, clock):
    with calendar_server() as server:
        url = server.publish("/rooster.ics", Feed(ics(*LESSONS), etag='"v1"'))
        created = platform.post(sources_path(person), json={"url": url})
        worker.drain()
        clock.now += timedelta(minutes=10)
        refreshed = platform.post(created.headers["Location"] + "/refresh")
        assert refreshed.status_code == 202
        assert refreshed.headers["Location"] == created.headers["Location"]
        worker.drain()
        assert server.asked("/rooster.ics")[-1].headers.get("if-none-match") == '"v1"'
    source = platform.get(created.headers["Location"]).json
    assert len(server.asked("/rooster.ics")) == 2
    assert source["status"] == "ok" and source["busy_count"] == 3
    assert source["last_fetched_at"] == clock.now.isoformat()
    assert stored_intervals(session_factory, source["id"]) == LESSONS


def test_a_failed_fetch_says_why_in_words_and_keeps_the_last_good_busy_times(
    platform, person, worker, allow_private, session_factory, clock, caplog,
):
    with calendar_server() as server:
        url = server.publish("/rooster.ics?key=Zx81Secret", Feed(ics(*LESSONS)))
        created = platform.post(sources_path(person), json={"url": url})
        worker.drain()
        server.feeds["/rooster.ics?key=Zx81Secret"] = Feed(b"gone", status=404)
        clock.now += timedelta(minutes=10)
        with caplog.at_level(logging.DEBUG):
            platform.post(created.headers["Location"] + "/refresh")
            worker.drain()
        source = platform.get(created.headers["Location"]).json
        assert source["status"] == "failed"
        assert source["last_error"] == "the calendar server answered 404 Not Found"
        assert source["last_error_code"] == "not-found"
        assert source["busy_count"] == 3 and stored_intervals(session_factory, source["id"]) == LESSONS
        assert source["last_fetched_at"] == (clock.now - timedelta(minutes=10)).isoformat()

        server.feeds["/rooster.ics?key=Zx81Secret"] = Feed(b"BEGIN:VCALENDAR\r\nnonsense")
        platform.post(created.headers["Location"] + "/refresh")
        worker.drain()
        source = platform.get(created.headers["Location"]).json
        assert source["status"] == "failed" and source["last_error"].startswith("the address does not serve a calendar")
        assert source["last_error_code"] == "not-a-calendar"
        assert stored_intervals(session_factory, source["id"]) == LESSONS
    assert "Zx81Secret" not in caplog.text and "rooster.ics" not in caplog.text
    assert str(created.json["id"]) in caplog.text  # the log names the source by its id


def test_a_slow_feed_fails_at_the_time_limit_and_keeps_the_last_good_busy_times(
    platform, person, worker, allow_private, session_factory, clock, monkeypatch,
):
    monkeypatch.setattr(calendar_fetch, "LIMITS", replace(calendar_fetch.LIMITS, seconds=1))
    with calendar_server() as server:
        url = server.publish("/rooster.ics", Feed(ics(*LESSONS)))
        created = platform.post(sources_path(person), json={"url": url})
        worker.drain()
        server.feeds["/rooster.ics"] = Feed(ics(*LESSONS[:1]), drip_seconds=0.1)
        clock.now += timedelta(minutes=10)
        platform.post(created.headers["Location"] + "/refresh")
        worker.drain()
    source = platform.get(created.headers["Location"]).json
    assert source["status"] == "failed"
    assert source["last_error"] == "the calendar server did not send the whole calendar within 30 seconds"
    assert source["last_error_code"] == "too-slow"
    assert source["busy_count"] == 3 and stored_intervals(session_factory, source["id"]) == LESSONS


def test_a_host_that_resolves_to_loopback_by_the_fetch_is_refused_there(
    platform, person, worker, session_factory, monkeypatch,
):
    # Added while the host resolved to a public address; by the fetch it sends the worker home.
    source = platform.post(sources_path(person), json={"url": "https://calendar.example.org/feed.ics"}).json
    monkeypatch.setattr("services.scheduler.calendar_fetch.resolve", lambda host, port: ["127.0.0.1"])
    worker.drain()
    shown = platform.get(f"{sources_path(person)}/{source['id']}").json
    assert shown["status"] == "failed"
    assert shown["last_error"] == f"the address was refused ({NOT_ALLOWED})"
    assert shown["last_error_code"] == "refused-address"


def test_the_sweep_asks_for_a_refresh_once_the_interval_has_passed(platform, person, worker, allow_private, clock, session_factory):
    with calendar_server() as server:
        url = server.publish("/rooster.ics", Feed(ics(*LESSONS), last_modified="Tue, 24 Nov 2026 10:00:00 GMT"))
        created = platform.post(sources_path(person), json={"url": url})
        worker.drain()
        clock.now += timedelta(minutes=359)
        worker._sweeper.sweep()
        worker.drain()
        assert len(server.asked("/rooster.ics")) == 1
        clock.now += timedelta(minutes=2)
        worker._sweeper.sweep()
        worker.drain()
        asked = server.asked("/rooster.ics")
        assert len(asked) == 2 and asked[1].headers["if-modified-since"] == "Tue, 24 Nov 2026 10:00:00 GMT"
    assert platform.get(created.headers["Location"]).json["last_fetched_at"] == clock.now.isoformat()


def test_a_fetch_whose_message_was_lost_is_asked_for_again_by_the_sweep(
    platform, person, worker, allow_private, clock, monkeypatch,
):
    with calendar_server() as server:
        url = server.publish("/rooster.ics", Feed(ics(*LESSONS)))
        with monkeypatch.context() as lost:
            lost.setattr(Actors, "send_calendar_fetches", lambda self, ids: None)
            created = platform.post(sources_path(person), json={"url": url})
            worker.drain()
        assert server.asked("/rooster.ics") == []
        clock.now += timedelta(minutes=4)
        worker._sweeper.sweep()
        worker.drain()
        assert server.asked("/rooster.ics") == []  # not lost yet: a backlog may be in the way
        clock.now += timedelta(minutes=2)
        worker._sweeper.sweep()
        worker.drain()
        assert len(server.asked("/rooster.ics")) == 1
    assert platform.get(created.headers["Location"]).json["status"] == "ok"


def test_a_fetch_message_delivered_twice_fetches_once(platform, person, worker, allow_private, scheduler):
    with calendar_server() as server:
        url = server.publish("/rooster.ics", Feed(ics(*LESSONS)))
        created = platform.post(sources_path(person), json={"url": url})
        worker.drain()
        scheduler.actors.send_calendar_fetches([uuid.UUID(created.json["id"])])
        worker.drain()
        assert len(server.asked("/rooster.ics")) == 1


def test_busy_between_gives_each_persons_busy_time_in_a_window(platform, person, worker, allow_private, session_factory):
    with calendar_server() as server:
        first = server.publish("/a.ics", Feed(ics(LESSONS[0], LESSONS[1])))
        second = server.publish("/b.ics", Feed(ics((LESSONS[1][0] + timedelta(minutes=30), LESSONS[1][1] + timedelta(minutes=30)))))
        platform.post(sources_path(person), json={"url": first})
        platform.post(sources_path(person), json={"url": second})
        worker.drain()
    owner = uuid.UUID(person["id"])
    with session_factory() as session:
        busy = busy_time.busy_between(session, "participant", [owner, uuid.uuid4()], DECEMBER + timedelta(hours=12), DECEMBER + timedelta(days=30))
    assert busy == {owner: [(LESSONS[1][0], LESSONS[1][1] + timedelta(minutes=30))]}


# -- privacy ------------------------------------------------------------------------------------------


def test_the_export_holds_the_calendars_masked_and_their_busy_times(platform, person, worker, allow_private):
    with calendar_server() as server:
        url = server.publish("/rooster.ics?token=Pr1vate", Feed(ics(*LESSONS)))
        source = platform.post(sources_path(person), json={"url": url}).json
        worker.drain()
    response = platform.get(f"/v1/participants/{person['id']}/export")
    export = response.json
    assert [s["id"] for s in export["calendar_sources"]] == [source["id"]]
    assert export["calendar_sources"][0]["url"] == f"{server.base}/…"
    assert export["busy_intervals"] == [
        {"source_id": source["id"], "start": start.isoformat(), "end": end.isoformat()} for start, end in LESSONS
    ]
    assert "Pr1vate" not in response.get_data(as_text=True)


def test_erasure_removes_the_calendars_their_busy_times_and_stored_answers(platform, person, session_factory):
    source = platform.post(sources_path(person), json={"url": OUTLOOK}, headers={"Idempotency-Key": "k1"}).json
    _store_busy(session_factory, source["id"], person["id"])
    assert platform.delete(f"/v1/participants/{person['id']}").status_code == 204
    with session_factory() as session:
        assert session.scalars(select(CalendarSource)).all() == []
        assert session.scalars(select(BusyInterval)).all() == []
        assert session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.resource_id == source["id"])).all() == []


def test_removing_a_facilitator_removes_her_calendars(admin, session_factory):
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator()).json
    source = admin.post(f"/v1/facilitators/{facilitator['id']}/calendar-sources", json={"url": OUTLOOK}).json
    _store_busy(session_factory, source["id"], facilitator["id"], kind="facilitator")
    assert admin.delete(f"/v1/facilitators/{facilitator['id']}").status_code == 204
    with session_factory() as session:
        assert session.scalars(select(CalendarSource)).all() == []
        assert session.scalars(select(BusyInterval)).all() == []
