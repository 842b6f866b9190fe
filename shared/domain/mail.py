"""The e-mail that carries one invitation (iMIP, RFC 6047), and plain notices (an alarm, a
reminder), built with the standard library.

Shape of the message, as Outlook, Gmail and Apple Mail recognise an invitation::

    multipart/alternative
      text/plain; charset=utf-8                       the human-readable text (quoted-printable)
      text/calendar; charset=UTF-8; method=REQUEST    the iTIP object (base64)

The calendar part travels in base64 so its CRLF line ends and UTF-8 reach the client byte for
byte, without depending on 8BITMIME (MS-OXCMAIL allows base64 or 8bit for this part). Its
``method`` parameter must equal the object's METHOD (RFC 6047 2.4); a mismatch is refused here.
The Message-ID and the MIME boundary are derived from the content, so the same input gives the
same bytes.
"""

from __future__ import annotations

import hashlib
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
    message_id_domain: str,
    date: datetime,
) -> EmailMessage:
    """The iMIP message with ``text`` for people and ``ics`` for their calendar."""
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
    digest = _digest(ics, recipient, date)
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


def _digest(ics: bytes, recipient: Contact, date: datetime) -> str:
    """A hex digest unique to this object, recipient and moment (for Message-ID, boundary)."""
    digest = hashlib.sha256()
    for part in (ics, recipient.email.encode(), date.isoformat().encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def build_notice_email(
    *, sender: Contact, recipient: Contact, subject: str, text: str, message_id_domain: str, date: datetime
) -> EmailMessage:
    """A plain-text mail (an alarm, a reminder): no calendar part."""
    if date.utcoffset() is None:
        raise ValueError("date must be an aware datetime")
    message = EmailMessage()
    message["From"] = _address(sender)
    message["To"] = _address(recipient)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    digest = _digest(f"{subject}\n{text}".encode(), recipient, date)
    message["Message-ID"] = f"<{digest[:40]}@{message_id_domain}>"
    message["Content-Language"] = language_of(recipient.language)
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    return message
