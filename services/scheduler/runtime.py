"""What the worker's jobs need: settings, the session factory, the clock and its own name."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.db.session import make_engine, make_session_factory


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Runtime:
    settings: Settings
    session_factory: sessionmaker[Session]
    clock: Callable[[], datetime] = _utcnow
    name: str = field(default_factory=_worker_name)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        return cls(settings, make_session_factory(make_engine(settings.database_url)))
