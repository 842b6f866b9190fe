"""What the actors do, one function per job. Each owns its transactions.

A job receives ids, loads what it needs, calls the pure domain outside any transaction where it
can, and writes the outcome in one transaction. Running a job twice for the same id changes
nothing the second time.
"""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from services.scheduler import calendar_fetch, smtp, webhook_http
from services.scheduler.runtime import Runtime
from services.telemetry import REQUEST_ID
from shared.db.models import GroupProposal, Invitation, Notice, OutboxMessage, SchedulingBatch, SchedulingRun, Webhook
from shared.domain import busy_times
from shared.domain import calendar_sources as calendar_rules
from shared.domain import webhooks as webhook_rules
from shared.domain.cohort import plan_cohort
from shared.domain.composition import compose
from shared.domain.planning import find_plan
from shared.use_cases import (
    batches,
    calendar_sources,
    idempotency,
    invitations,
    leases,
    notices,
    outbox,
    privacy,
    proposals,
    reminders,
    scheduling,
    webhooks,
)
from shared.use_cases import deliveries as mail_deliveries

log = logging.getLogger(__name__)


PROPOSAL_LEASE = timedelta(minutes=3)
"""Longer than the solver's time limit, so that a live worker keeps its proposal."""
UNEXPECTED_FAILURE = "an unexpected error stopped the work; it is logged under this id, and asking again may succeed"
"""What a run, batch or proposal says when the work raised: never the exception's own text,
which may hold internals (the log has it)."""


class RunHeldElsewhere(Exception):
    """Another worker holds the run's lease; retry after it may have expired."""


class DeliveryDeferred(Exception):
    """The SMTP server did not take the message this time; Dramatiq retries with backoff."""


def plan_run(runtime: Runtime, run_id: uuid.UUID) -> str:
    """Plan one scheduling run. Returns what happened, for logs and tests."""
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        lease = timedelta(seconds=runtime.settings.run_lease_seconds)
        claimed = scheduling.claim_run(session, run_id, runtime.name, now, lease)
        state = scheduling.run_state(session, run_id, runtime.name, now)
    if not claimed:
        if state.held_by_other:
            raise RunHeldElsewhere(f"run {run_id} is being planned by another worker")
        return f"skipped: run is {state.status or 'gone'}"
    if state.attempts > scheduling.MAX_ATTEMPTS:
        with runtime.session_factory.begin() as session:
            scheduling.fail_run(session, run_id, runtime.name, f"gave up after {scheduling.MAX_ATTEMPTS} attempts", now)
        return "failed: too many attempts"
    try:
        with runtime.session_factory() as session:
            request = scheduling.load_run_input(session, run_id, now)
        result = find_plan(request)
    except Exception:  # noqa: BLE001 - the input cannot be planned; say so on the run
        log.exception("scheduling run %s failed", run_id)
        with runtime.session_factory.begin() as session:
            scheduling.fail_run(session, run_id, runtime.name, UNEXPECTED_FAILURE, runtime.clock())
        return "failed"
    with runtime.transaction() as session:
        changes = scheduling.record_result(session, run_id, runtime.name, result, runtime.clock())
    if changes is None:
        return "skipped: lease lost before the result was written"
    return type(result).__name__.lower()


def plan_batch(runtime: Runtime, batch_id: uuid.UUID) -> str:
    """Plan the groups of one scheduling batch together. Returns what happened."""
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        claimed = batches.claim(session, batch_id, runtime.name, now)
        state = batches.state(session, batch_id, runtime.name, now)
    if not claimed:
        if state.held_by_other:
            raise RunHeldElsewhere(f"batch {batch_id} is being planned by another worker")
        return f"skipped: batch is {state.status or 'gone'}"
    if state.attempts > scheduling.MAX_ATTEMPTS:
        with runtime.session_factory.begin() as session:
            batches.fail(session, batch_id, runtime.name, f"gave up after {scheduling.MAX_ATTEMPTS} attempts", now)
        return "failed: too many attempts"
    try:
        with runtime.session_factory() as session:
            groups = batches.load_input(session, batch_id, now)
        result = plan_cohort(groups, progress=_progress_of(runtime, batch_id))
    except Exception:  # noqa: BLE001 - the input cannot be planned; say so on the runs
        log.exception("scheduling batch %s failed", batch_id)
        with runtime.session_factory.begin() as session:
            batches.fail(session, batch_id, runtime.name, UNEXPECTED_FAILURE, runtime.clock())
        return "failed"
    with runtime.transaction() as session:
        written = batches.record(session, batch_id, runtime.name, result, [group.key for group in groups], runtime.clock())
    if not written:
        return "skipped: lease lost before the result was written"
    return f"finished: {result.planned} of {len(groups)} planned (optimal: {result.optimal})"


