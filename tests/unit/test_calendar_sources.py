"""Published calendars: how an address is read, shown and sealed; what is kept for the next
conditional request; and that no log line carries a webcal address."""

from __future__ import annotations

import uuid

import pytest

from services.telemetry import scrub
from shared.config import Settings
from shared.domain import calendar_sources as rules
from shared.domain.sealing import Sealer, Unsealable


@pytest.mark.parametrize(("given", "fetched"), [
    ("webcal://p42-caldav.icloud.com/published/2/MTIz", "https://p42-caldav.icloud.com/published/2/MTIz"),
    ("WEBCAL://calendar.example.org/a.ics", "https://calendar.example.org/a.ics"),
    ("webcals://calendar.example.org/a.ics", "https://calendar.example.org/a.ics"),
    ("https://calendar.example.org/webcal://x", "https://calendar.example.org/webcal://x"),
])
def test_webcal_addresses_are_fetched_over_https(given, fetched):
    assert rules.normalised(given) == fetched


@pytest.mark.parametrize(("url", "shown"), [
    ("https://outlook.office365.com/owa/calendar/abc/reachcalendar.ics?token=x", "https://outlook.office365.com/…"),
    ("https://calendar.example.org:8443/secret", "https://calendar.example.org:8443/…"),
    ("https://calendar.example.org:443/secret", "https://calendar.example.org/…"),
    ("http://127.0.0.1:8765/feed.ics", "http://127.0.0.1:8765/…"),
    ("https://[2001:db8::1]/feed.ics", "https://[2001:db8::1]/…"),
])
def test_an_address_is_shown_as_its_scheme_and_host_only(url, shown):
    assert rules.masked(url) == shown


def test_the_fingerprint_of_an_address_depends_on_the_key():
    url = "https://calendar.example.org/a.ics"
    assert rules.url_digest(b"one", url) == rules.url_digest(b"one", url)
    assert rules.url_digest(b"one", url) != rules.url_digest(b"two", url)
    assert url not in rules.url_digest(b"one", url)


@pytest.mark.parametrize(("value", "kept"), [
    ('"33a64df551"', '"33a64df551"'),
    ('W/"0815"', 'W/"0815"'),
    ("Tue, 24 Nov 2026 10:00:00 GMT", "Tue, 24 Nov 2026 10:00:00 GMT"),
    ('"a"\r\nSet-Cookie: x', None),
    ("é", None),
    ("x" * 501, None),
    (None, None),
])
def test_only_a_header_safe_validator_is_kept_for_the_next_request(value, kept):
    assert rules.validator(value) == kept


def test_a_sealed_address_opens_with_its_key_for_its_row_only():
    row = str(uuid.uuid4())
    sealed = Sealer(b"key", "calendar-source-url").seal("https://calendar.example.org/s3cret", row)
    assert "s3cret" not in sealed
    assert Sealer(b"key", "calendar-source-url").open(sealed, row) == "https://calendar.example.org/s3cret"
    with pytest.raises(Unsealable):
        Sealer(b"key", "calendar-source-url").open(sealed, str(uuid.uuid4()))
    with pytest.raises(Unsealable):
        Sealer(b"another key", "calendar-source-url").open(sealed, row)
    with pytest.raises(Unsealable):
        Sealer(b"key", "another purpose").open(sealed, row)
    with pytest.raises(Unsealable):
        Sealer(b"key", "calendar-source-url").open(sealed[:-4] + "AAAA", row)
    assert Sealer(b"key", "p").seal("same", row) != Sealer(b"key", "p").seal("same", row)  # a new nonce each time


def test_a_webcal_address_is_scrubbed_from_log_lines():
    line = "fetching webcal://p42-caldav.icloud.com/published/2/MTIzNDU2 for source 7"
    assert scrub(line) == "fetching webcal://[redacted] for source 7"


def test_the_refresh_interval_is_read_and_checked():
    assert Settings.from_env({}).calendar_refresh_minutes == 360
    assert Settings.from_env({"INTERVISIE_CALENDAR_REFRESH_MINUTES": "60"}).calendar_refresh_minutes == 60
    assert Settings.from_env({"INTERVISIE_CALENDAR_ALLOW_PRIVATE": "1"}).calendar_allow_private is True
    with pytest.raises(ValueError, match="INTERVISIE_CALENDAR_REFRESH_MINUTES must be 1 or more, not 0"):
        Settings.from_env({"INTERVISIE_CALENDAR_REFRESH_MINUTES": "0"})
    with pytest.raises(ValueError, match="INTERVISIE_CALENDAR_REFRESH_MINUTES must be a whole number"):
        Settings.from_env({"INTERVISIE_CALENDAR_REFRESH_MINUTES": "six hours"})
