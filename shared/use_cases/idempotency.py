"""Idempotency keys for POST, after the IETF draft "The Idempotency-Key HTTP Header Field".

Per API client, a key and the request it came with are remembered for 24 hours with the first
response. The same key with the same request replays that response without doing the work
again; with a different request it is refused (422); while the first is still being processed
a retry is refused too (409). The unique (client, key) row is the lock: of many simultaneous
identical requests exactly one does the work.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shared.db.models import IdempotencyRecord

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
_VISIBLE = r"\x21-\x7e\xa1-\xac\xae-\xff"
KEY_PATTERN = rf"^[{_VISIBLE}](?:[ {_VISIBLE}]{{0,{MAX_KEY_LENGTH - 2}}}[{_VISIBLE}])?$"
"""A usable key: 1–255 printable characters of those a header value can carry (HTTP reads them
as Latin-1): ASCII from the space to ``~`` and Latin-1's printable letters and signs (not its
control characters, no-break space or soft hyphen), not starting or ending with a space (which
HTTP strips from a header's value). The OpenAPI document states this pattern."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


@dataclass(frozen=True)
class Begun:
    record_id: uuid.UUID


@dataclass(frozen=True)
class Replay:
    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Refusal:
    status: int  # 409 or 422
    detail: str


def begin(
    factory: sessionmaker[Session], client_id: uuid.UUID, key: str, request_fingerprint: str, now: datetime
) -> Begun | Replay | Refusal:
    """Claim ``key`` for this request, or say what to answer instead. Commits on its own."""
    for _ in range(2):
        try:
            with factory.begin() as session:
                existing = session.scalar(
                    select(IdempotencyRecord).where(IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key)
                )
                if existing is not None and existing.created_at < now - KEEP_FOR:
                    session.delete(existing)
                    session.flush()
                    existing = None
                if existing is None:
                    record = IdempotencyRecord(client_id=client_id, key=key, fingerprint=request_fingerprint, created_at=now)
                    session.add(record)
                    session.flush()
                    return Begun(record.id)
                if existing.fingerprint != request_fingerprint:
                    return Refusal(422, "This Idempotency-Key was used with a different request; use a new key.")
                if existing.status_code is None:
                    return Refusal(409, "A request with this Idempotency-Key is still being processed; retry later.")
                return Replay(existing.status_code, existing.response_body or "", dict(existing.response_headers or {}))
        except IntegrityError:
            continue  # another request inserted the key at the same moment: look again
    return Refusal(409, "A request with this Idempotency-Key is still being processed; retry later.")


def finish(
    factory: sessionmaker[Session], record_id: uuid.UUID, status: int, body: str, headers: dict[str, Any]
) -> None:
    """Keep the response for replays; a server error forgets the key, so a retry does the work."""
    with factory.begin() as session:
        record = session.get(IdempotencyRecord, record_id)
        if record is None:
            return
        if status >= 500:
            session.delete(record)
            return
        record.status_code, record.response_body, record.response_headers = status, body, headers
        location = headers.get("Location")
        if location:
            record.resource_id = location.rstrip("/").rsplit("/", 1)[-1][:64]


def purge(session: Session, now: datetime) -> int:
    return session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - KEEP_FOR)).rowcount


def forget_resource(session: Session, resource_id: uuid.UUID) -> None:
    """Stored responses about an erased person go with them."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.resource_id == str(resource_id)))
