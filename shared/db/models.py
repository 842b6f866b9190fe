"""The data model: SQLAlchemy 2 typed declarative models.

Every mutable resource has a ``version`` column that SQLAlchemy uses as its optimistic-locking
counter (``version_id_col``): an UPDATE carries ``WHERE version = <what we read>``, so two
concurrent writers cannot both win; the loser gets ``StaleDataError`` and the API answers 412.
The API's ETag is derived from ``(id, version)``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from shared.db.types import JSONDocument, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Versioned:
    """Columns of every resource that the API lets clients change."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}


class LeasedJob:
    """Columns of a job that a worker claims with a lease (see shared.use_cases.leases)."""

    status: Mapped[str] = mapped_column(String(20), nullable=False, default="queued")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))
    """The API request that asked for it (its X-Request-ID): a message the sweep sends again
    carries it too (see shared.db.session.stamp_request_ids)."""


class ApiClient(Base):
    """A caller of the API: the programme organiser (admin) or a school platform."""

    __tablename__ = "api_clients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    keys: Mapped[list[ApiKey]] = relationship(back_populates="client")


class ApiKey(Base):
    """A bearer key of a client. Only its SHA-256 is stored; ``prefix`` identifies it to humans."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    prefix: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[ApiClient] = relationship(back_populates="keys", lazy="joined")


class Facilitator(Versioned, Base):
    __tablename__ = "facilitators"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    availability: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    capacity: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    """``max_sessions_per_day``, ``max_sessions_per_week``, ``break_minutes`` (each may be null)."""


class Participant(Versioned, Base):
    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("client_id", "external_ref"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_clients.id"), nullable=False, index=True
    )
    external_ref: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    organization: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    school_holiday_region: Mapped[str | None] = mapped_column(String(10))
    availability: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)

    theme_rows: Mapped[list[ParticipantTheme]] = relationship(
        cascade="all, delete-orphan",
        order_by="ParticipantTheme.position",
        lazy="selectin",
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def themes(self) -> list[str]:
        return [row.theme for row in self.theme_rows]

    @themes.setter
    def themes(self, themes: list[str]) -> None:
        self.theme_rows = [
            ParticipantTheme(theme=theme, position=i) for i, theme in enumerate(themes)
        ]

    @property
    def group_ids(self) -> list[uuid.UUID]:
        return [m.group_id for m in self.memberships]


class ParticipantTheme(Base):
    """A participant's themes, one row each, so that filtering by theme is portable SQL."""

    __tablename__ = "participant_themes"

    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (Index("ix_participant_themes_theme", "theme"),)


class Group(Versioned, Base):
    __tablename__ = "groups"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    theme: Mapped[str | None] = mapped_column(String(64))
    facilitator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("facilitators.id"), index=True
    )
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    meeting_url: Mapped[str | None] = mapped_column(String(2000))
    session_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    guided_sessions: Mapped[int] = mapped_column(Integer, nullable=False)
    follow_up_sessions: Mapped[int] = mapped_column(Integer, nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    constraints: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group",
        cascade="all, delete-orphan",
        order_by="Membership.position",
        lazy="selectin",
    )

    @property
    def member_ids(self) -> list[uuid.UUID]:
        return [m.participant_id for m in self.memberships]


class Membership(Base):
    __tablename__ = "memberships"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    """Order of joining within the group; the chair rotation follows it."""

    group: Mapped[Group] = relationship(back_populates="memberships")
    # Joined: planning and invitations read every member of a group, never one at a time.
    participant: Mapped[Participant] = relationship(back_populates="memberships", lazy="joined")


class SchedulingRun(LeasedJob, Base):
    """A request to plan a group's sessions: a job that the worker picks up.

    The row is the source of truth; the broker message only says "look at run X". ``lease_until``
    lets exactly one worker own a running run; a run whose lease ran out is picked up again.
    """

    __tablename__ = "scheduling_runs"
    __table_args__ = (Index("ix_scheduling_runs_status", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=False, index=True
    )
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    diagnostics: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scheduling_batches.id", ondelete="CASCADE"), index=True
    )
    """Set when the run is planned together with others (its batch claims and writes it)."""


