"""Fetching one published calendar: conditionally, under the SSRF rules, with redirects
re-checked and size and time limits (see :mod:`services.outbound_http`).

What went wrong is said in words that never hold the address (it is a secret); the worker's log
gets the same words and the source's id, never the address either.
"""

from __future__ import annotations

import http.client
import logging
import ssl

from services import outbound_http
from services.outbound_http import resolve
from shared.domain import calendar_sources as rules

__all__ = ["fetch", "resolve"]

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
    limits = limits or LIMITS
    headers = dict(HEADERS)
    if etag:
        headers["if-none-match"] = etag
    if last_modified:
        headers["if-modified-since"] = last_modified
    try:
        answer = outbound_http.exchange("GET", url, headers=headers, limits=limits, allow_private=allow_private, resolve=resolve)
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
    if answer.status == 304 and (etag or last_modified):
        return rules.Unchanged()
    if answer.status != 200:
        return rules.answered(answer.status)
    return rules.Fetched(
        answer.body, rules.validator(answer.headers.get("etag")), rules.validator(answer.headers.get("last-modified")),
    )