PROGRESS_EVERY_SECONDS = 1.0


def _progress_of(runtime: Runtime, batch_id: uuid.UUID):
    """A batch's progress reporter: at most once a second (and when every group has a plan), in
    a short transaction of its own, renewing the lease. The outcome's record sets the final figure."""
    last = [0.0]

    def report(planned: int, total: int) -> None:
        moment = time.monotonic()
        if moment - last[0] < PROGRESS_EVERY_SECONDS and planned < total:
            return
        last[0] = moment
        with runtime.session_factory.begin() as session:
            batches.report_progress(session, batch_id, runtime.name, planned, total, runtime.clock())

    return report


def compose_proposal(runtime: Runtime, proposal_id: uuid.UUID) -> str:
    """Compose the groups of one proposal (the solver's time is bounded by the request)."""
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        claimed = leases.claim(session, GroupProposal, proposal_id, runtime.name, now, PROPOSAL_LEASE)
        state = leases.state(session, GroupProposal, proposal_id, runtime.name, now)
    if not claimed:
        if state.held_by_other:
            raise RunHeldElsewhere(f"proposal {proposal_id} is being composed by another worker")
        return f"skipped: proposal is {state.status or 'gone'}"
    try:
        with runtime.session_factory() as session:
            request = proposals.composition_request(session, proposal_id, now)
        composition = compose(request)
    except Exception:  # noqa: BLE001 - say on the proposal that it failed
        log.exception("group proposal %s failed", proposal_id)
        with runtime.session_factory.begin() as session:
            leases.fail(session, GroupProposal, proposal_id, runtime.name, UNEXPECTED_FAILURE, runtime.clock())
        return "failed"
    with runtime.session_factory.begin() as session:
        stored = proposals.record_composition(session, proposal_id, runtime.name, composition, request.session_minutes, runtime.clock())
    return "succeeded" if stored else "skipped: lease lost before the result was written"


def dispatch(
    runtime: Runtime,
    message_id: uuid.UUID,
    deliver: Callable[[list[uuid.UUID]], None],
    post: Callable[[list[uuid.UUID]], None],
    notify: Callable[[list[uuid.UUID]], None],
    fetch: Callable[[list[uuid.UUID]], None] | None = None,
) -> str:
    """Do the work an outbox message stands for: issue the invitations a change implies, the
    alarm about a session at risk, fan a webhook event out to the endpoints that want it, or
    have a calendar source fetched. ``deliver`` mails invitations, ``notify`` notices, ``post``
    sends webhook deliveries and ``fetch`` fetches calendar sources, after the commit (without
    ``fetch``, a source asked for waits for the sweep to send it)."""
    now = runtime.clock()
    with runtime.transaction() as session:
        message = outbox.claim(session, message_id, now)
        if message is None:
            return "skipped: already dispatched"
        issued, alarms, deliveries, sources = [], [], [], []
        if message.topic == outbox.CALENDAR_FETCH:
            sources = calendar_sources.source_ids(message.payload)
        elif message.topic == outbox.WEBHOOK_EVENT:
            deliveries = webhooks.fan_out(session, message.payload, now)
            message.payload = {**message.payload, "data": webhooks.public_data(message.payload["data"])}
        elif message.topic in (outbox.SESSIONS_CHANGED, outbox.SESSION_CHANGED):
            issued = invitations.issue_for_session_changes(
                session, outbox.session_changes(message),
                now=now, programme=runtime.programme, mail=runtime.mails, links=runtime.answer_links,
            )
        elif message.topic == outbox.AT_RISK:
            alarms = notices.issue_at_risk(
                session, uuid.UUID(message.payload["session_id"]), message.id,
                now=now, programme=runtime.programme, mail=runtime.mails,
            )
        elif message.topic == outbox.MEMBERSHIP_CHANGED:
            issued = invitations.issue_for_membership(
                session, message.payload, now=now, programme=runtime.programme, mail=runtime.mails,
                links=runtime.answer_links,
            )
            # The invitations now hold what is needed to write to the person; the outbox need not.
            message.payload = {k: v for k, v in message.payload.items() if k in {"group_id", "participant_id", "change"}}
            if not runtime.mails:  # nothing left to send to someone erased: forget them here too
                privacy.forget_invitations_of_erased(session, uuid.UUID(message.payload["participant_id"]))
        else:
            raise ValueError(f"unknown outbox topic {message.topic!r}")
        webhooks.invitation_events(session, issued, now)
        pending = [i.id for i in issued if i.delivery_state == mail_deliveries.PENDING]
        pending_notices = [n.id for n in alarms if n.delivery_state == mail_deliveries.PENDING]
    if pending:
        deliver(pending)
    if pending_notices:
        notify(pending_notices)
    if deliveries:
        post(deliveries)
    if sources and fetch is not None:
        fetch(sources)
    if sources:
        return f"asked for {len(sources)} calendar fetch(es)"
    return f"issued {len(issued)} invitation(s), {len(alarms)} notice(s), {len(deliveries)} webhook delivery(ies)"


