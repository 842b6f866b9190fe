"""Every recipient's invitation of one change at once (``build_invitations``): the very bytes
``build_invitation`` writes for each of them, whatever differs between them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar.parser import Contentline

from shared.domain.ics import Contact, Invitee, build_invitation, build_invitations
from shared.domain.ics.invitations import _folded
from tests.unit.test_ics import ISSUED, session

LINK = "https://intervisie.example/answer/"
INVITEES = [
    Invitee(Contact("Fenna Jansen", "fenna@school.example"), "CHAIR", LINK + "f" * 43),
    Invitee(Contact("Mark de Vries", "mark@school.example"), "REQ-PARTICIPANT", LINK + "m" * 43),
    Invitee(Contact('Anna "Ank" Bos, juf', "anna@school.example", "en"), "REQ-PARTICIPANT", LINK + "a;b,c\\d"),
    Invitee(Contact("Ğül Öztürk – groep 8", "gul@school.example"), "REQ-PARTICIPANT", None),  # planned absent
    Invitee(Contact("Piet Piraat", "piet@school.example", "en"), "REQ-PARTICIPANT", None),
]

EVENTS = {
    "guided": session(),
    "self-directed without a video link": session(kind="self_directed", number=5, chair_name="Mark de Vries", meeting_url=None),
    "cancelled": session(status="cancelled", sequence=3),
    "in UTC": session(start=datetime(2027, 3, 30, 18, 0, tzinfo=UTC), end=datetime(2027, 3, 30, 20, 0, tzinfo=UTC), timezone="UTC"),
    "a group whose name holds the placeholder": session(group_name="Groep {answer link}"),
}


def one_by_one(event, invitees, **options) -> list[bytes]:
    return [
        build_invitation(event, i.contact, role=i.role, answer_url=i.answer_url, **options) for i in invitees
    ]


@pytest.mark.parametrize(
    ("name", "method"),
    [(name, method) for name, event in EVENTS.items() for method in ("REQUEST", "CANCEL")
     if method == "CANCEL" or event.status != "cancelled"],  # a cancelled session is only CANCELled
)
def test_each_recipient_gets_the_bytes_of_their_own_invitation(name, method):
    event = EVENTS[name]
    options = {"method": method, "issued_at": ISSUED}
    assert build_invitations(event, INVITEES, **options) == one_by_one(event, INVITEES, **options)


def test_sent_by_reaches_every_recipient_as_it_reaches_one():
    options = {"method": "REQUEST", "issued_at": ISSUED, "sent_by": "agenda@intervisie.example"}
    assert build_invitations(session(), INVITEES, **options) == one_by_one(session(), INVITEES, **options)


def test_the_same_recipient_in_two_sessions_gets_each_sessions_own_invitation():
    first, second = session(), session(number=3, uid="other@intervisie", sequence=0)
    for event in (first, second):
        options = {"method": "REQUEST", "issued_at": ISSUED}
        assert build_invitations(event, INVITEES[:2], **options) == one_by_one(event, INVITEES[:2], **options)


def test_no_recipients_no_invitations():
    assert build_invitations(session(), [], method="REQUEST", issued_at=ISSUED) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "PUBLISH"}, "method"),
        ({"method": "REQUEST", "event": session(status="cancelled")}, "CANCEL"),
        ({"method": "REQUEST", "issued_at": datetime(2027, 1, 5, 9, 0)}, "aware"),
        ({"method": "REQUEST", "invitees": [Invitee(Contact("X", "x@school.example"), "GUEST")]}, "role"),
        ({"method": "REQUEST", "invitees": [Invitee(Contact("X", "not an address"), "REQ-PARTICIPANT")]}, "e-mail"),
    ],
)
def test_what_one_invitation_refuses_all_of_them_refuse(options, message):
    arguments = {"event": session(), "invitees": INVITEES, "issued_at": ISSUED, **options}
    with pytest.raises(ValueError, match=message):
        build_invitations(arguments.pop("event"), arguments.pop("invitees"), **arguments)


@given(st.text(alphabet=st.sampled_from("ab;:,\\^\"é–—€😀\t x"), max_size=400))
def test_lines_are_folded_exactly_as_icalendar_folds_them(line):
    assert _folded(line) == Contentline(line).to_ical()


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=300))
def test_any_text_is_folded_exactly_as_icalendar_folds_it(line):
    assert _folded(line) == Contentline(line).to_ical()
