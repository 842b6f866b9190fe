"""Fetching one published calendar: conditionally, under the SSRF rules, with redirects
re-checked and size and time limits (see :mod:`services.outbound_http`); or asking a CalDAV
collection for its free and busy time, under the same rules and limits.

The CalDAV query is one REPORT with a fixed body, sent through the same pinned client as every
other request to an address a client gave: a CalDAV library's own HTTP client would resolve the
host again and could be sent to an address the rules refuse.

What went wrong is said in words that never hold the address (it is a secret); the worker's log
gets the same words and the source's id, never the address either.
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import logging
import ssl
from datetime import datetime

from services import outbound_http
from services.outbound_http import resolve
from shared.domain import calendar_sources as rules

__all__ = ["fetch", "free_busy", "resolve"]

log = logging.getLogger(__name__)

LIMITS = outbound_http.Limits(
    seconds=rules.FETCH_SECONDS, max_bytes=rules.MAX_FEED_BYTES, redirects=rules.MAX_REDIRECTS, gzip=True,
)
HEADERS = {"user-agent": "Intervisie-Calendars/1", "accept": "text/calendar, */*;q=0.5"}


def fetch(
    url: str, *, etag: str | None, last_modified: str | None, allow_private: bool,
    limits: outbound_http.Limits | None = None,
) -> rules.Fetched | rules.Unchanged | rules.Failed:
    """GET the feed; with the validators of the last fetch, a 304 says it is unchanged."""
    headers = dict(HEADERS)
    if etag:
        headers["if-none-match"] = etag
    if last_modified:
        headers["if-modified-since"] = last_modified
    answer = _exchange("GET", url, headers, limits or LIMITS, allow_private)
    if isinstance(answer, rules.Failed):
        return answer
    if answer.status == 304 and (etag or last_modified):
        return rules.Unchanged()
    if answer.status != 200:
        return rules.answered(answer.status)
    return rules.Fetched(
        answer.body, rules.validator(answer.headers.get("etag")), rules.validator(answer.headers.get("last-modified")),
    )


def free_busy(
    url: str, *, username: str, password: str, start: datetime, end: datetime, allow_private: bool,
    limits: outbound_http.Limits | None = None,
) -> rules.Fetched | rules.Failed:
    """Ask a CalDAV calendar collection for its free and busy time from ``start`` to ``end``
    (RFC 4791 7.10, a ``free-busy-query`` REPORT with HTTP Basic credentials). The answer is a
    VFREEBUSY, read like a feed. A redirect is not followed (a REPORT is not sent on to another
    address with the credentials): the server's 3xx is the failure."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    headers = {
        **HEADERS, "authorization": f"Basic {token}", "depth": "1", "content-type": "application/xml; charset=utf-8",
    }
    limits = limits or dataclasses.replace(LIMITS, redirects=0)
    answer = _exchange("REPORT", url, headers, limits, allow_private, body=rules.free_busy_query(start, end))
    if isinstance(answer, rules.Failed):
        return answer
    if answer.status != 200:
        return rules.answered(answer.status)
    return rules.Fetched(answer.body, None, None)


def _exchange(
    method: str, url: str, headers: dict[str, str], limits: outbound_http.Limits, allow_private: bool,
    body: bytes | None = None,
) -> outbound_http.Answer | rules.Failed:
    """One request under the SSRF rules, or why it failed, in words without the address."""
    try:
        return outbound_http.exchange(
            method, url, headers=headers, limits=limits, allow_private=allow_private, body=body, resolve=resolve,
        )
    except outbound_http.Refused as refusal:
        if refusal.host:
            log.warning("calendar not fetched: %s %s", refusal.host, refusal.detail)
        return rules.refused(refusal.reason)
    except TimeoutError:
        return rules.too_slow()
    except outbound_http.TooLarge:
        return rules.too_large()
    except outbound_http.TooManyRedirects:
        return rules.too_many_redirects()
    except outbound_http.Unreadable as error:
        return rules.not_a_calendar(str(error))
    except ssl.SSLCertVerificationError as error:
        return rules.unreachable(f"its certificate is not valid: {error.verify_message}")
    except ssl.SSLError:
        return rules.unreachable("the secure connection failed")
    except http.client.IncompleteRead:
        return rules.cut_off()
    except http.client.RemoteDisconnected:
        return rules.unreachable("it closed the connection without answering")
    except http.client.HTTPException as error:
        return rules.unreachable(f"its answer is not HTTP ({type(error).__name__})")
    except OSError as error:
        return rules.unreachable(error.strerror or type(error).__name__)
