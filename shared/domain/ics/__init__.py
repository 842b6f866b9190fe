"""iCalendar output: iTIP invitations (RFC 5546) and subscribable feeds.

Three kinds of object come out of here, all as UTF-8 bytes with CRLF line ends:

* :func:`build_invitation` — one ``VCALENDAR`` for one recipient and one change of one session:
  ``METHOD:REQUEST`` for a new or changed session, ``METHOD:CANCEL`` for a cancelled session or
  for a member who left. Only that recipient appears as ``ATTENDEE``, so no member's address
  reaches the others.
  :func:`build_invitations` writes the same bytes for every recipient of one change at once.
* :func:`build_feed` — ``METHOD:PUBLISH`` with every session of a facilitator, participant or
  group: no ``ATTENDEE`` lines, cancelled sessions kept with ``STATUS:CANCELLED``, and the same
  bytes for the same data (``DTSTAMP`` is the event's last change, never "now").
* :func:`build_calendar_object` — one session without ``METHOD``, as a CalDAV server stores it.

Every component is built and serialised by icalendar (folding, escaping, parameter quoting and
CRLF are its work). Each ``VEVENT`` gets its property objects ready-made (``vText``,
``vDatetime``, ...) instead of going through ``Component.add``, which looks the type up and
converts again. A feed is the calendar's own properties plus the ``to_ical()`` bytes of each
``VTIMEZONE`` and ``VEVENT``, which are kept in bounded caches keyed by the (frozen) event and
the language: folding is most of icalendar's cost, and an unchanged session need not be
folded again (see ``bench/ics_feed.py``). The bytes are those icalendar writes for the whole
tree, which a unit test checks. The invitations of one change are put together the same way from
content lines (:func:`build_invitations`), folded by ``invitations._folded`` rather than icalendar's
character-by-character loop; unit tests hold both to icalendar's bytes. Every ``TZID`` gets a
``VTIMEZONE`` in the yearly-rule form from :mod:`shared.domain.vtimezone`; a session in UTC is
written with ``Z`` and needs none (icalendar never writes ``TZID=UTC``, as RFC 5545 3.2.19 asks).

Choices that are not obvious from the RFCs:

* A member who left gets ``METHOD:CANCEL`` with ``STATUS:CANCELLED`` and herself as the only
  ``ATTENDEE``. RFC 5546 3.2.5 would have the organizer leave ``STATUS`` out when only some
  attendees are uninvited, but that distinction exists for a message listing the whole
  attendee list; this one is addressed to her alone, and for her the session is off. It is
  also the form Outlook/Exchange and Google Calendar send to a removed guest, so every client
  (Apple Calendar included) removes or strikes the event, whereas a CANCEL without STATUS is
  handled inconsistently (some clients keep the event, some call it "cancelled" anyway).
* The ``ORGANIZER`` is the programme (its reply address and name), for guided sessions too: a
  calendar sends its REPLY to the organizer, and the service reads replies there. The
  facilitator is an ``ATTENDEE`` with ``ROLE=CHAIR`` in her own invitation.
* Feeds keep ``ORGANIZER`` (with its ``CN``): RFC 5546 3.2.1 requires it in a PUBLISH'ed
  VEVENT (libical rejects the feed without it). Members' addresses (``ATTENDEE``) never appear
  in a feed.
* A cancelled session is ``TRANSP:TRANSPARENT`` and its SUMMARY starts with "Geannuleerd:",
  because Google and Outlook draw a subscribed ``STATUS:CANCELLED`` event like any other.
* The meeting link is written as :mod:`shared.domain.meeting_links` makes it, in LOCATION, URL,
  CONFERENCE and the DESCRIPTION alike: percent-encoded where a URI may not hold a character
  (Teams puts JSON in its query), so every client's click reaches the same meeting. A stored
  value that is no http(s) link leaves those out instead of failing the feed it is in.

The modules: ``events`` (the session and its people, as values), ``rendering`` (a session's
VEVENT, the calendar and its VTIMEZONEs, addresses, and the published feed and CalDAV object)
and ``invitations`` (the iTIP REQUEST and CANCEL for each recipient, built on ``rendering``).
"""

from __future__ import annotations

from . import invitations, rendering
from .events import KINDS, STATUSES, Contact, SessionEvent
from .invitations import METHODS, ROLES, Invitee, build_invitation, build_invitations
from .rendering import (
    ALARM_BEFORE,
    PRODID,
    REFRESH,
    RENDERING_VERSION,
    build_calendar_object,
    build_feed,
    feed_last_modified,
    memoised_vevent,
    published_vevent,
    rendering_key,
)

__all__ = [
    "ALARM_BEFORE",
    "KINDS",
    "METHODS",
    "PRODID",
    "REFRESH",
    "RENDERING_VERSION",
    "ROLES",
    "STATUSES",
    "Contact",
    "Invitee",
    "SessionEvent",
    "build_calendar_object",
    "build_feed",
    "build_invitation",
    "build_invitations",
    "clear_caches",
    "feed_last_modified",
    "memoised_vevent",
    "published_vevent",
    "rendering_key",
]


def clear_caches() -> None:
    """Forget every serialised event, zone and invitation line (for benchmarks of a cold start)."""
    rendering.clear_caches()
    invitations.clear_caches()
