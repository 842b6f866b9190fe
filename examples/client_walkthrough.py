"""The README walkthrough, written against a client generated from openapi.yaml.

Generate the client, then run this with a running service and an admin key:

    openapi-python-client generate --path openapi.yaml --config examples/openapi-python-client.yaml \
        --meta none --output-path intervisie_client
    INTERVISIE_URL=http://127.0.0.1:8000 INTERVISIE_KEY=ivk_… python examples/client_walkthrough.py

It creates a facilitator, participants and a group, asks for a plan and polls it, reads the
sessions page by page and a participant's feed, and shows a 422, a 409 and a 412, an
``Idempotency-Key`` replay and an ``If-Match`` update. The last line it prints is a JSON summary.
tests/integration/test_generated_clients.py runs it against ``intervisie serve`` and checks it
with ``mypy --strict``.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import date, timedelta
from http import HTTPStatus
from typing import TypeVar

from intervisie_client import AuthenticatedClient, Client
from intervisie_client.api.calendar_feeds import get_calendar_feed
from intervisie_client.api.facilitators import create_facilitator
from intervisie_client.api.feeds import get_participant_feed
from intervisie_client.api.groups import add_group_member, create_group
from intervisie_client.api.participants import create_participant, get_participant, update_participant
from intervisie_client.api.scheduling_runs import get_scheduling_run, request_scheduling_run
from intervisie_client.api.sessions import list_group_sessions
from intervisie_client.models import (
    AvailabilityInput,
    ConstraintsInput,
    FacilitatorInput,
    GroupInput,
    PaginationMetadata,
    ParticipantInput,
    ParticipantPatch,
    Problem,
    RunStatus,
    Session,
    UnavailableInput,
    Weekday,
    WeeklyWindow,
)
from intervisie_client.types import File, Response

T = TypeVar("T")
TUESDAY_EVENING = [WeeklyWindow(day=Weekday.TUE, start="19:00", end="21:30")]


def expect(response: Response[T | Problem], status: HTTPStatus) -> T:
    """The answer's model, or an error that shows what came instead."""
    parsed = response.parsed
    if response.status_code != status or parsed is None or isinstance(parsed, Problem):
        raise RuntimeError(f"expected {status}, got {response.status_code}: {response.content.decode()}")
    return parsed


def problem(response: Response[T | Problem], status: HTTPStatus) -> Problem:
    """The problem document (RFC 9457) of an answer that must be an error."""
    if response.status_code != status or not isinstance(response.parsed, Problem):
        raise RuntimeError(f"expected a {status} problem, got {response.status_code}: {response.content.decode()}")
    return response.parsed


