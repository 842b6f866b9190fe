"""Webhooks: which URLs may receive them, how they are signed, and when a failed one is retried.

Pure rules; the resolution of host names and the HTTP request live at the worker's edge.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook as Signer

EVENT_DATA: dict[str, tuple[str, ...]] = {
    "participant.placed": ("participant_id", "group_id"),
    "participant.left": ("participant_id", "group_id"),
    "participant.erased": ("participant_id",),
    "participant.availability_changed": ("participant_id", "source"),
    "group.scheduled": ("group_id", "run_id"),
    "group.infeasible": ("group_id", "run_id"),
    "session.scheduled": ("session_id", "group_id"),
    "session.rescheduled": ("session_id", "group_id"),
    "session.cancelled": ("session_id", "group_id"),
    "invitation.issued": ("invitation_id", "session_id", "participant_id"),
    "attendance.changed": ("session_id", "group_id", "participant_id", "facilitator_id"),
    "session.at_risk": ("session_id", "group_id", "declined_ids", "others_declined", "conflict_ids", "others_in_conflict"),
}
"""Each event type and the keys of its ``data``: every one is sent, null where the event has none
(an invitation to the facilitator names no participant)."""
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_DATA)

FIRST_RETRY = timedelta(seconds=5)
LONGEST_WAIT = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(days=3)
REQUEST_TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024
SECRET_PREFIX = "whsec_"


# -- where webhooks may go ---------------------------------------------------------------------


NOT_ALLOWED = "not allowed: its host must resolve to public addresses only"
"""The one reason given for a host that is, or resolves to, a non-public address and for one that
does not resolve: which of them it was stays in the log, or registering URLs would map the names
the service's DNS knows (an internal host resolves, an unknown one does not)."""

# RFC 3986: the characters a URI may hold, and a host name of DNS labels.
_URI = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")
_HOST_NAME = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?")


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` cannot be a webhook endpoint, or None. Checks only what the URL itself says."""
    if not _URI.fullmatch(url):
        return "not a valid URL (only the characters of RFC 3986, non-ASCII percent-encoded)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"not a valid URL ({error})"
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes:
        return "must use https" if not allow_private else "must use http or https"
    if not parts.hostname:
        return "must name a host"
    if parts.username or parts.password:
        return "must not carry credentials"
    if parts.fragment:
        return "must not have a fragment"
    if port == 0:
        return "must not use port 0"
    literal = _ip_literal(parts.hostname)
    if literal is not None:
        return NOT_ALLOWED if address_problem(literal, allow_private=allow_private) else None
    if not _HOST_NAME.fullmatch(parts.hostname):
        return "must name a host by its DNS name or IP address"
    return None


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def address_problem(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_private: bool) -> str | None:
    """Why a resolved address must not be called, or None; for the log, never for the client
    (it says what the host resolved to: tell it :data:`NOT_ALLOWED`).

    Loopback, private, link-local, CGNAT (100.64/10), multicast, reserved and unspecified
    addresses are refused, also when hidden in an IPv6 address that carries an IPv4 one:
    IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96 and the local-use
    64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32).
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if allow_private:
        return None
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates += [embedded for embedded in _embedded_ipv4(ip) if embedded is not None]
    for candidate in candidates:
        if not candidate.is_global or candidate.is_multicast:
            return f"resolves to a non-public address ({ip})"
    return None


def resolved_problem(addresses: list[str], *, allow_private: bool) -> str | None:
    """Why a host that resolved to ``addresses`` must not be called, or None; for the log."""
    if not addresses:
        return "does not resolve"
    return next((p for a in addresses if (p := address_problem(a, allow_private=allow_private))), None)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address | None]:
    """The IPv4 addresses an IPv6 address carries (RFC 4291, 6052, 3056, 4380)."""
    value = int(ip)
    found = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and value > 1):  # ::a.b.c.d, but not :: or ::1
        found.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    elif ip in _NAT64_LOCAL:  # a /48 prefix: bits 48–63 and 72–87 around the "u" octet (RFC 6052 §2.2)
        found.append(ipaddress.IPv4Address(((value >> 64) & 0xFFFF) << 16 | (value >> 40) & 0xFFFF))
    return found


# -- what is sent ------------------------------------------------------------------------------


def derive_secret(server_key: bytes, webhook_id: str) -> str:
    """The endpoint's signing secret, derived so that it is never stored."""
    raw = hmac.new(server_key, f"webhook:{webhook_id}".encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def sent_data(event_type: str, data: dict[str, Any], client_id: str | None) -> dict[str, Any]:
    """The ``data`` an endpoint is sent: the keys of the event type (:data:`EVENT_DATA`), none of
    the keys that only route the event (``client_ids``, ``owners``).

    ``client_id`` is the platform the endpoint belongs to (None: the organiser's). A platform is
    named only its own participants and the facilitator among those who declined a session at
    risk, and among those whose calendar conflicts with it; the others it is given as counts,
    ``others_declined`` and ``others_in_conflict``. ``owners`` maps each of them to their
    platform (null: the facilitator); someone it does not name is counted. An event recorded
    before conflicts were named has none.
    """
    shown = {key: data.get(key) for key in EVENT_DATA[event_type]}
    if event_type == "session.at_risk":
        owners = data.get("owners", {})
        for ids, others in (("declined_ids", "others_declined"), ("conflict_ids", "others_in_conflict")):
            named = everyone = data.get(ids) or []
            if client_id is not None:
                named = [p for p in everyone if p in owners and owners[p] in (None, client_id)]
            shown[ids], shown[others] = named, len(everyone) - len(named)
    return shown


def event_body(event_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The JSON body: ``type``, ``timestamp`` and ids only, never personal data."""
    return json.dumps(
        {"type": event_type, "timestamp": _rfc3339(timestamp), "data": data},
        separators=(",", ":"),
        sort_keys=True,
    )


def signed_headers(secret: str, message_id: str, sent_at: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers. ``sent_at`` must be aware: the library would read a naive
    time, or any other offset, as UTC."""
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be an aware datetime")
    sent_at = sent_at.astimezone(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, sent_at, body),
        "content-type": "application/json",
    }


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- when it is tried again --------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    state: str  # "delivered" | "retry" | "failed" | "disabled"
    next_attempt_at: datetime | None = None
    disable_reason: str | None = None


def judge(
    *, status: int | None, attempts: int, first_attempt_at: datetime, now: datetime, jitter: float
) -> Verdict:
    """What follows an attempt. ``jitter`` in [0, 1) spreads retries of many deliveries apart.

    Only 2xx counts as delivered. 410 Gone disables the endpoint. Anything else (another status,
    a timeout, a refused connection: ``status`` None) is retried after a jittered exponential
    wait — the first within 10 s, growing to at most 6 h — until three days have passed since
    the first attempt; then the delivery fails and the endpoint, failing for days, is disabled.
    """
    if status is not None and 200 <= status < 300:
        return Verdict("delivered")
    if status == 410:
        return Verdict("disabled", disable_reason="the endpoint answered 410 Gone")
    if now - first_attempt_at >= GIVE_UP_AFTER:
        return Verdict("failed", disable_reason=f"failing since {_rfc3339(first_attempt_at)}")
    return Verdict("retry", next_attempt_at=now + retry_delay(attempts, jitter))


def retry_delay(attempts: int, jitter: float) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 5–10 s, 10–20 s, 20–40 s, … up to 6 h."""
    base = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(base * (1 + jitter), LONGEST_WAIT)
