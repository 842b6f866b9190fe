"""People's published calendars: adding, listing, removing and refreshing them; the worker's
fetch of each (claimed with a lease, so that of several workers one fetches a source at a
time); and the busy intervals a fetch stores (read back through :mod:`shared.use_cases.busy_time`).

A source is fetched when it is added or asked to refresh (an outbox message recorded in that
transaction), and again every ``INTERVISIE_CALENDAR_REFRESH_MINUTES`` when the sweep finds it
due (:func:`request_due`). ``fetch_requested_at`` marks a fetch asked for whose message is on its
way; the worker that claims the source clears it, so a message delivered twice fetches once.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from shared.actor import Actor
from shared.db.models import BusyInterval, CalendarSource, Facilitator, Participant
from shared.domain import calendar_sources as rules
from shared.domain.availability import merge
from shared.domain.sealing import Sealer, Unsealable
from shared.errors import Conflict, NotFound
from shared.use_cases import calendar_conflicts, outbox, people
from shared.use_cases.webhooks import Resolver, check_target

log = logging.getLogger(__name__)

SEALING_PURPOSE = "calendar-source-url"
CREDENTIALS_PURPOSE = "calendar-source-credentials"
Interval = tuple[datetime, datetime]


@dataclass(frozen=True, repr=False)
class Credentials:
    """A CalDAV source's user name and app password (never shown: no repr of its own)."""

    username: str
    password: str


def _sealer(secret: bytes, purpose: str = SEALING_PURPOSE) -> Sealer:
    return Sealer(secret, purpose)


# -- the API's side ------------------------------------------------------------------------------


def _owner(session: Session, actor: Actor, kind: str, owner_id: uuid.UUID, *, lock: bool = False) -> Participant | Facilitator:
    """The person, as the actor may see them: a participant of the platform's own (404 for
    another's), a facilitator for the organiser only (403). ``lock``: until the transaction ends,
    so that two additions cannot both pass the limit."""
    if kind == rules.PARTICIPANT:
        return people.get_participant(session, actor, owner_id, lock=lock)
    facilitator = people.get_facilitator(session, actor, owner_id)
    if lock:
        session.scalar(
            select(Facilitator).where(Facilitator.id == owner_id).with_for_update().execution_options(populate_existing=True)
        )
    return facilitator


def _sources_of(kind: str, owner_id: uuid.UUID):
    return select(CalendarSource).where(CalendarSource.owner_kind == kind, CalendarSource.owner_id == owner_id)


def create(
    session: Session, actor: Actor, kind: str, owner_id: uuid.UUID, url: str, *,
    now: datetime, secret: bytes, allow_private: bool, resolve: Resolver, caldav: Credentials | None = None,
) -> CalendarSource:
    """Add a published calendar (``webcal://`` read as ``https://``), or with ``caldav`` a CalDAV
    calendar collection read with those credentials, and ask for its first fetch.

    The address must pass the same rules as a webhook's (its host resolving to public addresses
    only, unless private ones are allowed); a person has at most :data:`rules.MAX_SOURCES`, and
    the same calendar once."""
    _owner(session, actor, kind, owner_id)
    url = rules.normalised(url)
    check_target(url, allow_private=allow_private, resolve=resolve, what="calendar address")
    _owner(session, actor, kind, owner_id, lock=True)
    count = session.scalar(select(func.count()).select_from(_sources_of(kind, owner_id).subquery()))
    if count >= rules.MAX_SOURCES:
        raise Conflict(
            f"the {kind} already has {count} calendar sources, the most there may be; remove one before adding another"
        )
    digest = rules.url_digest(secret, url)
    same = session.scalar(select(CalendarSource.id).where(
        CalendarSource.owner_kind == kind, CalendarSource.owner_id == owner_id, CalendarSource.url_digest == digest,
    ))
    if same is not None:
        raise Conflict(f"this calendar is already a source of the {kind} ({same})")
    source_id = uuid.uuid4()
    credentials = None
    if caldav is not None:
        credentials = _sealer(secret, CREDENTIALS_PURPOSE).seal(
            json.dumps({"username": caldav.username, "password": caldav.password}), str(source_id),
        )
    source = CalendarSource(
        id=source_id, owner_kind=kind, owner_id=owner_id, kind=rules.CALDAV if caldav else rules.ICS,
        url_sealed=_sealer(secret).seal(url, str(source_id)), url_shown=rules.masked(url), url_digest=digest,
        credentials_sealed=credentials,
        status=rules.PENDING, busy_count=0, next_fetch_at=now, fetch_requested_at=now,
        created_at=now, updated_at=now,
    )
    session.add(source)
    session.flush()
    outbox.record(session, outbox.CALENDAR_FETCH, {"source_id": str(source_id)}, now)
    return source


