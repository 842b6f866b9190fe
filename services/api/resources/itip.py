"""``POST /v1/itip``: a calendar's answer to an invitation (iTIP REPLY), posted by a platform
that received it, or by the organiser (admin key)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from services.api.context import actor, state, transaction
from services.api.schemas.scheduling import ReplyResultSchema
from services.api.spec import Blueprint, documented
from shared.domain.itip import ReplyError, parse_reply
from shared.errors import ServiceError
from shared.use_cases import replies
from shared.use_cases.people import require_admin

blueprint = Blueprint(
    "itip", __name__, url_prefix="/v1/itip",
    description="Answers from calendars: an iTIP REPLY (RFC 5546) as its calendar apps send it. The same "
    "replies also reach the service by mail, at the programme's address.",
)
CALENDAR = "text/calendar"


class UnsupportedMediaType(ServiceError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


@blueprint.route("")
class ITip(MethodView):
    @blueprint.doc(requestBody={"required": True, "content": {CALENDAR: {"schema": {"type": "string", "format": "binary"}, "example": (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        "UID:2384bbf1-…@intervisie\r\nSEQUENCE:0\r\nDTSTAMP:20270105T120000Z\r\n"
        "ATTENDEE;PARTSTAT=DECLINED:mailto:deelnemer1@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )}}})
    @blueprint.response(200, ReplyResultSchema)
    @documented.errors(403, 415)
    def post(self):
        """Record a calendar's answer (METHOD:REPLY)

        `Content-Type: text/calendar`. The session is found by the UID, the person by the
        ATTENDEE's address among the session's required people, and the answer is its PARTSTAT
        (ACCEPTED, TENTATIVE or DECLINED). 422 names what cannot be used: an unknown UID, an
        ATTENDEE not invited to that session, a method other than REPLY, or a SEQUENCE older than
        the session's; a body that is no calendar at all is 422 as well. Nothing changes then.
        """
        require_admin(actor(), "calendar replies")
        if request.mimetype != CALENDAR:
            raise UnsupportedMediaType(f"send the REPLY as {CALENDAR}, not {request.mimetype or 'nothing'}")
        try:
            reply = parse_reply(request.get_data())
        except ReplyError as error:
            raise replies.refused(error) from None
        with transaction() as session:
            return replies.record(session, reply, state().clock())