def walk(base_url: str, key: str) -> dict[str, object]:
    client = AuthenticatedClient(base_url=base_url, token=key, raise_on_unexpected_status=True)
    starts_on = date.today() + timedelta(days=30)

    # A facilitator, created with an Idempotency-Key: the retry gets the same answer, marked.
    idempotency_key = str(uuid.uuid4())
    body = FacilitatorInput(
        name="Fien Jansen", email="fien@example.org", availability=AvailabilityInput(weekly=TUESDAY_EVENING),
    )
    facilitator = expect(create_facilitator.sync_detailed(client=client, body=body, idempotency_key=idempotency_key), HTTPStatus.CREATED)
    retry = create_facilitator.sync_detailed(client=client, body=body, idempotency_key=idempotency_key)
    replayed = expect(retry, HTTPStatus.CREATED).id == facilitator.id and retry.headers.get("Idempotent-Replayed") == "true"

    participants = [
        expect(create_participant.sync_detailed(client=client, body=ParticipantInput(
            name=f"Deelnemer {n}", email=f"deelnemer{n}@school{n}.example.org", organization=f"School {n}",
            role="intern_begeleider", themes=["ouderbetrokkenheid"], external_ref=f"walkthrough-{n}",
            availability=AvailabilityInput(
                weekly=TUESDAY_EVENING,
                unavailable=[UnavailableInput(start=(starts_on + timedelta(days=60)).isoformat(),
                                              end=(starts_on + timedelta(days=64)).isoformat(), note="studiereis")],
            ),
        )), HTTPStatus.CREATED)
        for n in range(1, 5)
    ]

    # What a client sees when it gets something wrong: 422 names each field, 409 the clash.
    invalid = problem(create_participant.sync_detailed(client=client, body=ParticipantInput(
        name="X", email="not-an-address", organization="S", role="leerkracht", timezone="Europe/Amsterdm",
    )), HTTPStatus.UNPROCESSABLE_ENTITY)
    clash = problem(create_participant.sync_detailed(client=client, body=ParticipantInput(
        name="Dubbel", email="dubbel@example.org", organization="S", role="leerkracht", external_ref="walkthrough-1",
    )), HTTPStatus.CONFLICT)

    group = expect(create_group.sync_detailed(client=client, body=GroupInput(
        name="IB-groep Utrecht 1", starts_on=starts_on, facilitator_id=facilitator.id, theme="ouderbetrokkenheid",
        constraints=ConstraintsInput(weekdays=[Weekday.TUE, Weekday.THU], earliest="18:00", latest="22:00"),
    )), HTTPStatus.CREATED)
    for participant in participants:
        expect(add_group_member.sync_detailed(group.id, participant.id, client=client), HTTPStatus.OK)

    # A plan is a job: 202 with the run, then poll it as Retry-After says.
    run = expect(request_scheduling_run.sync_detailed(group.id, client=client), HTTPStatus.ACCEPTED)
    deadline = time.monotonic() + 60
    while run.status in (RunStatus.QUEUED, RunStatus.RUNNING) and time.monotonic() < deadline:
        polled = get_scheduling_run.sync_detailed(run.id, client=client)
        run = expect(polled, HTTPStatus.OK)
        time.sleep(float(polled.headers.get("Retry-After", "1")) if run.status in (RunStatus.QUEUED, RunStatus.RUNNING) else 0)
    if run.plan is None:
        raise RuntimeError(f"the run ended {run.status.value} without a plan: {run.diagnostics or run.error}")

    # Sessions page by page: X-Pagination holds a JSON PaginationMetadata.
    sessions: list[Session] = []
    page: int | None = 1
    pages = 0
    while page is not None:
        listed = list_group_sessions.sync_detailed(group.id, client=client, page=page, page_size=4)
        found = expect(listed, HTTPStatus.OK)
        sessions.extend(found)
        pagination = PaginationMetadata.from_dict(json.loads(listed.headers["X-Pagination"]))
        page = pagination.next_page if isinstance(pagination.next_page, int) else None
        pages += 1

    # A participant's feed: the URL to subscribe to, and the calendar behind it (no key needed).
    feed = expect(get_participant_feed.sync_detailed(participants[0].id, client=client), HTTPStatus.OK)
    token = feed.url.rsplit("/", 1)[-1].removesuffix(".ics")
    calendar = get_calendar_feed.sync_detailed(token, client=Client(base_url=base_url)).parsed
    if not isinstance(calendar, File):
        raise RuntimeError(f"the feed at {feed.url} is not a calendar")
    events = calendar.payload.read().count(b"BEGIN:VEVENT")

    # If-Match: a write with the ETag you read succeeds; with an older one it is 412.
    read = get_participant.sync_detailed(participants[1].id, client=client)
    etag = read.headers["ETag"]
    changed = update_participant.sync_detailed(
        participants[1].id, client=client, body=ParticipantPatch(organization="OBS De Regenboog"), if_match=etag,
    )
    updated = expect(changed, HTTPStatus.OK)
    stale = problem(update_participant.sync_detailed(
        participants[1].id, client=client, body=ParticipantPatch(organization="Elders"), if_match=etag,
    ), HTTPStatus.PRECONDITION_FAILED)

    return {
        "facilitator_id": str(facilitator.id),
        "participant_ids": [str(p.id) for p in participants],
        "group_id": str(group.id),
        "idempotent_replay": replayed,
        "invalid_fields": [e.field for e in invalid.errors] if isinstance(invalid.errors, list) else [],
        "conflict": clash.type_,
        "run_status": run.status.value,
        "slot": run.plan.slot.description if run.plan.slot else None,
        "planned_session_ids": [str(s.id) for s in run.plan.sessions],
        "session_ids": [str(s.id) for s in sessions],
        "session_pages": pages,
        "feed_url": feed.url,
        "feed_events": events,
        "organization": updated.organization,
        "etag_changed": changed.headers["ETag"] != etag,
        "stale_write": stale.type_,
    }


if __name__ == "__main__":
    print(json.dumps(walk(os.environ.get("INTERVISIE_URL", "http://127.0.0.1:8000"), os.environ["INTERVISIE_KEY"])))
