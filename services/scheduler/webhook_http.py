"""Sending one webhook request: to an address checked just before, without redirects (see
:mod:`services.outbound_http`)."""

from __future__ import annotations

import http.client
import logging
import time
from dataclasses import dataclass

from services import outbound_http
from services.outbound_http import resolve
from shared.domain import webhooks as rules

__all__ = ["Outcome", "post", "resolve"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None
    duration_ms: int


def post(url: str, body: str, headers: dict[str, str], *, allow_private: bool) -> Outcome:
    """POST ``body``; only the status counts. Redirects are not followed (a 3xx is a failure),
    and at most 64 KiB of the answer is read."""
    began = time.monotonic()
    limits = outbound_http.Limits(seconds=rules.REQUEST_TIMEOUT_SECONDS, max_bytes=rules.MAX_RESPONSE_BYTES, truncate=True)

    def done(status: int | None, error: str | None) -> Outcome:
        return Outcome(status, error, int((time.monotonic() - began) * 1000))

    try:
        answer = outbound_http.exchange(
            "POST", url, headers={**headers, "user-agent": "Intervisie-Webhooks/1"}, body=body.encode(),
            limits=limits, allow_private=allow_private, resolve=resolve,
        )
    except outbound_http.Refused as refusal:
        if refusal.host:
            # The delivery log is the client's to read: it says only that the URL is not allowed
            # (rules.NOT_ALLOWED), as registration does; the worker's log says why.
            log.warning("webhook not sent: %s %s", refusal.host, refusal.detail)
        return done(None, f"refused: {refusal.reason}")
    except (OSError, http.client.HTTPException) as error:
        return done(None, f"{type(error).__name__}: {error}")
    return done(answer.status, None if 200 <= answer.status < 300 else f"HTTP {answer.status}")