def fetch_calendar(runtime: Runtime, source_id: uuid.UUID) -> str:
    """Fetch one calendar source and store the busy time it holds: claimed with a lease, fetched
    and expanded outside any transaction, written in one that first checks the lease is still
    this worker's. Returns what happened, in words without the address."""
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        claimed = calendar_sources.claim(session, source_id, runtime.name, now)
        if not claimed:
            if calendar_sources.held_elsewhere(session, source_id, runtime.name, now):
                raise RunHeldElsewhere(f"calendar source {source_id} is being fetched by another worker")
            return "skipped: no fetch asked for, or the source is gone"
        order = calendar_sources.fetch_order(session, source_id, runtime.settings.secret())
    intervals: list[busy_times.Interval] | None = None
    if isinstance(order, calendar_rules.Failed):
        outcome: calendar_rules.Fetched | calendar_rules.Unchanged | calendar_rules.Failed = order
    else:
        window_start, window_end = busy_times.horizon(now)
        try:
            if order.caldav is not None:
                outcome = calendar_fetch.free_busy(
                    order.url, username=order.caldav.username, password=order.caldav.password,
                    start=window_start, end=window_end, allow_private=runtime.settings.calendar_allow_private,
                )
            else:
                outcome = calendar_fetch.fetch(
                    order.url, etag=order.etag, last_modified=order.last_modified,
                    allow_private=runtime.settings.calendar_allow_private,
                )
            if isinstance(outcome, calendar_rules.Fetched):
                intervals = busy_times.busy_intervals(
                    outcome.body, window_start=window_start, window_end=window_end, default_timezone=order.timezone,
                )
        except busy_times.FeedError as error:
            outcome, intervals = calendar_rules.not_a_calendar(error.reason), None
        except Exception:  # noqa: BLE001 - say on the source that it failed; the log has why
            log.exception("calendar source %s: the fetch failed unexpectedly", source_id)
            outcome, intervals = calendar_rules.UNEXPECTED, None
    # The transaction's outbox sends the alarms of sessions the new busy times put at risk.
    with runtime.transaction() as session:
        written = calendar_sources.record_fetch(
            session, source_id, runtime.name, outcome, [(i.start, i.end) for i in intervals or ()],
            now=runtime.clock(), refresh=timedelta(minutes=runtime.settings.calendar_refresh_minutes),
        )
    if not written:
        return "skipped: lease lost before the result was written"
    if isinstance(outcome, calendar_rules.Failed):
        return f"failed: {outcome.reason}"
    if isinstance(outcome, calendar_rules.Unchanged):
        return "unchanged (304)"
    return f"fetched: {len(intervals or ())} busy interval(s)"


