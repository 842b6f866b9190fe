"""``/answer/{token}``: a person's own page to say whether they come to a session.

No key: the token is the secret (see :mod:`shared.use_cases.answers`). GET only shows — mail
scanners open links — and POST records, from a plain form that works without JavaScript: the
submit buttons are ``name="response"`` (``accepted``, ``tentative``, ``declined``), with an
optional comment and a CSRF field derived from the token. The page marks the answer given
(``aria-pressed``) and shows the stored comment in the form.

A post that records is answered 303 See Other to the page with ``?saved=1`` (post/redirect/get),
so reloading the page does not post again; the flag only words the status line, which is drawn
from the stored answer either way. A refused post is answered 400 with the page itself, with
what the person typed still in the form.
"""

from __future__ import annotations

import hmac
import re

from flask import Response, redirect, render_template, request, url_for
from flask.views import MethodView

from services.api.context import state, transaction
from services.api.page_headers import script_nonce
from services.api.resources.public_feeds import contact_of_programme
from services.api.spec import Blueprint, documented
from shared.domain import i18n, texts
from shared.domain.attendance import ANSWERS
from shared.domain.i18n import N_
from shared.domain.themes import theme_label
from shared.use_cases import answers
from shared.use_cases.invitations import event_for

answer_pages = Blueprint(
    "answer-pages", __name__, url_prefix="/answer", idempotent_posts=False,
    description="Each invited person's page to answer an invitation. No key: the link is the secret.",
)

COMMENT_LENGTH = 500
SAVED = "saved"
"""The query flag of the page a recorded post is redirected to."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
ANSWER_LABELS = {
    "accepted": N_("Yes, I will attend"),
    "tentative": N_("Maybe"),
    "declined": N_("No, I cannot attend"),
}


def page(template: str, status: int, *, scripted: bool = False, **values) -> Response:
    """A page for people (answer, availability), in HTML; :mod:`services.api.page_headers` gives
    it its headers (never cached, no referrer, strict CSP). A ``scripted`` page's template gets a
    ``nonce`` for its one inline script, which the CSP allows and no other; every page works
    without it."""
    if scripted:
        values["nonce"] = script_nonce()
    return Response(render_template(template, **values), status=status, content_type="text/html; charset=utf-8")


def link_gone(reason: str, language: str | None = None) -> Response:
    """404 for a dead personal link, in the ``language`` of the person it was for when it is
    known, else in Dutch (the browser's language says nothing about the reader: a Dutch teacher's
    browser often speaks English); ``reason`` is an English msgid, marked with ``N_`` where it is
    written."""
    _ = i18n.translator(language or "nl")
    return page("link_gone.html", 404, reason=_(reason), **_.template_context())


def forged(expected_csrf: str, _: i18n.Translator) -> str | None:
    """Why a page's form post is refused when its CSRF field is not the one the page was given
    (compared in constant time), in the person's language; None when it is."""
    if hmac.compare_digest(request.form.get("csrf", "").encode(), expected_csrf.encode()):  # bytes: any text compares
        return None
    return _("the form has expired or is not from this page")


def _gone() -> Response:
    return link_gone(N_("The session was cancelled, or you no longer take part in it."))


def _show(
    invited: answers.Invited, token: str, *, status: int = 200, recorded: bool = False, problem: str | None = None,
    comment: str | None = None,
) -> Response:
    """The page; ``comment`` is what a refused post typed, shown instead of the stored one."""
    with transaction() as session:
        event, _, _ = event_for(session, invited.row, contact_of_programme())
    _ = i18n.translator(invited.person.language)
    language = _.language
    response = invited.answer.response
    return page(
        "answer.html", status,
        **_.template_context(),
        group=invited.group.name,
        session=texts.session_label(event, language),
        theme=theme_label(event.theme, language) if event.theme else None,
        when=texts.when(event, language, timezone=invited.person.timezone),
        meeting_url=event.meeting_link,
        answers=[(value, _(ANSWER_LABELS[value])) for value in ANSWERS],
        chosen=response,
        current=_(ANSWER_LABELS[response]) if response in ANSWERS else None,
        comment=invited.comment if comment is None else comment,
        recorded=recorded and response in ANSWERS,
        problem=problem,
        csrf=_links().csrf(token),
    )


def _links() -> answers.Links:
    settings = state().settings
    return answers.Links(settings.secret(), settings.public_url)


@answer_pages.route("/<token>")
class AnswerPage(MethodView):
    @answer_pages.doc(security=[], parameters=[{
        "name": SAVED, "in": "query", "required": False, "schema": {"type": "string"},
        "description": "1 after the redirect that follows a post: the page thanks the person for the answer it shows. "
                       "Any other value is ignored.",
    }])
    @answer_pages.response(200, documented.text, description="The answer page (HTML)", content_type="text/html", headers=documented.page_headers)
    @answer_pages.alt_response(404, schema=documented.text, description="The link is dead (HTML)", content_type="text/html", headers=documented.page_headers)
    def get(self, token: str):
        """A person's page to answer an invitation (HTML); showing it records nothing"""
        with transaction() as session:
            invited = answers.resolve(session, token, state().clock())
        return _gone() if invited is None else _show(invited, token, recorded=request.args.get(SAVED) == "1")

    @answer_pages.doc(security=[], requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["response", "csrf"], "additionalProperties": {"type": "string"},
        "properties": {
            "response": {"type": "string", "enum": list(ANSWERS)},
            "comment": {"type": "string", "maxLength": COMMENT_LENGTH},
            "csrf": {"type": "string"},
        },
    }}}})
    @answer_pages.response(
        303, description="Recorded: see the page, which confirms it (post/redirect/get)",
        headers={**documented.location("The page, with ?saved=1"), **documented.page_headers},
    )
    @answer_pages.alt_response(400, schema=documented.text, description="Not recorded: the page says why (HTML)", content_type="text/html", headers=documented.page_headers)
    @answer_pages.alt_response(404, schema=documented.text, description="The link is dead (HTML)", content_type="text/html", headers=documented.page_headers)
    def post(self, token: str):
        """Record the answer chosen on the page (a form post from the page itself)"""
        with transaction() as session:
            invited = answers.resolve(session, token, state().clock())
        if invited is None:
            return _gone()
        _ = i18n.translator(invited.person.language)
        form = request.form
        response, raw_comment = form.get("response", ""), form.get("comment")
        # A post without the field (not from this page's form) keeps the stored comment; the
        # page's form always sends it, filled with that comment, so emptying it clears it.
        typed = None if raw_comment is None else _CONTROL.sub("", raw_comment)
        problem = forged(_links().csrf(token), _)
        if problem is None and response not in ANSWERS:
            problem = _("choose one of the three buttons")
        # A browser's maxlength counts a line break as one character but sends it as CRLF.
        if problem is None and len((raw_comment or "").replace("\r\n", "\n")) > COMMENT_LENGTH:
            problem = _("the comment is longer than {length} characters", length=COMMENT_LENGTH)
        if problem:
            return _show(invited, token, status=400, comment=typed, problem=_(
                "This answer could not be saved: {reason}. Please try again from the page.", reason=problem,
            ))
        with transaction() as session:
            recorded = answers.answer(session, token, response, None if typed is None else typed.strip(), state().clock())
        if recorded is None:
            return _gone()
        return redirect(url_for("answer-pages.AnswerPage", token=token, **{SAVED: "1"}), 303)
