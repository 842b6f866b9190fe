"""Dramatiq actors, declared on a given broker. They take ids and hand over to :mod:`jobs`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import dramatiq

from services.scheduler import jobs
from services.scheduler.middleware import report
from services.scheduler.runtime import Runtime
from shared.db.models import Invitation, Notice

log = logging.getLogger(__name__)

PLAN_RUN = "plan_run"
PLAN_BATCH = "plan_batch"
DISPATCH = "dispatch_outbox"
DELIVER_INVITATION = "deliver_invitation"
DELIVER_NOTICE = "deliver_notice"
POST_WEBHOOK = "post_webhook"
COMPOSE = "compose_groups"
FETCH_CALENDAR = "fetch_calendar"
SCHEDULING_QUEUE = "scheduling"
OUTBOX_QUEUE = "outbox"
MAIL_QUEUE = "mail"
WEBHOOK_QUEUE = "webhooks"
COMPOSITION_QUEUE = "composition"
CALENDAR_QUEUE = "calendars"


@dataclass(frozen=True)
class Actors:
    plan_run: dramatiq.Actor
    plan_batch: dramatiq.Actor
    dispatch: dramatiq.Actor
    deliver_invitation: dramatiq.Actor
    deliver_notice: dramatiq.Actor
    post_webhook: dramatiq.Actor
    compose_groups: dramatiq.Actor
    fetch_calendar: dramatiq.Actor

    @property
    def queues(self) -> tuple[str, ...]:
        every = (
            self.plan_run, self.plan_batch, self.dispatch, self.deliver_invitation, self.deliver_notice,
            self.post_webhook, self.compose_groups, self.fetch_calendar,
        )
        return tuple(a.queue_name for a in every)

    def request_composition(self, proposal_id: uuid.UUID) -> None:
        self.compose_groups.send(str(proposal_id))

    def request_plan(self, run_id: uuid.UUID) -> None:
        self.plan_run.send(str(run_id))

    def request_batch(self, batch_id: uuid.UUID) -> None:
        self.plan_batch.send(str(batch_id))

    def send_outbox(self, message_ids: Iterable[uuid.UUID]) -> None:
        for message_id in message_ids:
            self.dispatch.send(str(message_id))

    def send_deliveries(self, invitation_ids: Iterable[uuid.UUID]) -> None:
        for invitation_id in invitation_ids:
            self.deliver_invitation.send(str(invitation_id))

    def send_notices(self, notice_ids: Iterable[uuid.UUID]) -> None:
        for notice_id in notice_ids:
            self.deliver_notice.send(str(notice_id))

    def send_webhooks(self, delivery_ids: Iterable[uuid.UUID]) -> None:
        for delivery_id in delivery_ids:
            self.post_webhook.send(str(delivery_id))

    def send_calendar_fetches(self, source_ids: Iterable[uuid.UUID]) -> None:
        for source_id in source_ids:
            self.fetch_calendar.send(str(source_id))

    def send_webhook_later(self, delivery_id: uuid.UUID, when: datetime) -> None:
        delay = max(0, int((when - datetime.now(UTC)).total_seconds() * 1000))
        self.post_webhook.send_with_options(args=(str(delivery_id),), delay=delay)


def declare_actors(broker: dramatiq.Broker, runtime: Runtime, *, namespace: str) -> Actors:
    """Declare the actors on ``broker``; their jobs run with ``runtime``."""
    actors: Actors

    def plan_run(run_id: str) -> None:
        outcome = jobs.plan_run(runtime, uuid.UUID(run_id))
        log.info("scheduling run %s: %s", run_id, outcome)
        report(outcome)

    def plan_batch(batch_id: str) -> None:
        log.info("scheduling batch %s: %s", batch_id, jobs.plan_batch(runtime, uuid.UUID(batch_id)))

    def dispatch_outbox(message_id: str) -> None:
        outcome = jobs.dispatch(
            runtime, uuid.UUID(message_id), actors.send_deliveries, actors.send_webhooks, actors.send_notices,
            actors.send_calendar_fetches,
        )
        log.info("outbox %s: %s", message_id, outcome)

    def compose_groups(proposal_id: str) -> None:
        log.info("group proposal %s: %s", proposal_id, jobs.compose_proposal(runtime, uuid.UUID(proposal_id)))

    def post_webhook(delivery_id: str) -> None:
        outcome = jobs.post_webhook(runtime, uuid.UUID(delivery_id), actors.send_webhook_later)
        log.info("webhook delivery %s: %s", delivery_id, outcome)
        report(outcome)

    def fetch_calendar(source_id: str) -> None:
        outcome = jobs.fetch_calendar(runtime, uuid.UUID(source_id))
        log.info("calendar source %s: %s", source_id, outcome)
        report(outcome)

    def deliver_invitation(invitation_id: str) -> None:
        outcome = jobs.deliver_mail(runtime, Invitation, uuid.UUID(invitation_id))
        log.info("invitation %s: %s", invitation_id, outcome)
        report(outcome)

    def deliver_notice(notice_id: str) -> None:
        outcome = jobs.deliver_mail(runtime, Notice, uuid.UUID(notice_id))
        log.info("notice %s: %s", notice_id, outcome)
        report(outcome)

    def declare(fn, name: str, queue: str, **options) -> dramatiq.Actor:
        return dramatiq.actor(fn, broker=broker, actor_name=name, queue_name=f"{namespace}.{queue}", **options)

    actors = Actors(
        # A worker takes planning before invitations, and invitations before mail (lower first).
        plan_run=declare(plan_run, PLAN_RUN, SCHEDULING_QUEUE, priority=0, max_retries=20, min_backoff=1_000, max_backoff=30_000, time_limit=120_000),
        # A batch solves for a few seconds and writes many plans; its lease is minutes long.
        plan_batch=declare(plan_batch, PLAN_BATCH, SCHEDULING_QUEUE, priority=0, max_retries=20, min_backoff=1_000, max_backoff=30_000, time_limit=150_000),
        dispatch=declare(dispatch_outbox, DISPATCH, OUTBOX_QUEUE, priority=10, max_retries=20, min_backoff=1_000, max_backoff=60_000, time_limit=120_000),
        # Backoff from 5 s growing to 10 min over about an hour of SMTP trouble.
        deliver_invitation=declare(deliver_invitation, DELIVER_INVITATION, MAIL_QUEUE, priority=20, max_retries=10, min_backoff=5_000, max_backoff=600_000, time_limit=60_000),
        deliver_notice=declare(deliver_notice, DELIVER_NOTICE, MAIL_QUEUE, priority=20, max_retries=10, min_backoff=5_000, max_backoff=600_000, time_limit=60_000),
        # Webhook retries are scheduled by the job itself (the database keeps next_attempt_at),
        # so Dramatiq retries only what crashed, quickly.
        post_webhook=declare(post_webhook, POST_WEBHOOK, WEBHOOK_QUEUE, priority=20, max_retries=3, min_backoff=1_000, max_backoff=10_000, time_limit=60_000),
        # The solver stops itself after the request's time limit (20 s by default).
        compose_groups=declare(compose_groups, COMPOSE, COMPOSITION_QUEUE, priority=5, max_retries=5, min_backoff=2_000, max_backoff=60_000, time_limit=150_000),
        # A fetch ends within 30 s and its expansion within 10 s; a retry only follows a fetch of
        # the same source by another worker (asked for again while it ran).
        fetch_calendar=declare(fetch_calendar, FETCH_CALENDAR, CALENDAR_QUEUE, priority=30, max_retries=10, min_backoff=5_000, max_backoff=60_000, time_limit=120_000),
    )
    return actors
