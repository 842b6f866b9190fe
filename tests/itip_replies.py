"""REPLY messages as calendar apps send them, made with two independent libraries.

``icalendar_reply`` builds one with icalendar, ``vobject_reply`` with vobject; the ``*_mail``
helpers wrap a REPLY the way Outlook (multipart/alternative, base64 calendar part), Google
Calendar (alternative, quoted-printable, with an attached ``invite.ics`` too) and Apple Calendar
(multipart/mixed with the REPLY as an ``iCal-*.ics`` attachment) do. The extra properties those
clients write (X-MICROSOFT-*, X-GOOGLE-*, a COMMENT, DTSTART/DTEND, ORGANIZER) are included.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP

import vobject
from dateutil import tz
from icalendar import Calendar, Event, vCalAddress


def icalendar_reply(
    uid: str, email: str, partstat: str, *, sequence: int = 0, method: str = "REPLY", comment: str | None = None,
    dtstamp: datetime = datetime(2026, 1, 4, 9, 30, tzinfo=UTC), recurrence_id: datetime | None = None,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", dtstamp)
    if recurrence_id is not None:
        event.add("recurrence-id", recurrence_id)
    event.add("dtstart", datetime(2027, 1, 12, 18, 0, tzinfo=UTC))
    event.add("dtend", datetime(2027, 1, 12, 19, 30, tzinfo=UTC))
    event.add("summary", "Geaccepteerd: Intervisie")
    event["organizer"] = vCalAddress("mailto:intervisie@example.org")
    attendee = vCalAddress(f"MAILTO:{email}")
    attendee.params["PARTSTAT"] = partstat
    attendee.params["CN"] = "Deelnemer"
    event.add("attendee", attendee)
    event.add("x-microsoft-cdo-replytime", "20270104T093000Z")
    if comment is not None:
        event.add("comment", comment)
    calendar.add_component(event)
    return calendar.to_ical()


def vobject_reply(uid: str, email: str, partstat: str, *, sequence: int = 0) -> bytes:
    calendar = vobject.iCalendar()
    calendar.add("method").value = "REPLY"
    calendar.add("prodid").value = "-//Google Inc//Google Calendar 70.9054//EN"
    event = calendar.add("vevent")
    event.add("uid").value = uid
    event.add("sequence").value = str(sequence)
    event.add("dtstamp").value = datetime(2027, 1, 4, 9, 30, tzinfo=tz.tzutc())
    event.add("dtstart").value = datetime(2027, 1, 12, 18, 0, tzinfo=tz.tzutc())
    attendee = event.add("attendee")
    attendee.value = f"mailto:{email}"
    attendee.params["PARTSTAT"] = [partstat]
    attendee.params["X-NUM-GUESTS"] = ["0"]
    event.add("x-google-conference").value = "https://meet.google.com/abc-defg-hij"
    return calendar.serialize().encode()


def _mail(sender: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "intervisie@example.org"
    message["Subject"] = subject
    return message


def outlook_mail(reply: bytes, sender: str) -> bytes:
    """multipart/alternative: text, then text/calendar; method=REPLY in base64."""
    message = _mail(sender, "Geaccepteerd: Intervisie")
    message.set_content("Deelnemer heeft uw uitnodiging geaccepteerd.")
    message.add_alternative(reply, maintype="text", subtype="calendar", cte="base64", params={"method": "REPLY"})
    return message.as_bytes(policy=SMTP)


def google_mail(reply: bytes, sender: str) -> bytes:
    """multipart/mixed: an alternative (text, calendar in quoted-printable) and invite.ics."""
    message = _mail(sender, "Invitation: Intervisie @ Tue 12 Jan 2027 19:00")
    message.set_content("Deelnemer has accepted this invitation.")
    message.add_alternative(reply.decode(), subtype="calendar", cte="quoted-printable", params={"method": "REPLY"})
    message.add_attachment(reply, maintype="application", subtype="ics", filename="invite.ics")
    return message.as_bytes(policy=SMTP)


def apple_mail(reply: bytes, sender: str) -> bytes:
    """multipart/mixed: a text part and the REPLY as an attached .ics."""
    message = _mail(sender, "Uitnodiging: Intervisie (Geaccepteerd)")
    message.set_content("")
    message.add_attachment(reply, maintype="text", subtype="calendar", filename="iCal-20270104-093000.ics", params={"method": "REPLY"})
    return message.as_bytes(policy=SMTP)


def reply_to(invitation: str | bytes, email: str, partstat: str, *, comment: str | None = None,
             dtstamp: datetime | None = None) -> bytes:
    """The REPLY a calendar writes to the invitation it holds: that invitation's UID and SEQUENCE."""
    event = Calendar.from_ical(invitation).walk("VEVENT")[0]
    return icalendar_reply(
        str(event["UID"]), email, partstat, sequence=int(event.get("SEQUENCE", 0)), comment=comment,
        dtstamp=dtstamp or datetime.now(UTC),
    )


