"""Meeting links: what a video service hands out, written so that every calendar, mail and page
can hold it and a click still reaches the same meeting.

Teams hands out links with JSON in the query (``?context={"Tid":"…","Oid":"…"}``), Jitsi puts
settings in the fragment (``#config.startWithAudioMuted=true``), Zoom a password in the query, and
a room name may hold a space or an accent. A browser's address bar takes all of these, but an
iCalendar URI (RFC 5545 3.3.13, that is RFC 3986) may not, and a mail client's link detection
stops at the first ``"`` or space. :func:`to_uri` percent-encodes each character that a URI may
not hold in its part of the link, as a browser does before it sends the request, so the server
sees the same request: ``{`` becomes ``%7B``, ``"`` ``%22``, a space ``%20``, ``é`` ``%C3%A9``.
What is encoded already (``%3a``) stays as it is; a ``%`` that starts no escape becomes ``%25``.
A host name in another script becomes its IDNA (``xn--``) form.

The API stores a link exactly as it was given and refuses what :func:`refusal` names. The
writers call :func:`to_uri`, which answers None rather than failing: a stored value that is not
a usable link only leaves out its own link, never the calendar or page it appears in.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

SCHEMES = ("http", "https")

# quote() never encodes the unreserved characters (letters, digits, "-._~"); these are the
# others that RFC 3986 allows, literally, in each part. "%" is kept because what reaches
# quote() has every "%" that starts no escape written as "%25" already.
_SUB_DELIMS = "!$&'()*+,;="
_IN_USERINFO = _SUB_DELIMS + ":%"
_IN_HOST = _SUB_DELIMS + "%"
_IN_PATH_AND_QUERY = _SUB_DELIMS + ":@/?%"  # pchar, "/" and "?"; a fragment allows the same
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_END_OF_AUTHORITY = re.compile(r"[/?#]")
_IP_LITERAL = re.compile(r"\[[0-9A-Za-z._~%:-]+\]")
"""An IPv6 (or future) address as a URI writes it, ``[2001:db8::1]``, kept as written."""
_CONTROL_CATEGORIES = ("Cc", "Cs")
"""Control characters and lone surrogates: no link holds them (a browser drops or refuses them)."""


def refusal(meeting_url: str) -> str | None:
    """Why ``meeting_url`` cannot be written as a meeting link, or None when it can."""
    if any(unicodedata.category(c) in _CONTROL_CATEGORIES for c in meeting_url):
        return "must not contain control characters"
    text = meeting_url.strip()
    if not text:
        return "is empty"
    scheme, _colon, rest = text.partition(":")
    if scheme.lower() not in SCHEMES or not rest.startswith("//"):
        return "must be an http or https link (https://…)"
    _userinfo, _at, host, _port = _authority(rest[2:])
    if not host:
        return "has no host name"
    if _ascii_host(host) is None:
        return "has a host name that is not a valid international domain name"
    return None


def to_uri(meeting_url: str) -> str | None:
    """``meeting_url`` as a URI that reaches the same meeting, or None when it is no link.

    Surrounding white space is left out (as a browser leaves it out); everything else keeps its
    place, percent-encoded where its part of the URI may not hold it.
    """
    if refusal(meeting_url) is not None:
        return None
    scheme, _colon, rest = meeting_url.strip().partition(":")
    userinfo, at, host, port = _authority(rest[2:])
    tail = rest[2 + len(userinfo) + len(at) + len(host) + len(port):]
    tail, hash_, fragment = tail.partition("#")
    if not _IP_LITERAL.fullmatch(host):
        host = _quoted(_ascii_host(host), _IN_HOST)
    return "".join([
        scheme, "://", _quoted(userinfo, _IN_USERINFO), at, host, _quoted(port, ":"),
        _quoted(tail, _IN_PATH_AND_QUERY), hash_, _quoted(fragment, _IN_PATH_AND_QUERY),
    ])


def _authority(text: str) -> tuple[str, str, str, str]:
    """The user info, its ``@``, the host and the port (with its ``:``) that ``text`` starts with."""
    authority = _END_OF_AUTHORITY.split(text, maxsplit=1)[0]
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("[") and "]" in hostport:
        end = hostport.index("]") + 1
        host, port = hostport[:end], hostport[end:]
    else:
        host, colon, port = hostport.partition(":")
        port = colon + port
    return userinfo, at, host, port


def _ascii_host(host: str) -> str | None:
    """The host as DNS knows it: its IDNA form when it is not ASCII, None when there is none.

    Python's codec is IDNA 2003, which maps a few characters (``ß``) differently from the
    browsers' UTS 46; such a host, which would lead elsewhere, has no form here.
    """
    if host.isascii():
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii")
        same = ascii_host.encode("ascii").decode("idna").lower() == host.lower()
    except UnicodeError:
        return None
    return ascii_host if same else None


def _quoted(text: str, safe: str) -> str:
    return quote(_LONE_PERCENT.sub("%25", text), safe=safe)