def list_sources(session: Session, actor: Actor, kind: str, owner_id: uuid.UUID) -> list[CalendarSource]:
    _owner(session, actor, kind, owner_id)
    return list(session.scalars(_sources_of(kind, owner_id).order_by(CalendarSource.created_at, CalendarSource.id)))


def get_source(session: Session, actor: Actor, kind: str, owner_id: uuid.UUID, source_id: uuid.UUID) -> CalendarSource:
    _owner(session, actor, kind, owner_id)
    source = session.scalar(_sources_of(kind, owner_id).where(CalendarSource.id == source_id))
    if source is None:
        raise NotFound(f"no calendar source {source_id} of {kind} {owner_id}")
    return source


def delete_source(session: Session, source: CalendarSource) -> None:
    """Remove a source and the busy time read from it."""
    session.execute(delete(BusyInterval).where(BusyInterval.source_id == source.id))
    session.delete(source)
    session.flush()


def request_refresh(session: Session, source: CalendarSource, now: datetime) -> None:
    """Ask for a fetch now (answered 202: the worker does it)."""
    source.fetch_requested_at = now
    session.flush()
    outbox.record(session, outbox.CALENDAR_FETCH, {"source_id": str(source.id)}, now)


def source_ids(message_payload: Mapping[str, Any]) -> list[uuid.UUID]:
    """The sources a ``calendar.fetch`` outbox message asks to fetch."""
    return [uuid.UUID(message_payload["source_id"])]


# -- the worker's side ---------------------------------------------------------------------------


def _lease_free(now: datetime):
    return or_(CalendarSource.lease_until.is_(None), CalendarSource.lease_until < now)


def request_due(session: Session, now: datetime, *, lost_after: timedelta, limit: int = 500) -> list[uuid.UUID]:
    """Mark the sources whose refresh is due, and those whose fetch was asked for ``lost_after``
    ago without a worker claiming them (the message lost), as asked for; return their ids, to
    send. A source another sweep marked at the same moment is not returned here too."""
    due = or_(
        (CalendarSource.next_fetch_at <= now) & CalendarSource.fetch_requested_at.is_(None),
        CalendarSource.fetch_requested_at < now - lost_after,
    )
    ids = list(session.scalars(
        select(CalendarSource.id).where(due, _lease_free(now)).order_by(CalendarSource.next_fetch_at).limit(limit)
    ))
    if not ids:
        return []
    marked = session.scalars(
        update(CalendarSource)
        .where(CalendarSource.id.in_(ids), due, _lease_free(now))
        .values(fetch_requested_at=now)
        .returning(CalendarSource.id)
        .execution_options(synchronize_session=False)
    )
    return list(marked)


@dataclass(frozen=True)
class FetchOrder:
    """What a worker that claimed a source needs to fetch it."""

    source_id: uuid.UUID
    url: str
    etag: str | None
    last_modified: str | None
    timezone: str
    """The person's: floating times in a feed without X-WR-TIMEZONE are theirs."""
    caldav: Credentials | None = None
    """A CalDAV source's credentials: its collection is asked for its free and busy time."""