class SchedulingBatch(LeasedJob, Base):
    """Groups planned together (see shared.domain.cohort): a job like a run, over several runs."""

    __tablename__ = "scheduling_batches"
    __table_args__ = (Index("ix_scheduling_batches_status", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    group_ids: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False)
    """The groups in the order asked for: the order in which plans are completed and written."""
    optimal: Mapped[bool | None] = mapped_column(Boolean)
    planned: Mapped[int | None] = mapped_column(Integer)
    upper_bound: Mapped[int | None] = mapped_column(Integer)
    """A proven bound on the groups any choice of series could plan (see shared.domain.cohort)."""
    progress_planned: Mapped[int | None] = mapped_column(Integer)
    progress_total: Mapped[int | None] = mapped_column(Integer)

    runs: Mapped[list[SchedulingRun]] = relationship(
        order_by="SchedulingRun.created_at, SchedulingRun.id", lazy="selectin"
    )


class Session(Versioned, Base):
    """One meeting of a group. ``uid`` is its calendar UID and never changes across re-plans."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_group_start", "group_id", "start"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=False
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    uid: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    chair_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    absent_ids: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False, default=list)
    keeps_slot: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scheduling_runs.id", ondelete="SET NULL")
    )

    # Derived, not stored: set by shared.use_cases.attendance.attach before a session is shown.
    attendance = None
    conflicts = None
    at_risk = None
    shown = None

    @property
    def etag_material(self) -> str:
        """Besides the version, what the ETag covers: the answers and the calendar conflicts,
        which change no row here."""
        answers = self.attendance or ()
        busy = "".join(f";busy:{c.person_id}" for c in self.conflicts or ())
        return ";".join(f"{a.person_id}:{a.response}:{a.responded_at}" for a in answers) + busy


class Attendance(Base):
    """One person's answer to one session's invitation (see shared.domain.attendance). Only
    answers are stored: a required person without a row has not answered (``needs_action``)."""

    __tablename__ = "attendance"
    __table_args__ = (Index("ix_attendance_person", "person_id"),)

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    response: Mapped[str] = mapped_column(String(20), nullable=False)
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    comment: Mapped[str | None] = mapped_column(String(500))
    sequence: Mapped[int | None] = mapped_column(Integer)
    """The SEQUENCE of the calendar REPLY that gave the answer; empty for a link or the API."""
    dtstamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The DTSTAMP of that REPLY (never later than its arrival): of two REPLYs with one SEQUENCE,
    the later DTSTAMP wins."""


class SessionAlarm(Base):
    """When a session last raised its at-risk alarm (webhook and mail): at most one a day."""

    __tablename__ = "session_alarms"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    alarmed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AnswerLink(Base):
    """The secret in a person's answer link for one session, stored as its SHA-256 only."""

    __tablename__ = "answer_links"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AvailabilityLink(Base):
    """A participant's link to fill in their own week, stored as the SHA-256 of its secret only.

    A participant may hold several (each platform or organiser hands out its own); revoking
    removes them all, and erasure removes them with the participant.
    """

    __tablename__ = "availability_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class OutboxMessage(Base):
    """Work that a change implies, recorded in the change's own transaction.

    The worker is sent the id after the commit; a message that is lost leaves the row
    undispatched, and the sweep sends it again. Dispatching sets ``dispatched_at`` in the same
    transaction as the work, so doing it twice is impossible.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "dispatched_at", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    topic: Mapped[str] = mapped_column(String(50), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request_id: Mapped[str | None] = mapped_column(String(128))
    """The API request whose change recorded it, as for a LeasedJob."""


class MailDelivery:
    """A message to one person, as issued, and how its delivery went (see
    shared.use_cases.deliveries): ``stored`` without SMTP, else ``pending`` → ``sending`` →
    ``sent`` or ``failed``."""

    recipient_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    recipient_name: Mapped[str] = mapped_column(String(200), nullable=False)
    recipient_email: Mapped[str] = mapped_column(String(254), nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    delivery_state: Mapped[str] = mapped_column(String(20), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def recipient(self) -> dict[str, Any]:
        return {
            "kind": self.recipient_kind,
            "id": self.recipient_id,
            "name": self.recipient_name,
            "email": self.recipient_email,
        }


class Invitation(MailDelivery, Base):
    """One iTIP message to one recipient about one session, as issued; mailed when SMTP is set."""

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_session", "session_id", "issued_at"),
        Index("ix_invitations_delivery", "delivery_state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False
    )
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    notice: Mapped[str] = mapped_column(String(20), nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    ics: Mapped[str] = mapped_column(Text, nullable=False)


class Notice(MailDelivery, Base):
    """A plain mail about a session to one person: the alarm when it is at risk, a reminder.

    ``key`` makes it once only: a reminder is keyed by session, person and start (a moved
    session reminds again), an alarm by the change that raised it."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_delivery", "delivery_state"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


class FeedToken(Base):
    """The secret in a calendar feed URL, stored as its SHA-256 only. One live token per owner."""

    __tablename__ = "feed_tokens"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Webhook(Base):
    """An endpoint of an API client that receives signed events (Standard Webhooks)."""

    __tablename__ = "webhooks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    events: Mapped[list[str] | None] = mapped_column(JSONDocument)
    """The event types it wants; None for all."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event for one endpoint; ``id`` is the ``webhook-id`` header, the same on every retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint", "webhook_id", "created_at"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    webhook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False
    )
    event_type: Mapped[str] = mapped_column(String(50), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    """The participant the event names, so that an erasure can find the events about them."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)

    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        cascade="all, delete-orphan", order_by="WebhookAttempt.attempted_at", lazy="selectin"
    )


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)


