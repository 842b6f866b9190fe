"""Fetching a published calendar from a real HTTP server: conditional GET, gzip, redirects (each
checked again), and the size and time limits; the answers in words without the address."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime

import pytest

from services import outbound_http
from services.scheduler import calendar_fetch
from shared.domain import calendar_sources as rules
from shared.domain.webhooks import NOT_ALLOWED
from tests.calendar_server import Feed, calendar_server, http_date, ics

pytestmark = pytest.mark.integration

FEED = ics()


def fetch(url, *, etag=None, last_modified=None, allow_private=True, **limits):
    chosen = None
    if limits:
        chosen = outbound_http.Limits(**{
            "seconds": rules.FETCH_SECONDS, "max_bytes": rules.MAX_FEED_BYTES,
            "redirects": rules.MAX_REDIRECTS, "gzip": True, **limits,
        })
    return calendar_fetch.fetch(url, etag=etag, last_modified=last_modified, allow_private=allow_private, limits=chosen)


def test_a_feed_is_read_with_its_validators_and_a_conditional_get_finds_it_unchanged():
    with calendar_server() as server:
        modified = "Tue, 24 Nov 2026 10:00:00 GMT"
        url = server.publish("/a.ics", Feed(FEED, etag='"v7"', last_modified=modified))
        first = fetch(url)
        assert first == rules.Fetched(FEED, '"v7"', modified)
        again = fetch(url, etag='"v7"', last_modified=modified)
        assert again == rules.Unchanged()
        asked = server.asked("/a.ics")
        assert "if-none-match" not in asked[0].headers
        assert asked[1].headers["if-none-match"] == '"v7"' and asked[1].headers["if-modified-since"] == modified
        assert asked[1].headers["user-agent"] == "Intervisie-Calendars/1"


def test_a_gzipped_feed_is_read_as_the_calendar_it_holds():
    with calendar_server() as server:
        url = server.publish("/a.ics", Feed(FEED, gzip=True))
        assert fetch(url) == rules.Fetched(FEED, None, None)
        assert server.asked("/a.ics")[0].headers["accept-encoding"] == "gzip"


def test_a_gzip_bomb_is_refused_once_past_the_limit_without_unpacking_it_all():
    with calendar_server() as server:
        url = server.publish("/bomb.ics", Feed(b"BEGIN:VCALENDAR\r\n" + b"\0" * (64 * 1024 * 1024), gzip=True))
        began = time.monotonic()
        assert fetch(url, max_bytes=1024 * 1024) == rules.Failed("the calendar is larger than 10 MiB", "too-large")
        assert time.monotonic() - began < 5


def test_a_feed_larger_than_the_limit_is_refused_whether_it_says_so_or_streams_without_end():
    with calendar_server() as server:
        declared = server.publish("/big.ics", Feed(b"x" * (rules.MAX_FEED_BYTES + 1)))
        endless = server.publish("/endless.ics", Feed(endless=True))
        assert fetch(declared) == rules.Failed("the calendar is larger than 10 MiB", "too-large")
        assert fetch(endless) == rules.Failed("the calendar is larger than 10 MiB", "too-large")


def test_a_feed_that_drips_in_slowly_fails_at_the_time_limit():
    with calendar_server() as server:
        url = server.publish("/slow.ics", Feed(FEED, drip_seconds=0.2))
        began = time.monotonic()
        outcome = fetch(url, seconds=1)
        took = time.monotonic() - began
    assert outcome == rules.Failed("the calendar server did not send the whole calendar within 30 seconds", "too-slow")
    assert 0.9 <= took < 3


def test_a_server_that_never_answers_fails_at_the_time_limit():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    began = time.monotonic()
    outcome = fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/a.ics", seconds=1)
    listener.close()
    assert outcome == rules.Failed("the calendar server did not send the whole calendar within 30 seconds", "too-slow")
    assert time.monotonic() - began < 3


def test_redirects_are_followed_up_to_five():
    with calendar_server() as server:
        target = server.publish("/6.ics", Feed(FEED))
        for n in range(5, 0, -1):
            target = server.publish(f"/{n}.ics", Feed(redirect_to=target))
        assert fetch(target) == rules.Fetched(FEED, None, None)
        first = server.publish("/0.ics", Feed(redirect_to=target))
        assert fetch(first) == rules.Failed("the calendar server redirected more than 5 times", "too-many-redirects")


def test_every_redirect_is_checked_like_the_address_itself():
    with calendar_server() as server:
        url = server.publish("/a.ics", Feed(redirect_to=f"ftp://{server.base.split('//')[1]}/b.ics"))
        assert fetch(url) == rules.Failed("the address was refused (must use http or https)", "refused-address")
        url = server.publish("/c.ics", Feed(redirect_to=f"http://user:secret@{server.base.split('//')[1]}/d.ics"))
        assert fetch(url) == rules.Failed("the address was refused (must not carry credentials)", "refused-address")


def test_a_redirect_to_loopback_is_refused_without_the_allow_flag(monkeypatch):
    """The first server stands for a public host (its address is let through); the one it
    redirects to is on loopback, and without INTERVISIE_CALENDAR_ALLOW_PRIVATE nothing reaches it."""
    real = outbound_http.checked_address
    with calendar_server() as public, calendar_server() as internal:
        internal.publish("/secrets.ics", Feed(FEED))
        port = internal.base.rsplit(":", 1)[1]
        url = public.publish("/a.ics", Feed(redirect_to=f"https://localhost:{port}/secrets.ics"))

        def public_host(address, *, allow_private, resolve):
            if address.startswith(public.base):
                return "127.0.0.1"
            return real(address, allow_private=allow_private, resolve=resolve)

        monkeypatch.setattr(outbound_http, "checked_address", public_host)
        assert fetch(url, allow_private=False) == rules.Failed(f"the address was refused ({NOT_ALLOWED})", "refused-address")
        assert len(public.asked("/a.ics")) == 1 and internal.requests == []


def test_an_error_status_is_said_in_words():
    with calendar_server() as server:
        assert fetch(server.base + "/missing.ics") == rules.Failed("the calendar server answered 404 Not Found", "not-found")
        url = server.publish("/gone.ics", Feed(b"", status=410))
        assert fetch(url) == rules.Failed("the calendar server answered 410 Gone", "not-found")


def test_a_feed_cut_off_before_its_length_fails_instead_of_passing_for_a_shorter_one():
    with calendar_server() as server:
        url = server.publish("/a.ics", Feed(FEED, cut_after=20))
        assert fetch(url) == rules.Failed("the calendar server stopped before it had sent the whole calendar", "cut-off")


def test_an_unreachable_server_is_said_in_words_without_the_address():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    outcome = fetch(f"http://127.0.0.1:{port}/secret-path.ics")
    assert outcome == rules.Failed("the calendar server could not be reached (Connection refused)", "unreachable")


def test_an_answer_in_an_encoding_not_asked_for_is_refused():
    with calendar_server() as server:
        url = server.publish("/a.ics", Feed(FEED, content_encoding="br"))
        assert fetch(url) == rules.Failed(
            "the address does not serve a calendar that can be read: the answer is encoded as 'br', which was not asked for",
            "not-a-calendar",
        )
        broken = server.publish("/b.ics", Feed(b"not gzip at all", content_encoding="gzip"))
        assert fetch(broken).reason.startswith("the address does not serve a calendar that can be read: the gzip answer is damaged")


def test_a_last_modified_alone_makes_the_get_conditional():
    with calendar_server() as server:
        modified = http_date(datetime(2026, 11, 24, 10, tzinfo=UTC))
        url = server.publish("/a.ics", Feed(FEED, last_modified=modified))
        assert fetch(url, last_modified=modified) == rules.Unchanged()
        assert fetch(url) == rules.Fetched(FEED, None, modified)