def claim(session: Session, source_id: uuid.UUID, worker: str, now: datetime) -> bool:
    """Take a source whose fetch was asked for and that no live worker holds. Atomic."""
    result = session.execute(
        update(CalendarSource)
        .where(CalendarSource.id == source_id, CalendarSource.fetch_requested_at.is_not(None), _lease_free(now))
        .values(lease_owner=worker, lease_until=now + rules.FETCH_LEASE, fetch_requested_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def held_elsewhere(session: Session, source_id: uuid.UUID, worker: str, now: datetime) -> bool:
    """Whether another worker holds the source under a live lease (and a fetch is asked for
    after it): the message is to be tried again once that fetch is done."""
    row = session.execute(
        select(CalendarSource.lease_owner, CalendarSource.lease_until, CalendarSource.fetch_requested_at)
        .where(CalendarSource.id == source_id)
    ).first()
    return bool(row and row.fetch_requested_at is not None and row.lease_owner not in (None, worker)
                and row.lease_until is not None and row.lease_until >= now)


def fetch_order(session: Session, source_id: uuid.UUID, secret: bytes) -> FetchOrder | rules.Failed:
    """The claimed source's address, opened, with what the fetch needs; a Failed when the
    address no longer opens (the secret key changed)."""
    source = session.get(CalendarSource, source_id)
    owner_model = Participant if source.owner_kind == rules.PARTICIPANT else Facilitator
    timezone = session.scalar(select(owner_model.timezone).where(owner_model.id == source.owner_id)) or "UTC"
    try:
        url = _sealer(secret).open(source.url_sealed, str(source.id))
        caldav = None
        if source.kind == rules.CALDAV:
            opened = json.loads(_sealer(secret, CREDENTIALS_PURPOSE).open(source.credentials_sealed or "", str(source.id)))
            caldav = Credentials(opened["username"], opened["password"])
    except Unsealable:
        return rules.UNREADABLE_ADDRESS
    return FetchOrder(source.id, url, source.feed_etag, source.feed_last_modified, timezone, caldav)


def record_fetch(
    session: Session, source_id: uuid.UUID, worker: str,
    outcome: rules.Fetched | rules.Unchanged | rules.Failed, intervals: Iterable[Interval] | None,
    *, now: datetime, refresh: timedelta,
) -> bool:
    """Write what a fetch found, if ``worker`` still holds the source: on success the source's
    busy intervals are replaced by ``intervals`` (merged); a 304 keeps them; a failure keeps
    them too and says why. The next refresh is due ``refresh`` from now. A session of the
    owner's that the new busy times put at risk raises its alarm (see
    :mod:`shared.use_cases.calendar_conflicts`). False: the lease was lost (or the source
    removed) and nothing was written."""
    source = session.scalar(
        select(CalendarSource).where(CalendarSource.id == source_id).with_for_update().execution_options(populate_existing=True)
    )
    if source is None or source.lease_owner != worker:
        return False
    source.lease_owner, source.lease_until = None, None
    source.next_fetch_at = now + refresh
    if isinstance(outcome, rules.Failed):
        source.status, source.last_error, source.last_error_code = rules.FAILED, outcome.reason[:500], outcome.code
        return True
    if isinstance(outcome, rules.Fetched):
        kept = merge(list(intervals or ()))
        stake = calendar_conflicts.at_stake(session, source, kept, now)
        session.execute(delete(BusyInterval).where(BusyInterval.source_id == source.id))
        if kept:
            session.execute(insert(BusyInterval), [
                {"source_id": source.id, "start": start, "end": end, "owner_kind": source.owner_kind, "owner_id": source.owner_id}
                for start, end in kept
            ])
        source.busy_count = len(kept)
        calendar_conflicts.alarm_new_risks(session, stake, now)
        source.feed_etag, source.feed_last_modified = outcome.etag, outcome.last_modified
    source.status, source.last_error, source.last_error_code, source.last_fetched_at = rules.OK, None, None, now
    return True
