"""Who is calling: the API client behind the bearer key of a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

ADMIN = "admin"
PLATFORM = "platform"
ROLES = (ADMIN, PLATFORM)


@dataclass(frozen=True)
class Actor:
    client_id: uuid.UUID
    role: str
    name: str

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN
