"""API clients and their bearer keys.

A key is ``ivk_`` followed by 256 random bits in URL-safe base64. Only its SHA-256 is stored: the
key itself has full entropy, so a fast hash is enough and a lookup is a single indexed equality.

The API keeps the keys it has looked up for a few seconds (:class:`KeyCache`), so that a request
costs no lookup: a key revoked in this process stops working at once, one revoked elsewhere (the
``intervisie api-keys revoke`` command, another API process) within :data:`KEY_CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from shared.actor import ROLES, Actor
from shared.db.models import ApiClient, ApiKey
from shared.errors import InvalidInput, NotFound

KEY_PREFIX = "ivk_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8


@dataclass(frozen=True)
class IssuedKey:
    client_id: uuid.UUID
    key_id: uuid.UUID
    prefix: str
    key: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key(session: Session, client: ApiClient) -> IssuedKey:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(client=client, prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key))
    session.add(row)
    session.flush()
    return IssuedKey(client_id=client.id, key_id=row.id, prefix=row.prefix, key=key)


def create_client(session: Session, *, role: str, name: str) -> IssuedKey:
    """Create an API client with its first key."""
    if role not in ROLES:
        raise InvalidInput.field("role", f"must be one of {', '.join(ROLES)}")
    if not name.strip() or len(name) > 200:
        raise InvalidInput.field("name", "must be 1 to 200 characters")
    client = ApiClient(name=name.strip(), role=role)
    session.add(client)
    return _new_key(session, client)


def add_key(session: Session, client_id: uuid.UUID) -> IssuedKey:
    """Another key for an existing client, so that keys can be rotated without downtime."""
    client = session.get(ApiClient, client_id)
    if client is None:
        raise NotFound(f"no API client {client_id}")
    return _new_key(session, client)


def revoke_key(session: Session, prefix: str, *, now: datetime) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(f"no API key with prefix {prefix}")
    if key.revoked_at is None:
        key.revoked_at = now
        event.listen(session, "after_commit", _forget_cached_keys, once=True)
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.prefix)))


def authenticate(session: Session, key: str) -> Actor | None:
    """The actor behind a presented key, or None when the key is unknown or revoked."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    row = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    )
    if row is None:
        return None
    return Actor(client_id=row.client_id, role=row.client.role, name=row.client.name)


# -- the API's cache of looked-up keys ---------------------------------------------------------

KEY_CACHE_SECONDS = 5.0
"""How long a process trusts a key it looked up: the longest a key revoked in another process
keeps working."""

_revocations = itertools.count(1)
_revocation = 0
"""Grows when a revocation commits in this process; entries cached before it are not trusted."""


def _forget_cached_keys(_session: Session) -> None:
    global _revocation
    _revocation = next(_revocations)


class KeyCache:
    """The actors behind keys that were valid when looked up, for ``ttl`` seconds of ``clock``.

    Unknown and revoked keys are not kept (someone guessing keys cannot fill the memory); at most
    ``size`` keys are, the oldest making way.
    """

    def __init__(self, ttl: float = KEY_CACHE_SECONDS, *, size: int = 1024, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._entries: dict[str, tuple[Actor, float, int]] = {}

    def get(self, key: str) -> Actor | None:
        entry = self._entries.get(hash_key(key))
        if entry is None:
            return None
        actor, until, revocation = entry
        if self.clock() >= until or revocation != _revocation:
            return None
        return actor

    def put(self, key: str, actor: Actor) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.size:
            self._entries.pop(next(iter(self._entries)), None)
        self._entries[hash_key(key)] = (actor, self.clock() + self.ttl, _revocation)