class IdempotencyRecord(Base):
    """The first answer to a POST with an ``Idempotency-Key``, replayed to its retries for 24 h."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=False
    )
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    """SHA-256 of method, path and body: the same key with another request is refused."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    status_code: Mapped[int | None] = mapped_column(Integer)
    """None while the first request is still being processed."""
    response_body: Mapped[str | None] = mapped_column(Text)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    resource_id: Mapped[str | None] = mapped_column(String(64), index=True)


class GroupProposal(LeasedJob, Base):
    """A request to compose groups from a pool of sign-ups: a job like a scheduling run."""

    __tablename__ = "group_proposals"
    __table_args__ = (Index("ix_group_proposals_status", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    """What was asked: the pool (participant ids, resolved when asked), sizes, dates, facilitator."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_group_ids: Mapped[list[str] | None] = mapped_column(JSONDocument)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("scheduling_batches.id", ondelete="SET NULL"))
    """The scheduling batch started when the proposal was accepted with ``schedule``."""


class RenderedEvent(Base):
    """A session's feed VEVENT as icalendar wrote it, kept so that a feed can be assembled
    without serialising every event again in each new process. ``key`` is the
    :func:`~shared.domain.ics.rendering_key` it was written for; another key means stale."""

    __tablename__ = "rendered_events"

    uid: Mapped[str] = mapped_column(ForeignKey("sessions.uid", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


class GroupFeedChanges(Base):
    """Per group, a count of the committed changes to what calendar feeds show of it.

    Database triggers (migrations 0011 and 0013) bump a group's count in the same transaction as
    every insert, update or delete of its sessions, its row and its memberships, every rename or
    change of address of its facilitator and every rename or removal of its members and chairs,
    whether the ORM flushed it or a bulk statement or a cascade did. A feed's fingerprint computed
    at the counts of its groups stays right while they stand, so a 304 reads these few rows instead
    of every session, and a change in one group leaves the other groups' feeds alone (see
    shared.use_cases.feeds.current_fingerprint). No foreign key: a removed group's row stays (a
    few bytes), and a feed that showed the group notices that it is gone from its list."""

    __tablename__ = "group_feed_changes"

    group_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    counter: Mapped[int] = mapped_column(BigInteger, nullable=False)


class CalendarSource(Versioned, Base):
    """A person's published calendar (a secret ICS address) or CalDAV calendar whose busy time the
    worker reads (see shared.use_cases.calendar_sources). The address (and a CalDAV source's
    credentials) is stored sealed, never in the clear:
    ``url_shown`` is its scheme and host, ``url_digest`` a keyed fingerprint that finds the same
    calendar added twice."""

    __tablename__ = "calendar_sources"
    __table_args__ = (
        UniqueConstraint("owner_kind", "owner_id", "url_digest"),
        Index("ix_calendar_sources_due", "next_fetch_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    """``participant`` or ``facilitator``."""
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="ics", server_default="ics")
    """``ics`` or ``caldav`` (shared.domain.calendar_sources.KINDS)."""
    url_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    url_shown: Mapped[str] = mapped_column(String(300), nullable=False)
    url_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    credentials_sealed: Mapped[str | None] = mapped_column(Text)
    """A CalDAV source's user name and app password, sealed like the address; null for ICS."""
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a fetch last succeeded or found the feed unchanged (304)."""
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_code: Mapped[str | None] = mapped_column(String(40))
    """Why the last fetch failed as a stable code (shared.domain.calendar_sources.FAILURE_CODES)."""
    busy_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    feed_etag: Mapped[str | None] = mapped_column(String(500))
    """The feed's own ETag and Last-Modified, sent back for a conditional GET."""
    feed_last_modified: Mapped[str | None] = mapped_column(String(500))
    next_fetch_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    fetch_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set while a fetch is asked for (created, refreshed, or due) and its message is on its way;
    the worker that claims the source clears it."""
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BusyInterval(Base):
    """A stretch of busy time from a calendar source, in UTC: only start and end are kept, never
    what the event was. Replaced whole, per source, by each fetch that reads the feed."""

    __tablename__ = "busy_intervals"
    __table_args__ = (Index("ix_busy_intervals_owner", "owner_kind", "owner_id", "start"),)

    source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("calendar_sources.id", ondelete="CASCADE"), primary_key=True
    )
    start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    owner_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
