"""Meeting links as video services hand them out, written as URIs that reach the same meeting."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from shared.domain.meeting_links import refusal, to_uri

TEAMS = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjQ2@thread.v2/0"
    '?context={"Tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","Oid":"a1b2c3"}'
)
"""A Teams link in the literal form Teams hands out: JSON in the query."""
TEAMS_URI = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjQ2@thread.v2/0"
    "?context=%7B%22Tid%22:%2272f988bf-86f1-41af-91ab-2d7cd011db47%22,%22Oid%22:%22a1b2c3%22%7D"
)
"""The same link as every calendar, mail and page writes it."""

# The literal forms the services hand out (copied from their invitations, ids changed).
HANDED_OUT = {
    "teams": (TEAMS, TEAMS_URI),
    "zoom": ("https://us02web.zoom.us/j/81234567890?pwd=aBcD.1eFgH2iJ", "https://us02web.zoom.us/j/81234567890?pwd=aBcD.1eFgH2iJ"),
    "google meet": ("https://meet.google.com/abc-defg-hij", "https://meet.google.com/abc-defg-hij"),
    "jitsi": (
        'https://meet.jit.si/IntervisieGroepA#config.startWithAudioMuted=true&config.subject="Groep A"',
        "https://meet.jit.si/IntervisieGroepA#config.startWithAudioMuted=true&config.subject=%22Groep%20A%22",
    ),
    "webex": (
        "https://acme.webex.com/acme/j.php?MTID=m0123456789abcdef0123456789abcdef",
        "https://acme.webex.com/acme/j.php?MTID=m0123456789abcdef0123456789abcdef",
    ),
}


@pytest.mark.parametrize(("handed_out", "written"), HANDED_OUT.values(), ids=HANDED_OUT.keys())
def test_a_link_a_video_service_hands_out_is_taken_and_written_as_a_uri(handed_out, written):
    assert refusal(handed_out) is None
    assert to_uri(handed_out) == written
    # The server reads the same request: decoding gives back what the service handed out.
    assert unquote(written) == unquote(handed_out)


@pytest.mark.parametrize(("given", "written"), [
    ("https://meet.jit.si/Intervisie groep A", "https://meet.jit.si/Intervisie%20groep%20A"),
    ("https://meet.example/kamer-é", "https://meet.example/kamer-%C3%A9"),
    ("https://meet.example/a<b>c\\d^e`f|g", "https://meet.example/a%3Cb%3Ec%5Cd%5Ee%60f%7Cg"),
    ("https://meet.example/a[1]?b[]=2", "https://meet.example/a%5B1%5D?b%5B%5D=2"),
    ("https://meet.example/r?a=1,2;b&c=d'e(f)*+!$", "https://meet.example/r?a=1,2;b&c=d'e(f)*+!$"),
])
def test_what_a_uri_may_not_hold_is_percent_encoded_and_what_it_may_is_kept(given, written):
    assert to_uri(given) == written


def test_an_escape_that_is_there_already_is_not_encoded_twice():
    assert to_uri("https://meet.example/19%3ameeting%2Fx?next=%2Fhome") == "https://meet.example/19%3ameeting%2Fx?next=%2Fhome"


def test_a_percent_sign_that_starts_no_escape_is_encoded():
    assert to_uri("https://meet.example/50%korting?p=%zz&q=%4") == "https://meet.example/50%25korting?p=%25zz&q=%254"


def test_the_fragment_keeps_its_place_and_a_second_hash_is_encoded():
    assert to_uri("https://meet.example/room#a=1#b") == "https://meet.example/room#a=1%23b"


def test_a_host_in_another_script_is_written_in_its_idna_form():
    written = to_uri("https://bücher.example/kamer")
    assert written == "https://xn--bcher-kva.example/kamer"
    assert urlsplit(written).hostname.encode().decode("idna") == "bücher.example"


def test_user_info_port_and_an_ipv6_host_keep_their_places():
    assert to_uri("https://gast:geheim@meet.example:8443/r") == "https://gast:geheim@meet.example:8443/r"
    assert to_uri("https://[2001:db8::1]:8443/r") == "https://[2001:db8::1]:8443/r"


def test_surrounding_white_space_is_left_out_as_a_browser_leaves_it_out():
    assert to_uri("  https://meet.example/r\u00a0 ") == "https://meet.example/r"


@pytest.mark.parametrize(("given", "reason"), [
    ("javascript:alert(1)", "http or https"),
    ("ftp://meet.example/r", "http or https"),
    ("meet.example/r", "http or https"),
    ("https:meet.example", "http or https"),
    ("   ", "empty"),
    ("https://meet.example/r\nATTENDEE:mailto:x@example.org", "control characters"),
    ("https://meet.example/r\u0085", "control characters"),
    ("https://meet.example/\ud800", "control characters"),
    ("https:///r", "no host"),
    ("https://straße.example/", "international domain name"),  # IDNA 2003 and browsers disagree
])
def test_what_is_no_http_link_is_refused_and_written_as_no_link(given, reason):
    assert reason in refusal(given)
    assert to_uri(given) is None
