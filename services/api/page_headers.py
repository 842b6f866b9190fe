"""The security headers of what a browser shows, set in one place by the route that answered.

The pages that show people — a person's answer page, a participant's availability page, a feed's
subscribe page (the facilitator's names her members, their answers and who can when), and the
link-gone pages these answer with — are kept by no cache (``no-store``), send no referrer (their
URL holds the token), are never sniffed into another type, and may not be framed; their CSP loads
nothing and runs no script but the one inline script a page marks with :func:`script_nonce`. The
heat map (SVG) is not sniffed and runs nothing. The docs UI is not sniffed (its own inline script
needs no CSP from here).

Every answer of such a route gets them, whatever its status (a refused post, a 429, a 404).
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

CSP = "Content-Security-Policy"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
PAGE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", **NOSNIFF}


def _page_policy(form_action: str) -> str:
    return f"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"


HEADERS: dict[str, dict[str, str]] = {
    "answer-pages.AnswerPage": {**PAGE, CSP: _page_policy("'self'")},
    "availability-pages.AvailabilityPage": {**PAGE, CSP: _page_policy("'self'")},
    "availability-pages.AvailabilityCalendars": {**PAGE, CSP: _page_policy("'self'")},
    "availability-pages.AvailabilityCalendarRemoval": {**PAGE, CSP: _page_policy("'self'")},
    "calendar-feeds.FeedPage": {**PAGE, CSP: _page_policy("'none'")},
    "group_availability.GroupAvailabilityHeatmap": {
        **NOSNIFF, CSP: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    },
    "api-docs.openapi_swagger_ui": NOSNIFF,
    "swagger_ui_static": NOSNIFF,
}
"""By endpoint (the route's name): the headers every answer of it carries."""


def script_nonce() -> str:
    """The nonce of this answer's one inline script (``<script nonce="…">``), which its CSP then
    allows; a new one for every answer."""
    if "script_nonce" not in g:
        g.script_nonce = secrets.token_urlsafe(16)
    return g.script_nonce


def _set(response: Response) -> Response:
    headers = HEADERS.get(request.endpoint or "")
    if headers:
        response.headers.update(headers)
        nonce = g.get("script_nonce")
        if nonce and CSP in headers:
            response.headers[CSP] = f"{headers[CSP]}; script-src 'nonce-{nonce}'"
    return response


def install(app: Flask) -> None:
    app.after_request(_set)