def mail_from(reply: bytes, header_from: str, *, charset: str | None = None, subject: str = "Antwoord") -> bytes:
    """An Outlook-shaped mail whose From header is ``header_from`` (the envelope is the caller's);
    with ``charset``, the calendar part is in that charset and says so."""
    message = _mail(header_from, subject)
    message.set_content("Antwoord op uw uitnodiging.")
    params = {"method": "REPLY", **({"charset": charset} if charset else {})}
    body = reply.decode("utf-8").encode(charset) if charset else reply
    message.add_alternative(body, maintype="text", subtype="calendar", cte="base64", params=params)
    return message.as_bytes(policy=SMTP)


def many_replies_mail(replies: list[bytes], sender: str) -> bytes:
    """One mail with every REPLY of ``replies`` attached as its own calendar part."""
    message = _mail(sender, "Antwoorden")
    message.set_content("Veel antwoorden.")
    for reply in replies:
        message.add_attachment(reply.decode(), subtype="calendar", cte="7bit", params={"method": "REPLY"})
    return message.as_bytes(policy=SMTP)


def thunderbird_reply(uid: str, email: str, partstat: str, *, sequence: int = 0, comment: str | None = None) -> bytes:
    """A REPLY as Thunderbird writes it: its own PRODID and X-MOZ properties, a floating-free
    UTC DTSTAMP, the ATTENDEE with ROLE and RSVP kept, and a COMMENT in UTF-8 when one was typed."""
    lines = [
        "BEGIN:VCALENDAR", "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN", "VERSION:2.0", "METHOD:REPLY",
        "BEGIN:VEVENT", "CREATED:20270104T093000Z", "LAST-MODIFIED:20270104T093000Z", "DTSTAMP:20260104T093000Z",
        f"UID:{uid}", "SUMMARY:Intervisie", "ORGANIZER;CN=Intervisie:mailto:intervisie@example.org",
        f"ATTENDEE;RSVP=TRUE;PARTSTAT={partstat};ROLE=REQ-PARTICIPANT:mailto:{email}",
        "DTSTART:20270112T180000Z", "DTEND:20270112T193000Z", f"SEQUENCE:{sequence}",
        "X-MOZ-RECEIVED-SEQUENCE:0", "X-MOZ-RECEIVED-DTSTAMP:20260104T093000Z", "X-MOZ-GENERATION:1",
        *([f"COMMENT:{comment}"] if comment else []), "END:VEVENT", "END:VCALENDAR", "",
    ]
    return "\r\n".join(lines).encode("utf-8")


def thunderbird_mail(reply: bytes, sender: str) -> bytes:
    """multipart/mixed: a text part, the REPLY as text/calendar in 8bit UTF-8, and invite.ics."""
    message = _mail(sender, "Geaccepteerd: Intervisie")
    message.set_content("Deelnemer heeft uw uitnodiging geaccepteerd.", cte="8bit")
    message.add_attachment(reply.decode(), subtype="calendar", cte="8bit", disposition="inline", params={"method": "REPLY"})
    message.add_attachment(reply, maintype="application", subtype="ics", filename="invite.ics")
    return message.as_bytes(policy=SMTP)
