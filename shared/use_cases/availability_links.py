"""Availability links: a participant's own link to fill in their week on a page.

A platform or the organiser asks for a link (``create``) and hands it to the participant. The
token is 256 random bits in URL-safe base64; the database keeps only its SHA-256, the
participant and when it expires, so a link cannot be shown again — ask for a new one. A link
is dead (``resolve`` answers None) once it has expired, was revoked (``revoke`` removes every
link of the participant), was pushed out by newer ones (a participant keeps at most
:data:`MAX_LIVE`: asking for another revokes the oldest) or its participant is erased.

The page's form carries a CSRF field derived from the token with the service's secret key:
only a page served for that link can post to it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from shared.actor import Actor
from shared.db.models import AvailabilityLink, Participant
from shared.use_cases import people

PATH = "/availability/"
DEFAULT_DAYS = 30
MAX_DAYS = 90
MAX_LIVE = 5
"""Live links a participant keeps; a new one revokes the oldest beyond these."""


@dataclass(frozen=True)
class Issued:
    url: str
    expires_at: datetime


def create(
    session: DbSession, actor: Actor, participant_id: uuid.UUID, *, base_url: str, now: datetime, days: int = DEFAULT_DAYS,
) -> Issued:
    """A new link for the participant (a platform only for its own: 404 otherwise); the oldest
    of their links beyond :data:`MAX_LIVE`, and any expired one, stop working."""
    participant = people.get_participant(session, actor, participant_id)
    # The participant's row lock serialises two requests at once, so neither keeps a sixth link.
    session.scalar(select(Participant.id).where(Participant.id == participant.id).with_for_update())
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=days)
    session.add(AvailabilityLink(token_hash=_hash(token), participant_id=participant.id, created_at=now, expires_at=expires_at))
    session.flush()
    kept = (
        select(AvailabilityLink.token_hash)
        .where(AvailabilityLink.participant_id == participant.id, AvailabilityLink.expires_at > now)
        .order_by(AvailabilityLink.created_at.desc(), AvailabilityLink.expires_at.desc())
        .limit(MAX_LIVE)
    )
    session.execute(
        delete(AvailabilityLink)
        .where(AvailabilityLink.participant_id == participant.id, AvailabilityLink.token_hash.not_in(kept.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return Issued(f"{base_url.rstrip('/')}{PATH}{token}", expires_at)


def revoke(session: DbSession, actor: Actor, participant_id: uuid.UUID) -> None:
    """Every link of the participant stops working."""
    forget(session, people.get_participant(session, actor, participant_id).id)


def forget(session: DbSession, participant_id: uuid.UUID) -> None:
    session.execute(delete(AvailabilityLink).where(AvailabilityLink.participant_id == participant_id))


def resolve(session: DbSession, token: str, now: datetime, *, lock: bool = False) -> Participant | None:
    """The participant of a live link, or None."""
    if not token or len(token) > 100:
        return None
    link = session.get(AvailabilityLink, _hash(token))
    if link is None or link.expires_at <= now:
        return None
    return session.get(Participant, link.participant_id, with_for_update=lock)


def language_of_expired(session: DbSession, token: str) -> str | None:
    """The language of the participant whose link ``token`` was until it expired (its row is kept
    until the participant's next link), so that the page saying so speaks it; None otherwise."""
    if not token or len(token) > 100:
        return None
    link = session.get(AvailabilityLink, _hash(token))
    participant = None if link is None else session.get(Participant, link.participant_id)
    return None if participant is None else participant.language


def save(session: DbSession, token: str, availability: Mapping[str, Any], now: datetime) -> Participant | None:
    """Store the availability filled in on the page, exactly as the API's PUT stores it (the
    caller validated it with the same schema); None when the link died meanwhile."""
    participant = resolve(session, token, now, lock=True)
    if participant is None:
        return None
    people.update_participant(session, participant, {"availability": dict(availability)}, now=now, source="link")
    return participant


def csrf(secret: bytes, token: str) -> str:
    return hmac.new(secret, f"availability-csrf:{token}".encode(), hashlib.sha256).hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
