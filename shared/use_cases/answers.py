"""Answer links: each invited person's own link, per session, to say whether they come.

A token is ``HMAC-SHA256(secret key, "answer", session, person)`` in URL-safe base64 (256
bits, unguessable without the key). The database keeps only its SHA-256 with the session and
the person, so it can resolve a link it never stored in clear; every invitation for the same
session and person carries the same link. A link is dead (``resolve`` answers None) when the
session is cancelled or gone, or the person is no longer one of its required people (they left
the group, were erased, or the group has another facilitator).

The form on the page carries a CSRF field derived from the token with the secret key: only a
page served for that link can post to it. The page shows the person's stored comment back in
that form, so a post keeps it unless the field was changed; an emptied field clears it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session as DbSession

from shared.db.models import AnswerLink, Attendance, Facilitator, Group, Participant
from shared.db.models import Session as GroupSession
from shared.domain import attendance as rules
from shared.use_cases import attendance

PATH = "/answer/"


@dataclass(frozen=True)
class Links:
    """What a link is made of: the service's secret key and its public base URL."""

    secret: bytes
    base_url: str

    def token(self, session_id: uuid.UUID, person_id: uuid.UUID) -> str:
        digest = hmac.new(self.secret, f"answer:{session_id}:{person_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def csrf(self, token: str) -> str:
        return hmac.new(self.secret, f"csrf:{token}".encode(), hashlib.sha256).hexdigest()

    def url(self, session: DbSession, session_id: uuid.UUID, person_id: uuid.UUID, now: datetime) -> str:
        """The person's link for the session, recorded (hashed) on first use."""
        token = self.token(session_id, person_id)
        digest = _hash(token)
        if session.get(AnswerLink, digest) is None:
            session.add(AnswerLink(token_hash=digest, session_id=session_id, person_id=person_id, created_at=now))
            session.flush()
        return self._address(token)

    def urls(
        self, session: DbSession, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]], now: datetime
    ) -> dict[tuple[uuid.UUID, uuid.UUID], str]:
        """The links of many (session, person) pairs, as :meth:`url` makes them: those not yet
        recorded are recorded together."""
        tokens = {pair: self.token(*pair) for pair in pairs}
        digests = {pair: _hash(token) for pair, token in tokens.items()}
        known = set(session.scalars(select(AnswerLink.token_hash).where(AnswerLink.token_hash.in_(list(digests.values())))))
        new = [
            {"token_hash": digest, "session_id": pair[0], "person_id": pair[1], "created_at": now}
            for pair, digest in digests.items()
            if digest not in known
        ]
        if new:
            session.execute(insert(AnswerLink), new)
        return {pair: self._address(token) for pair, token in tokens.items()}

    def _address(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}{PATH}{token}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Invited:
    """A live link: the session (with its attendance), its group, the person, and their answer
    with the comment they left with it (None when they left none)."""

    row: GroupSession
    group: Group
    person: Facilitator | Participant
    answer: rules.Answer
    comment: str | None


def resolve(session: DbSession, token: str, now: datetime, *, lock: bool = False) -> Invited | None:
    """The session and person of a live link, or None (see the module docstring)."""
    if not token or len(token) > 100:
        return None
    link = session.get(AnswerLink, _hash(token))
    if link is None:
        return None
    query = select(GroupSession).where(GroupSession.id == link.session_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None or row.status != "scheduled":
        return None
    attendance.attach(session, [row], now=now)
    answer = attendance.answer_of(row, link.person_id)
    if answer is None:
        return None
    group = session.get(Group, row.group_id)
    model = Facilitator if answer.role == rules.FACILITATOR else Participant
    person = session.get(model, link.person_id)
    if person is None:
        return None
    stored = session.get(Attendance, (row.id, link.person_id))
    return Invited(row, group, person, answer, stored.comment if stored is not None else None)


def answer(session: DbSession, token: str, response: str, comment: str | None, now: datetime) -> Invited | None:
    """Record what the person chose on their page; None when the link is dead. ``comment`` None
    (the post had no comment field) keeps the stored comment; an empty one clears it."""
    invited = resolve(session, token, now, lock=True)
    if invited is None:
        return None
    kept = invited.comment if comment is None else comment or None
    recorded = attendance.record(session, invited.row, invited.person.id, response, source=rules.LINK, now=now, comment=kept)
    return Invited(invited.row, invited.group, invited.person, recorded, kept)
