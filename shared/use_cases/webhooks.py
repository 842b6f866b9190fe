"""Webhook endpoints, the events they receive, and the log of each delivery.

An event is recorded in the outbox in the transaction of the change that caused it
(:func:`emit`). The worker fans it out (:func:`fan_out`) to a delivery per interested endpoint
and sends each with retries; every attempt is logged. A platform's endpoints receive only events
about its own participants (and the groups and sessions they are in), and of a session at risk
they are named only the platform's own participants and the facilitator among those who declined;
the organiser's receive all.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session as DbSession

from shared.actor import Actor
from shared.db.models import (
    ApiClient,
    Membership,
    Participant,
    Session,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from shared.domain import webhooks as rules
from shared.errors import InvalidInput, NotFound
from shared.use_cases import outbox
from shared.use_cases.paging import Page, paginate

log = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED, DISABLED = "pending", "delivered", "failed", "disabled"
CLAIM = timedelta(seconds=60)
"""How long a worker holds a delivery it is sending (longer than the 10 s request timeout)."""

Resolver = Callable[[str, int], Iterable[str]]


# -- endpoints -----------------------------------------------------------------------------------


def check_target(url: str, *, allow_private: bool, resolve: Resolver, what: str = "webhook URL") -> list[str]:
    """The addresses ``url`` may be called at; raises InvalidInput when it must not be called.
    ``what`` names the URL in the log (a webhook URL, a calendar address)."""
    problem = rules.url_problem(url, allow_private=allow_private)
    if problem:
        raise InvalidInput.field("url", problem)
    parts = urlsplit(url)
    try:
        addresses = list(dict.fromkeys(resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))))
    except OSError as error:
        problem = f"does not resolve ({error.strerror or error})"
    else:
        problem = rules.resolved_problem(addresses, allow_private=allow_private)
    if problem:
        # The client learns only that the URL is not allowed (rules.NOT_ALLOWED); the log says why.
        log.info("%s refused: %s %s", what, parts.hostname, problem)
        raise InvalidInput.field("url", rules.NOT_ALLOWED)
    return addresses


def create_webhook(
    session: DbSession, actor: Actor, data: dict[str, Any], *, now: datetime, allow_private: bool, resolve: Resolver
) -> Webhook:
    check_target(data["url"], allow_private=allow_private, resolve=resolve)
    webhook = Webhook(client_id=actor.client_id, url=data["url"], events=data.get("events"), created_at=now)
    session.add(webhook)
    session.flush()
    return webhook


def _visible(actor: Actor):
    query = select(Webhook)
    if not actor.is_admin:
        query = query.where(Webhook.client_id == actor.client_id)
    return query


def get_webhook(session: DbSession, actor: Actor, webhook_id: uuid.UUID) -> Webhook:
    webhook = session.scalar(_visible(actor).where(Webhook.id == webhook_id))
    if webhook is None:
        raise NotFound(f"no webhook {webhook_id}")
    return webhook


def list_webhooks(session: DbSession, actor: Actor, page: Page) -> tuple[list[Webhook], int]:
    return paginate(session, _visible(actor).order_by(Webhook.created_at, Webhook.id), page)


def delete_webhook(session: DbSession, actor: Actor, webhook_id: uuid.UUID) -> None:
    session.delete(get_webhook(session, actor, webhook_id))
    session.flush()


# -- events --------------------------------------------------------------------------------------


def emit(session: DbSession, event_type: str, data: dict[str, Any], now: datetime) -> None:
    """Record an event for the webhooks, in the transaction of the change it reports.

    Nothing is recorded while no endpoint is enabled (asked once per transaction): events are
    for the endpoints that exist when the change happens.
    """
    assert event_type in rules.EVENT_TYPES, event_type
    if not _any_endpoint(session):
        return
    outbox.record(session, outbox.WEBHOOK_EVENT, {"type": event_type, "data": data, "timestamp": now.isoformat()}, now)


def _any_endpoint(session: DbSession) -> bool:
    if "webhooks_enabled" not in session.info:
        found = session.scalar(select(Webhook.id).where(Webhook.disabled_at.is_(None)).limit(1))
        session.info["webhooks_enabled"] = found is not None
    return session.info["webhooks_enabled"]


def _clients_concerned(session: DbSession, event_type: str, data: dict[str, Any]) -> set[uuid.UUID]:
    """The platforms an event is about: the owner of the participant it names, or the owners of
    the members of the group it names. An invitation to a facilitator concerns no platform."""
    if "participant_id" in data:
        owner = session.scalar(select(Participant.client_id).where(Participant.id == uuid.UUID(data["participant_id"])))
        if owner is not None:
            return {owner}
        return {uuid.UUID(c) for c in data.get("client_ids", ())}  # an erased participant
    if event_type == "invitation.issued":
        return set()
    group_id = data.get("group_id")
    if group_id is None and "session_id" in data:
        group_id = session.scalar(select(Session.group_id).where(Session.id == uuid.UUID(data["session_id"])))
    if group_id is None:
        return set()
    return set(
        session.scalars(
            select(Participant.client_id)
            .join(Membership, Membership.participant_id == Participant.id)
            .where(Membership.group_id == uuid.UUID(str(group_id)))
        )
    )


def fan_out(session: DbSession, payload: dict[str, Any], now: datetime) -> list[uuid.UUID]:
    """One delivery per enabled endpoint that wants this event and may see it, with the data
    that endpoint may see (see :func:`shared.domain.webhooks.sent_data`)."""
    event_type, data = payload["type"], payload["data"]
    if event_type != "participant.erased" and _names_erased(session, data):
        return []  # recorded before the person was erased: nothing may mention them any more
    concerned = _clients_concerned(session, event_type, data)
    endpoints = session.execute(
        select(Webhook, ApiClient.role)
        .join(ApiClient, ApiClient.id == Webhook.client_id)
        .where(Webhook.disabled_at.is_(None))
        .order_by(Webhook.created_at)
    ).all()
    created = []
    for webhook, role in endpoints:
        if webhook.events is not None and event_type not in webhook.events:
            continue
        if role != "admin" and webhook.client_id not in concerned:
            continue
        delivery = WebhookDelivery(
            id=uuid.uuid4(), webhook_id=webhook.id, event_type=event_type,
            payload={"type": event_type, "timestamp": payload["timestamp"], "data": rules.sent_data(
                event_type, data, None if role == "admin" else str(webhook.client_id),
            )},
            subject_id=uuid.UUID(data["participant_id"]) if "participant_id" in data else None,
            created_at=now, state=PENDING, next_attempt_at=now,
        )
        session.add(delivery)
        created.append(delivery.id)
    return created


def _names_erased(session: DbSession, data: dict[str, Any]) -> bool:
    return "participant_id" in data and session.get(Participant, uuid.UUID(data["participant_id"])) is None


ROUTING_KEYS = frozenset({"client_ids", "owners"})
"""Keys of an event's recorded data that say whom it concerns and are never sent."""


