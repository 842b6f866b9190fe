"""What a request needs from the application: settings, the session factory, the clock, the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, g
from sqlalchemy.orm import Session, sessionmaker

from services.api.feed_cache import FeedFingerprints, Lru, RenderedFeeds
from services.scheduler.scheduler import Scheduler
from shared.actor import Actor
from shared.config import Settings
from shared.use_cases import outbox
from shared.use_cases.api_keys import KeyCache

EXTENSION = "intervisie"


@dataclass
class AppState:
    settings: Settings
    session_factory: sessionmaker[Session]
    read_session_factory: sessionmaker[Session]
    """For requests that only read: no transaction's extra round trips (see make_read_session_factory)."""
    clock: Callable[[], datetime]
    scheduler: Scheduler
    rendered_feeds: RenderedFeeds = field(default_factory=lambda: RenderedFeeds())
    api_keys: KeyCache = field(default_factory=KeyCache)
    """The keys this process looked up lately, so that a request costs no lookup."""
    feed_fingerprints: FeedFingerprints = field(default_factory=lambda: FeedFingerprints())
    participant_answers: Lru[tuple, dict] = field(default_factory=Lru)
    """Participants as reads dumped them, by id, version, themes and groups (schemas.people)."""
    readiness_probes: dict[str, Callable[[], object]] = field(default_factory=dict)
    """Extra checks for /readyz (the broker adds one); each raises when failing."""


def state() -> AppState:
    return current_app.extensions[EXTENSION]


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back when it raises.

    What the transaction recorded in the outbox is sent to the worker after the commit.
    """
    with state().session_factory.begin() as session:
        yield session
    recorded = outbox.recorded(session)
    if recorded:
        state().scheduler.dispatch(recorded)


@contextmanager
def reading() -> Iterator[Session]:
    """A session for a request that only reads: no BEGIN and COMMIT round trips around its
    statements (see make_read_session_factory). Never write with it."""
    with state().read_session_factory() as session:
        yield session


def actor() -> Actor:
    return g.actor
