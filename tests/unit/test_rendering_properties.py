"""No single stored value takes down more than itself: whatever the API accepts for a field that
reaches a calendar, a mail or a page renders there, reads back as it was meant, and is escaped
in HTML; the other sessions and recipients next to it render as before.

The values are generated as text and kept only when the API's own schema loads them, so the
property follows the contract: when a schema starts to accept more, more is tested at once.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import jinja2
import marshmallow as ma
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.api.resources.public_feeds import _shown
from services.api.schemas.groups import GroupInputSchema
from services.api.schemas.people import FacilitatorInputSchema, ParticipantInputSchema
from shared.domain import i18n, meeting_links, texts
from shared.domain.ics import (
    Contact,
    Invitee,
    SessionEvent,
    build_calendar_object,
    build_feed,
    build_invitation,
    build_invitations,
)
from shared.domain.mail import build_invitation_email, build_notice_email, invitation_identity, notice_identity
from shared.domain.model import LANGUAGES
from tests.unit.test_meeting_links import HANDED_OUT

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ISSUED = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
PROGRAMME = Contact("Intervisie namens het programma", "agenda@intervisie.example")
PLAIN_MEMBER = Contact("Mark de Vries", "mark@school.example")
ANSWER_LINK = "https://intervisie.example/answer/" + "a" * 43
TEMPLATES = Path(__file__).parents[2] / "services" / "api" / "templates"

# --- what the API accepts ----------------------------------------------------------------------

LINKS = [given for given, _written in HANDED_OUT.values()]
# Pieces that have broken a writer somewhere: markup, iCalendar and parameter delimiters,
# RFC 6868 carets, format fields, the invitation template's placeholder, line and paragraph
# separators that str.splitlines() breaks on, bidi overrides, escapes that are there already.
HOSTILE = [
    "<script>alert(1)</script>", "</textarea>", "&amp;", '"', "'", "\\", "\\n", ";", ",", ":", "^", "^n", "^'",
    "{", "}", "{name}", "{answer link}", "%s", "%3a", "%", "%zz", "#", "?", "&", "=", "/", "@", " ", "  ",
    "\u00a0", "\u0085", "\u2028", "\u2029", "\u202e", "\u200b", "\ufeff", "é", "ß", "😀", "—",
    "BEGIN:VEVENT", "END:VCALENDAR", "mailto:", "=?utf-8?q?x?=", "\t", "\n", "\r\n", "\x00", "\x1b",
]


def text(max_size: int) -> st.SearchStrategy[str]:
    """Any Unicode text, and text made of the pieces above (hypothesis rarely finds those alone)."""
    pieces = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6)), max_size=16).map("".join)
    return st.one_of(st.text(max_size=max_size), pieces, st.builds(str.__add__, pieces, st.text(max_size=max_size)))


_REFUSED = object()


def accepted(schema: ma.Schema, field: str, candidates: st.SearchStrategy) -> st.SearchStrategy:
    """The candidates that ``schema`` takes for ``field``, as it loads them."""

    def load(value):
        try:
            return schema.load({field: value}, partial=True)[field]
        except ma.ValidationError:
            return _REFUSED

    return candidates.map(load).filter(lambda loaded: loaded is not _REFUSED)


HOSTS = [
    "teams.microsoft.com", "meet.jit.si", "bücher.example", "BÜCHER.example", "straße.example", "[2001:db8::1]",
    "meet.example.org:8443", "gast:ge%20heim@meet.example.org", "MEET.EXAMPLE.ORG", "meet_example.org", "localhost",
]
meeting_urls = accepted(GroupInputSchema(), "meeting_url", st.one_of(
    st.sampled_from(LINKS),
    st.builds(str.__add__, st.sampled_from(LINKS), text(300)),
    st.builds(
        lambda scheme, host, rest: f"{scheme}{host}{rest}",
        st.sampled_from(["https://", "http://", "HTTPS://", " https://"]),
        st.sampled_from(HOSTS),
        st.one_of(st.just(""), st.builds(str.__add__, st.sampled_from(["/", "?", "#", " ", ":"]), text(300))),
    ),
))
group_names = accepted(GroupInputSchema(), "name", text(220))
themes = accepted(GroupInputSchema(), "theme", st.one_of(st.none(), st.from_regex(r"[a-z][a-z0-9_]{0,70}", fullmatch=True)))
participant_names = accepted(ParticipantInputSchema(), "name", text(220))
facilitator_names = accepted(FacilitatorInputSchema(), "name", text(220))
DOMAINS = ["school.example.nl", "bücher.example", "[127.0.0.1]", "localhost", "x.example"]


def emails(schema: ma.Schema) -> st.SearchStrategy[str]:
    return accepted(schema, "email", st.one_of(
        st.emails(),
        st.builds(lambda local, domain: f"{local}@{domain}", text(40), st.sampled_from(DOMAINS)),
        st.builds(lambda local, domain: f'"{local}"@{domain}', text(20), st.sampled_from(DOMAINS)),
    ))


# A decline's comment: the answer page keeps up to 500 characters, a calendar's REPLY as many.
comments = st.one_of(st.none(), text(500).filter(lambda comment: len(comment) <= 500))


@dataclasses.dataclass(frozen=True)
class Stored:
    """One of everything a session's calendar, mails and pages show, as the API stored it."""

    group_name: str
    meeting_url: str | None
    theme: str | None
    facilitator: Contact
    member: Contact
    chair_name: str
    comment: str | None
    kind: str
    cancelled: bool

    def event(self, **changes) -> SessionEvent:
        values = dict(
            uid="6f1c2d1e-0000-4000-8000-000000000002@intervisie", sequence=3, number=2, kind=self.kind,
            guided_total=3, start=datetime(2027, 3, 30, 19, 30, tzinfo=AMSTERDAM),
            end=datetime(2027, 3, 30, 21, 0, tzinfo=AMSTERDAM), timezone="Europe/Amsterdam",
            status="cancelled" if self.cancelled else "scheduled", group_name=self.group_name, theme=self.theme,
            meeting_url=self.meeting_url, chair_name=self.chair_name if self.kind == "self_directed" else None,
            last_modified=datetime(2027, 1, 4, 15, 12, 7, tzinfo=UTC), organizer=PROGRAMME,
            facilitator=self.facilitator if self.kind == "guided" else None,
        )
        return SessionEvent(**{**values, **changes})

    @property
    def method(self) -> str:
        return "CANCEL" if self.cancelled else "REQUEST"