def request_due_calendars(runtime: Runtime, fetch: Callable[[list[uuid.UUID]], None]) -> int:
    """Ask for the calendar sources whose refresh is due (and those whose asked-for fetch lost its
    message) to be fetched; of several workers sweeping at once, each source is sent by one."""
    lost_after = max(calendar_rules.LOST_AFTER, timedelta(seconds=runtime.settings.sweep_seconds))
    with runtime.session_factory.begin() as session:
        due = calendar_sources.request_due(session, runtime.clock(), lost_after=lost_after)
    if due:
        fetch(due)
        log.info("asked for %d calendar fetch(es)", len(due))
    return len(due)


def post_webhook(runtime: Runtime, delivery_id: uuid.UUID, later: Callable[[uuid.UUID, datetime], None]) -> str:
    """Send one webhook delivery; schedule the next attempt with ``later`` when it must be retried."""
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        delivery = webhooks.claim(session, delivery_id, now)
        if delivery is None:
            return "skipped: not due or not pending"
        webhook = session.get(Webhook, delivery.webhook_id)
        url, message_id = webhook.url, str(delivery.id)
        body = webhook_rules.event_body(delivery.event_type, datetime.fromisoformat(delivery.payload["timestamp"]), delivery.payload["data"])
        secret = webhook_rules.derive_secret(runtime.settings.secret(), str(webhook.id))
    outcome = webhook_http.post(
        url, body, webhook_rules.signed_headers(secret, message_id, now, body),
        allow_private=runtime.settings.webhook_allow_private,
    )
    with runtime.session_factory.begin() as session:
        verdict = webhooks.record_attempt(
            session, delivery_id, status=outcome.status, error=outcome.error,
            duration_ms=outcome.duration_ms, now=runtime.clock(),
        )
    if verdict.state == "retry":
        later(delivery_id, verdict.next_attempt_at)
    return verdict.state


def deliver_mail(runtime: Runtime, model: type, delivery_id: uuid.UUID) -> str:
    """Mail one invitation or notice. Raises :class:`DeliveryDeferred` so that Dramatiq retries
    with backoff."""
    build = invitations.email_for if model is Invitation else notices.email_for
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        if not mail_deliveries.claim(session, model, delivery_id, now, sending_timeout=runtime.sending_timeout):
            state = session.get(model, delivery_id)
            return f"skipped: delivery is {state.delivery_state if state else 'gone'}"
        message = build(session, delivery_id, runtime.programme, now, runtime.answer_links)
    error, permanent = None, False
    try:
        smtp.send(runtime.settings.smtp_url, message)
    except smtplib.SMTPResponseException as failure:
        error, permanent = f"{failure.smtp_code} {failure.smtp_error!r}", failure.smtp_code >= 500
    except (smtplib.SMTPException, OSError) as failure:
        error = f"{type(failure).__name__}: {failure}"
    with runtime.session_factory.begin() as session:
        state = mail_deliveries.record(session, model, delivery_id, now=runtime.clock(), error=error, permanent=permanent)
        recipient = session.get(model, delivery_id)
        if (model is Invitation and state != mail_deliveries.PENDING
                and recipient.recipient_kind == "participant" and recipient.recipient_id):
            privacy.forget_invitations_of_erased(session, recipient.recipient_id)
    if state == mail_deliveries.PENDING:
        raise DeliveryDeferred(f"{model.__tablename__} {delivery_id}: {error}")
    return state


@contextmanager
def on_behalf_of(request_id: str | None) -> Iterator[None]:
    """Messages sent in the block carry ``request_id`` (services.scheduler.middleware.RequestIds)."""
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


