"""API clients and their bearer keys.

A key is ``ivk_`` followed by 256 random bits in URL-safe base64. Only its SHA-256 is stored: the
key itself has full entropy, so a fast hash is enough and a lookup is a single indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
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
