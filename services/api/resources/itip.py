"""``POST /v1/itip``: a calendar's answer to an invitation (iTIP REPLY), posted by a platform
that received it, or by the organiser (admin key)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from services.api.context import actor, state, transaction
from services.api.schemas.scheduling import ReplyResultSchema
from services.api.spec import Blueprint, documented
from shared.domain.itip import CALENDAR_TYPES, ReplyError, decode_text, parse_reply
from shared.errors import UnsupportedMediaType
from shared.use_cases import replies
from shared.use_cases.people import require_admin

blueprint = Blueprint(
    "itip", __name__, url_prefix="/v1/itip",
    description="Answers from calendars: an iTIP REPLY (RFC 5546) as its calendar apps send it. The same "
    "replies also reach the service by mail, at the programme's address.",
)
CALENDAR = "text/calendar"
BINARY_CALENDAR = {"schema": {"type": "string", "format": "binary"}}


@blueprint.route("")
class ITip(MethodView):
    @blueprint.doc(requestBody={"required": True, "content": {"application/ics": BINARY_CALENDAR, CALENDAR: {**BINARY_CALENDAR, "example": (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        "UID:2384bbf1-…@intervisie\r\nSEQUENCE:0\r\nDTSTAMP:20270105T120000Z\r\n"
        "ATTENDEE;PARTSTAT=DECLINED:mailto:deelnemer1@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )}}})
    @blueprint.response(200, ReplyResultSchema)
    @documented.errors(403, 415)
    def post(self):
        """Record a calendar's answer (METHOD:REPLY)

        `Content-Type: text/calendar` (or `application/ics`), in the `charset` it names (UTF-8
        when it names none). The session is found by the UID, the person by the ATTENDEE's
        address among the session's required people, and the answer is its PARTSTAT (ACCEPTED,
        TENTATIVE or DECLINED), with its COMMENT. 422 names what cannot be used: an unknown UID,
        an ATTENDEE not invited to that session, a method other than REPLY, a RECURRENCE-ID that
        is not the session's start, or a SEQUENCE older than the invitation last sent to that
        person; a body that is no calendar at all, or one too large or too deeply nested for a
        REPLY, is 422 as well. Nothing changes then. A REPLY older than the answer already
        recorded (the same SEQUENCE and an earlier DTSTAMP) is taken and changes nothing:
        `applied` is false. The platform vouches for who sent it.
        """
        require_admin(actor(), "calendar replies")
        if request.mimetype not in CALENDAR_TYPES:
            raise UnsupportedMediaType(f"send the REPLY as {CALENDAR}, not {request.mimetype or 'nothing'}")
        charset = request.mimetype_params.get("charset")
        try:
            reply = parse_reply(decode_text(request.get_data(), charset) if charset else request.get_data())
        except ReplyError as error:
            raise replies.refused(error) from None
        with transaction() as session:
            return replies.record(session, reply, state().clock())