languages = st.sampled_from(LANGUAGES)
stored_values = st.builds(
    Stored,
    group_name=group_names,
    meeting_url=st.builds(lambda kept, link: link if kept else None, st.integers(0, 4), meeting_urls),  # a group may have none
    theme=themes,
    facilitator=st.builds(Contact, facilitator_names, emails(FacilitatorInputSchema()), languages),
    member=st.builds(Contact, participant_names, emails(ParticipantInputSchema()), languages),
    chair_name=participant_names,
    comment=comments,
    kind=st.sampled_from(["guided", "self_directed"]),
    cancelled=st.booleans(),
)


def plain_event() -> SessionEvent:
    """Another group's session, next to the stored values in a feed."""
    return Stored(
        "Middenbouw Utrecht", LINKS[2], None, Contact("Fenna Jansen", "fenna@school.example"), PLAIN_MEMBER,
        "Mark de Vries", None, "guided", False,
    ).event(uid="plain@intervisie", start=datetime(2027, 4, 6, 19, 30, tzinfo=AMSTERDAM),
            end=datetime(2027, 4, 6, 21, 0, tzinfo=AMSTERDAM))


# --- how a reader reads it back ----------------------------------------------------------------

URI = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
"""The characters RFC 3986 lets a URI hold."""


def vevents(ics: bytes) -> list[icalendar.Event]:
    return icalendar.Calendar.from_ical(ics).walk("VEVENT")


_TEXT_ESCAPE = re.compile(r"\\([\\;,nN])")


def text_value(raw) -> str:
    """A calendar property icalendar does not know (``X-WR-CALNAME``, RFC 7986 ``NAME``) read as
    the TEXT a client reads it as: icalendar hands it over still escaped (RFC 5545 3.3.11)."""
    return _TEXT_ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), str(raw))


def assert_the_link_reaches_the_given_meeting(vevent: icalendar.Event, meeting_url: str | None) -> None:
    link = meeting_links.to_uri(meeting_url) if meeting_url else None
    if link is None:
        assert "URL" not in vevent and "CONFERENCE" not in vevent
        return
    assert str(vevent["URL"]) == str(vevent["CONFERENCE"]) == str(vevent["LOCATION"]) == link
    assert URI.fullmatch(link), link
    # urllib splits what was given and what is written; decoded, each part is the same.
    given, written = urlsplit(meeting_url.strip()), urlsplit(link)
    assert written.scheme == given.scheme
    assert written.hostname == (given.hostname.encode("idna").decode().lower() if not given.hostname.isascii() else given.hostname)
    assert written.port == given.port
    for part in ("username", "password", "path", "query", "fragment"):
        assert unquote(getattr(written, part) or "") == unquote(getattr(given, part) or ""), part