def public_data(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data without the keys that only routed it (kept once it is fanned out)."""
    return {key: value for key, value in data.items() if key not in ROUTING_KEYS}


# -- delivering ----------------------------------------------------------------------------------


def claim(session: DbSession, delivery_id: uuid.UUID, now: datetime) -> WebhookDelivery | None:
    """Take a due delivery so that no other worker sends it at the same time."""
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.state == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.get(WebhookDelivery, delivery_id)


def record_attempt(
    session: DbSession,
    delivery_id: uuid.UUID,
    *,
    status: int | None,
    error: str | None,
    duration_ms: int,
    now: datetime,
    jitter: float | None = None,
) -> rules.Verdict:
    delivery = session.get(WebhookDelivery, delivery_id)
    webhook = session.get(Webhook, delivery.webhook_id)
    delivery.attempt_log.append(
        WebhookAttempt(attempted_at=now, status_code=status, error=(error or "")[:500] or None, duration_ms=duration_ms)
    )
    delivery.attempts += 1
    delivery.last_status = status
    delivery.claimed_until = None
    first = delivery.attempt_log[0].attempted_at
    verdict = rules.judge(
        status=status, attempts=delivery.attempts, first_attempt_at=first, now=now,
        jitter=random.random() if jitter is None else jitter,
    )
    if verdict.state == "delivered":
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = DELIVERED, now, None
        webhook.failing_since = None
    elif verdict.state == "retry":
        delivery.next_attempt_at = verdict.next_attempt_at
        webhook.failing_since = webhook.failing_since or first
    else:
        delivery.state, delivery.next_attempt_at = (DISABLED if verdict.state == "disabled" else FAILED), None
        disable(session, webhook, verdict.disable_reason, now)
    return verdict


def disable(session: DbSession, webhook: Webhook, reason: str, now: datetime) -> None:
    """Stop sending to an endpoint; its undelivered events are kept, marked disabled."""
    webhook.disabled_at, webhook.disabled_reason = now, reason
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id, WebhookDelivery.state == PENDING)
        .values(state=DISABLED, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )


def due(session: DbSession, now: datetime) -> list[tuple[uuid.UUID, datetime]]:
    """Deliveries to send now or later: ``(id, when)``; the sweep sends those whose time came."""
    return list(
        session.execute(
            select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
            .where(
                WebhookDelivery.state == PENDING,
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(1000)
        ).all()
    )


def list_deliveries(
    session: DbSession, actor: Actor, webhook_id: uuid.UUID, page: Page
) -> tuple[list[WebhookDelivery], int]:
    get_webhook(session, actor, webhook_id)
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    return paginate(session, query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id), page)


def redeliver(
    session: DbSession, actor: Actor, webhook_id: uuid.UUID, delivery_id: uuid.UUID, now: datetime
) -> WebhookDelivery:
    """Send an event again, now (also one already delivered or given up on)."""
    webhook = get_webhook(session, actor, webhook_id)
    delivery = session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook.id)
    )
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id} for webhook {webhook_id}")
    delivery.state, delivery.next_attempt_at, delivery.claimed_until = PENDING, now, None
    if webhook.disabled_at is not None:  # redelivering is how an organiser re-enables an endpoint
        webhook.disabled_at = webhook.disabled_reason = None
    session.flush()
    return delivery


def invitation_events(session: DbSession, invitations: Iterable, now: datetime) -> None:
    """An ``invitation.issued`` event for each invitation (anything with its ``id``,
    ``session_id``, ``recipient_kind`` and ``recipient_id``) when an endpoint is enabled."""
    invitations = list(invitations)
    if not invitations or not _any_endpoint(session):
        return
    participants = {i.recipient_id for i in invitations if i.recipient_kind == "participant" and i.recipient_id}
    present = set(session.scalars(select(Participant.id).where(Participant.id.in_(participants)))) if participants else set()
    for invitation in invitations:
        if invitation.recipient_kind == "participant" and invitation.recipient_id not in present:
            continue  # a CANCEL to someone erased: no event may name them
        data = {"invitation_id": str(invitation.id), "session_id": str(invitation.session_id)}
        if invitation.recipient_kind == "participant" and invitation.recipient_id is not None:
            data["participant_id"] = str(invitation.recipient_id)
        emit(session, "invitation.issued", data, now)


def participant_data(participant: Participant, **ids: uuid.UUID) -> dict[str, Any]:
    """Event data about a participant; ``client_ids`` routes it even after the person is erased
    (it is never sent)."""
    return {"participant_id": str(participant.id), **{k: str(v) for k, v in ids.items()}, "client_ids": [str(participant.client_id)]}


def forget_subject(session: DbSession, participant_id: uuid.UUID) -> None:
    """Delivery logs of events about an erased person go (the erasure event itself stays)."""
    session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.subject_id == participant_id, WebhookDelivery.event_type != "participant.erased"
        )
    )


def purge_log(session: DbSession, now: datetime, *, older_than: timedelta) -> int:
    """Finished deliveries (delivered, failed, disabled) are kept for ``older_than``, then purged."""
    return session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.state != PENDING, WebhookDelivery.created_at < now - older_than)
    ).rowcount