def resume_lost_work(
    runtime: Runtime,
    plan: Callable[[uuid.UUID], None],
    dispatch_ids: Callable[[list[uuid.UUID]], None],
    deliver: Callable[[list[uuid.UUID]], None],
    post: Callable[[list[uuid.UUID]], None],
    compose_later: Callable[[uuid.UUID], None],
    plan_together: Callable[[uuid.UUID], None],
    notify: Callable[[list[uuid.UUID]], None],
) -> int:
    """Send again what may have lost its message: runs, proposals, outbox rows, mails, webhooks;
    runs, batches, proposals and outbox rows under the id of the request that recorded them.

    The database is the source of truth; this runs at worker start and every sweep interval.
    """
    now = runtime.clock()
    quiet = timedelta(seconds=runtime.settings.sweep_seconds)
    with runtime.session_factory() as session:
        run_ids = scheduling.runs_to_resume(session, now, queued_for=quiet)
        batch_ids = batches.batches_to_resume(session, now, queued_for=quiet)
        proposal_ids = proposals.proposals_to_resume(session, now, queued_for=quiet)
        message_ids = outbox.undispatched(session, now, older_than=quiet)
        delivery_ids, notice_ids = [], []
        if runtime.mails:
            delivery_ids = mail_deliveries.to_resume(session, Invitation, now, older_than=quiet, sending_timeout=runtime.sending_timeout)
            notice_ids = mail_deliveries.to_resume(session, Notice, now, older_than=quiet, sending_timeout=runtime.sending_timeout)
        webhook_ids = [delivery_id for delivery_id, _ in webhooks.due(session, now - quiet)]
        # The requests that asked for the work: each is sent again under its request's id.
        asked = {
            **leases.request_ids(session, SchedulingRun, run_ids),
            **leases.request_ids(session, SchedulingBatch, batch_ids),
            **leases.request_ids(session, GroupProposal, proposal_ids),
        }
        message_requests = leases.request_ids(session, OutboxMessage, message_ids)
    for ids, send in ((run_ids, plan), (batch_ids, plan_together), (proposal_ids, compose_later)):
        for job_id in ids:
            with on_behalf_of(asked.get(job_id)):
                send(job_id)
    by_request: dict[str | None, list[uuid.UUID]] = {}
    for message_id in message_ids:  # in the order they were recorded, within each request
        by_request.setdefault(message_requests.get(message_id), []).append(message_id)
    for request_id, ids in by_request.items():
        with on_behalf_of(request_id):
            dispatch_ids(ids)
    if delivery_ids:
        deliver(delivery_ids)
    if notice_ids:
        notify(notice_ids)
    if webhook_ids:
        post(webhook_ids)
    found = len(run_ids) + len(batch_ids) + len(proposal_ids) + len(message_ids) + len(delivery_ids) + len(notice_ids) + len(webhook_ids)
    if found:
        log.info(
            "re-sent %d run(s), %d batch(es), %d proposal(s), %d outbox message(s), %d invitation mail(s), "
            "%d notice(s), %d webhook(s)",
            len(run_ids), len(batch_ids), len(proposal_ids), len(message_ids), len(delivery_ids), len(notice_ids),
            len(webhook_ids),
        )
    return found


def send_reminders(runtime: Runtime, notify: Callable[[list[uuid.UUID]], None]) -> int:
    """Issue the reminders that are due (once each, whichever worker gets there first) and
    hand them to the mail actor after the commit."""
    with runtime.session_factory.begin() as session:
        issued = reminders.issue_due(
            session, runtime.clock(), hours=runtime.settings.reminder_hours, programme=runtime.programme,
            links=runtime.answer_links, mail=runtime.mails,
        )
        pending = [notice.id for notice in issued if notice.delivery_state == mail_deliveries.PENDING]
    if pending:
        notify(pending)
    if issued:
        log.info("issued %d reminder(s)", len(issued))
    return len(issued)


def purge_expired(runtime: Runtime) -> dict[str, int]:
    """Forget what is kept only for a while: idempotency records (24 h), finished webhook
    deliveries with their attempts, and dispatched outbox rows (both after the retention)."""
    now = runtime.clock()
    keep = timedelta(days=runtime.settings.log_retention_days)
    with runtime.session_factory.begin() as session:
        purged = {
            "idempotency_keys": idempotency.purge(session, now),
            "webhook_deliveries": webhooks.purge_log(session, now, older_than=keep),
            "outbox": outbox.purge(session, now, older_than=keep),
        }
    if any(purged.values()):
        log.info("purged %s", purged)
    return purged
