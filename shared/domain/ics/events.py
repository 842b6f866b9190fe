"""The sessions a calendar shows, and who sends and receives calendar mail: the values that the
invitations, the feeds and the texts in them are written from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .. import meeting_links

KINDS = ("guided", "self_directed")
STATUSES = ("scheduled", "cancelled")


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone who sends or receives calendar mail."""

    name: str
    email: str
    language: str = "nl"


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One intervision session as the calendar shows it."""

    uid: str
    sequence: int
    number: int
    kind: str
    guided_total: int
    start: datetime
    end: datetime
    timezone: str
    status: str
    group_name: str
    theme: str | None
    meeting_url: str | None
    chair_name: str | None
    last_modified: datetime
    organizer: Contact
    facilitator: Contact | None = None
    """Who guides a guided session (the organizer is the programme, which receives the replies)."""

    def __post_init__(self) -> None:
        for name in ("start", "end", "last_modified"):
            if getattr(self, name).utcoffset() is None:
                raise ValueError(f"SessionEvent.{name} must be an aware datetime")
        if self.end <= self.start:
            raise ValueError("SessionEvent.end must be after its start")
        if self.kind not in KINDS:
            raise ValueError(f"SessionEvent.kind must be one of {KINDS}, not {self.kind!r}")
        if self.status not in STATUSES:
            raise ValueError(f"SessionEvent.status must be one of {STATUSES}, not {self.status!r}")
        if self.sequence < 0:
            raise ValueError("SessionEvent.sequence cannot be negative")
        if not self.uid or has_control(self.uid):
            raise ValueError("SessionEvent.uid must be a non-empty single line")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not halfway through a feed

    @property
    def meeting_link(self) -> str | None:
        """The meeting link as every calendar, mail and page writes it (percent-encoded where a
        URI may not hold a character), or None. A stored ``meeting_url`` that is no http(s) link
        leaves out only the link: the session itself is still shown (see
        :mod:`shared.domain.meeting_links`)."""
        return meeting_links.to_uri(self.meeting_url) if self.meeting_url else None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character (a line break among them)."""
    return _CONTROL.search(text) is not None
