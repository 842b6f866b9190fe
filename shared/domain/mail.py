"""The e-mail that carries one invitation (iMIP, RFC 6047), and plain notices (an alarm, a
reminder), built with the standard library.

Shape of the message, as Outlook, Gmail and Apple Mail recognise an invitation::

    multipart/alternative
      text/plain; charset=utf-8                       the human-readable text (quoted-printable)
      text/calendar; charset=UTF-8; method=REQUEST    the iTIP object (base64)

The calendar part travels in base64 so its CRLF line ends and UTF-8 reach the client byte for
byte, without depending on 8BITMIME (MS-OXCMAIL allows base64 or 8bit for this part). Its
``method`` parameter must equal the object's METHOD (RFC 6047 2.4); a mismatch is refused here.

The Message-ID is derived from what the message *is* — its ``identity``, such as kind, person,
session and SEQUENCE — never from its date or text: a mail sent again because its sender died
before it heard the server's answer carries the Message-ID of the first attempt, so the receiver
can recognise the copy. The MIME boundary comes from the same digest, so the same input gives
the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from icalendar import Calendar

from shared.domain.i18n import language_of
from shared.domain.ics import METHODS, Contact


def build_invitation_email(
    *,
    ics: bytes,
    method: str,
    sender: Contact,
    recipient: Contact,
    subject: str,
    text: str,
    identity: Sequence[str],
    message_id_domain: str,
    date: datetime,
) -> EmailMessage:
    """The iMIP message with ``text`` for people and ``ics`` for their calendar; its Message-ID
    names ``identity`` (see :func:`invitation_identity`)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    body_method = _method_of(ics)
    if body_method != method:
        raise ValueError(f"method={method} but the iCalendar object says METHOD:{body_method}")
    if date.utcoffset() is None:
        raise ValueError("date must be an aware datetime")

    message = EmailMessage()
    message["From"] = _address(sender)
    message["To"] = _address(recipient)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    digest = _digest(identity)
    message["Message-ID"] = f"<{digest[:40]}@{message_id_domain}>"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(ics, maintype="text", subtype="calendar", cte="base64")
    plain, calendar = message.iter_parts()
    plain["Content-Language"] = language_of(recipient.language)
    # Stored as written: set_param() would quote the values (valid MIME, but RFC 6047's
    # examples and the major clients write them bare, and naive matchers look for that).
    del calendar["Content-Type"]
    calendar.set_raw("Content-Type", f"text/calendar; charset=UTF-8; method={method}")
    del calendar["MIME-Version"]
    # "=_" cannot occur in base64 or quoted-printable text, so the boundary is safe; fixing it
    # (instead of the generator's random one) makes the whole message reproducible.
    message.set_boundary(f"=_intervisie_{digest[40:64]}")
    return message


def _method_of(ics: bytes) -> str | None:
    """The METHOD of the VCALENDAR itself, as icalendar reads it (``None`` when there is none)."""
    method = Calendar.from_ical(ics).get("METHOD")
    return str(method).strip().upper() if method is not None else None


def _address(contact: Contact) -> Address:
    username, at, domain = contact.email.strip().rpartition("@")
    if not at or not username or not domain:
        raise ValueError(f"not a usable e-mail address: {contact.email!r}")
    return Address(display_name=contact.name, username=username, domain=domain)


def invitation_identity(*, method: str, session_id: str, sequence: int, person: str) -> tuple[str, ...]:
    """What an invitation is: one iTIP method about one SEQUENCE of one session, to one person.
    Every new message to a person about a session carries a higher SEQUENCE than the last they
    were sent (:func:`shared.domain.attendance.sequence_to_send`), so no two invitations share
    an identity, while every attempt at one has the same."""
    return ("invitation", method, session_id, str(sequence), person)


def notice_identity(key: str) -> tuple[str, ...]:
    """What a notice (an alarm, a reminder) is: its unique key, which names kind, session and person."""
    return ("notice", key)


def _digest(identity: Sequence[str]) -> str:
    """A hex digest of ``identity`` (for the Message-ID and the boundary); each part is
    length-prefixed, so that parts cannot run into each other."""
    if not identity:
        raise ValueError("a message needs an identity for its Message-ID")
    digest = hashlib.sha256()
    for part in identity:
        encoded = part.encode()
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


def build_notice_email(
    *, sender: Contact, recipient: Contact, subject: str, text: str, identity: Sequence[str], message_id_domain: str,
    date: datetime,
) -> EmailMessage:
    """A plain-text mail (an alarm, a reminder): no calendar part; its Message-ID names
    ``identity`` (see :func:`notice_identity`)."""
    if date.utcoffset() is None:
        raise ValueError("date must be an aware datetime")
    message = EmailMessage()
    message["From"] = _address(sender)
    message["To"] = _address(recipient)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    digest = _digest(identity)
    message["Message-ID"] = f"<{digest[:40]}@{message_id_domain}>"
    message["Content-Language"] = language_of(recipient.language)
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    return message
