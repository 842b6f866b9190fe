"""What the worker's jobs need: settings, the session factory, the clock, its own name, and a
way to send the outbox messages a transaction recorded once that transaction has committed."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.domain.ics import Contact
from shared.use_cases import outbox
from shared.use_cases.answers import Links


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _nowhere(message_ids: list[uuid.UUID]) -> None:
    """Until a broker is attached, recorded work waits for the sweep."""


@dataclass
class Runtime:
    settings: Settings
    session_factory: sessionmaker[Session]
    clock: Callable[[], datetime] = _utcnow
    name: str = field(default_factory=_worker_name)
    dispatch: Callable[[list[uuid.UUID]], None] = _nowhere

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work; what it recorded in the outbox is sent after the commit."""
        with self.session_factory.begin() as session:
            yield session
        recorded = outbox.recorded(session)
        if recorded:
            self.dispatch(recorded)

    @property
    def programme(self) -> Contact:
        """The organizer of self-directed sessions and the sender of mail."""
        return Contact(name=self.settings.programme_name, email=self.settings.programme_email)

    @property
    def answer_links(self) -> Links:
        """How the personal answer links in invitations and reminders are made."""
        return Links(self.settings.secret(), self.settings.public_url)

    @property
    def mails(self) -> bool:
        return self.settings.smtp_url is not None

    @property
    def sending_timeout(self) -> timedelta:
        """How old a claim on a mail must be before another worker takes it over (its sender died)."""
        return timedelta(seconds=self.settings.sending_timeout_seconds)