def shown_name(name: str) -> str:
    """A name as a CN parameter holds it: one line, and an apostrophe for a double quote, which
    Outlook would show escaped."""
    return "".join(" " if c in "\r\n\t" else c for c in name if c >= " " or c in "\r\n\t").replace('"', "'")


def assert_the_subject_reads_back(read: email.message.EmailMessage, subject: str) -> None:
    """The subject a mail client shows has the characters written. Limits of the standard
    library's header folding are left to it, as each changes only how that one subject reads: a
    fold before an encoded word doubles the space there, the space between two encoded words is
    lost, and text that looks like an encoded word (``=?utf-8?q?…?=``) is written as it is, so a
    client decodes it."""
    if "=?" not in subject:
        assert "".join(read["Subject"].split()) == "".join(subject.split())


class _Page(HTMLParser):
    """The elements of a page and the text a browser shows, with references resolved."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append(tag)
        self.links += [value for name, value in attrs if name == "href"]

    def handle_endtag(self, tag):
        self.elements.append("/" + tag)

    def handle_data(self, data):
        self.text.append(data)


def shown_alike(stored: Stored) -> Stored:
    """``stored`` with every text replaced by a plain one of the same truth: the page it gives has
    the same elements, unless a value adds or closes one."""
    plain = {
        "group_name": "Groep", "meeting_url": LINKS[2] if meeting_links.to_uri(stored.meeting_url or "") else None,
        "facilitator": dataclasses.replace(stored.facilitator, name="Fenna", email="fenna@school.example"),
        "member": dataclasses.replace(stored.member, name="Mark", email="mark@school.example"),
        "chair_name": "Mark", "comment": "Ziek" if stored.comment else stored.comment,
    }
    return dataclasses.replace(stored, **plain)


_ENVIRONMENT = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html"]))


def subscribe_page(stored: Stored, language: str) -> str:
    """The subscribe page of a member's feed, its sessions as the view lists them."""
    _ = i18n.translator(language)
    links = dict.fromkeys(("apple", "google", "outlook", "outlook365", "ics"), "https://intervisie.example/feeds/x")
    return _ENVIRONMENT.get_template("feed.html").render(
        **_.template_context(), name=f"Intervisie – {stored.member.name}", groups=None, nonce="n",
        sessions=[_shown(stored.event(), language, "Europe/Amsterdam"), _shown(plain_event(), language, "Europe/Amsterdam")],
        links=links,
    )


def answer_page(stored: Stored, language: str) -> str:
    """The answer page with the stored comment, as :mod:`services.api.resources.answers` fills it."""
    _ = i18n.translator(language)
    event = stored.event()
    return _ENVIRONMENT.get_template("answer.html").render(
        **_.template_context(), group=stored.group_name, session=texts.session_label(event, language),
        theme=event.theme, when=texts.when(event, language), meeting_url=stored.meeting_url,
        answers=[("declined", "Nee")], chosen="declined", current="Nee", comment=stored.comment, recorded=False,
        problem=None, csrf="0" * 64,
    )


# --- the properties ----------------------------------------------------------------------------


@SETTINGS
@given(stored=stored_values)
def test_every_accepted_value_reaches_each_invitation_which_reads_back_as_written(stored):
    event = stored.event()
    invitees = [
        Invitee(stored.facilitator, "CHAIR", ANSWER_LINK),
        Invitee(stored.member, "REQ-PARTICIPANT", ANSWER_LINK),
        Invitee(PLAIN_MEMBER, "REQ-PARTICIPANT", None),
    ]
    built = build_invitations(event, invitees, method=stored.method, issued_at=ISSUED, sent_by=PROGRAMME.email)
    for invitee, ics in zip(invitees, built, strict=True):
        assert ics == build_invitation(
            event, invitee.contact, method=stored.method, role=invitee.role, issued_at=ISSUED,
            sent_by=PROGRAMME.email, answer_url=invitee.answer_url,
        )
        (vevent,) = vevents(ics)
        language = texts.language_of(invitee.contact.language)
        assert str(vevent["SUMMARY"]) == texts.summary(event, language)
        assert str(vevent["DESCRIPTION"]) == texts.description(event, language, answer_url=invitee.answer_url)
        attendee = vevent["ATTENDEE"]
        address = invitee.contact.email.strip()
        assert str(attendee).startswith("mailto:") and str(attendee).endswith("@" + address.rpartition("@")[2])
        assert not set('"\\ <>') & set(str(attendee)), attendee  # a quoted local part is percent-encoded
        assert attendee.params["CN"] == shown_name(invitee.contact.name)
        assert_the_link_reaches_the_given_meeting(vevent, stored.meeting_url)


@SETTINGS
@given(stored=stored_values, language=languages)
def test_every_accepted_value_reaches_the_feed_without_taking_the_other_sessions_with_it(stored, language):
    name = f"Intervisie – {stored.facilitator.name}"
    feed = build_feed([stored.event(), plain_event()], calendar_name=name, timezone="Europe/Amsterdam", language=language)
    calendar = icalendar.Calendar.from_ical(feed)
    assert text_value(calendar["X-WR-CALNAME"]) == text_value(calendar["NAME"]) == name
    mine, plain = calendar.walk("VEVENT")
    assert str(mine["SUMMARY"]) == texts.summary(stored.event(), language)
    assert str(mine["DESCRIPTION"]) == texts.description(stored.event(), language)
    assert_the_link_reaches_the_given_meeting(mine, stored.meeting_url)
    assert str(plain["UID"]) == "plain@intervisie" and str(plain["URL"]) == LINKS[2]
    (stored_alone,) = vevents(build_calendar_object(stored.event(), language=language))
    assert str(stored_alone["SUMMARY"]) == str(mine["SUMMARY"])


@SETTINGS
@given(stored=stored_values)
def test_every_accepted_value_reaches_the_mails_which_a_mail_client_reads_back(stored):
    event = stored.event()
    recipient = stored.member
    notice = "cancelled" if stored.cancelled else "new"
    ics = build_invitation(event, recipient, method=stored.method, role="REQ-PARTICIPANT", issued_at=ISSUED)
    language = texts.language_of(recipient.language)
    subject = texts.mail_subject(event, language=language, notice=notice)
    body = texts.mail_text(event, recipient, notice=notice, answer_url=ANSWER_LINK)
    invitation = build_invitation_email(
        ics=ics, method=stored.method, sender=PROGRAMME, recipient=recipient, subject=subject, text=body,
        identity=invitation_identity(method=stored.method, session_id="s", sequence=3, person="p"),
        message_id_domain="intervisie.example", date=ISSUED,
    )
    read = email.message_from_bytes(invitation.as_bytes(), policy=email.policy.default)
    plain, calendar = read.iter_parts()
    assert plain.get_content() == body.replace("\r\n", "\n").replace("\r", "\n") + ("" if body.endswith("\n") else "\n")
    assert calendar.get_payload(decode=True) == ics
    assert_the_subject_reads_back(read, subject)
    link = event.meeting_link
    if link and notice == "new":  # on a line of its own after the label, whole, so a client links all of it
        assert re.search(rf": {re.escape(link)}$", body, flags=re.M)

    for subject, text_ in (
        (texts.reminder_subject(event, language), texts.reminder_text(event, recipient, timezone="Europe/Amsterdam", answer_url=None)),
        (texts.at_risk_subject(event, language), texts.at_risk_text(
            event, stored.facilitator, declined=[(recipient.name, stored.comment), (stored.chair_name, None)],
            alternatives=[event.start])),
    ):
        notice_mail = build_notice_email(
            sender=PROGRAMME, recipient=recipient, subject=subject, text=text_, identity=notice_identity("k"),
            message_id_domain="intervisie.example", date=ISSUED,
        )
        read = email.message_from_bytes(notice_mail.as_bytes(), policy=email.policy.default)
        assert_the_subject_reads_back(read, subject)
        assert read.get_content() == text_ + ("" if text_.endswith("\n") else "\n")


@SETTINGS
@given(stored=stored_values, language=languages)
def test_every_accepted_value_is_escaped_on_the_pages_that_show_it(stored, language):
    for render, shown in (
        (subscribe_page, [stored.member.name, texts.summary(stored.event(), language)]),
        (answer_page, [stored.group_name, stored.comment or ""]),
    ):
        page = _Page(render(stored, language))
        assert page.elements == _Page(render(shown_alike(stored), language)).elements, render.__name__
        for value in shown:
            assert value in "".join(page.text), (render.__name__, value)
    # The subscribe page links the written link, and only an http(s) one.
    link = stored.event().meeting_link
    links = _Page(subscribe_page(stored, language)).links
    if link and not stored.cancelled:
        assert link in links
    assert all(href.startswith(("https://", "http://", "HTTP", "webcal://")) for href in links), links
