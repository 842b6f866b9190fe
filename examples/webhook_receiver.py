"""A small Flask app that receives Intervisie's webhooks: it verifies each delivery's Standard
Webhooks signature and hands the event to a handler per event type.

    pip install flask standardwebhooks
    INTERVISIE_WEBHOOK_SECRET=whsec_… flask --app examples/webhook_receiver:create_app run --port 9000

Register it with ``POST /v1/webhooks {"url": "https://your.host/intervisie/webhooks"}``; the answer
holds the ``whsec_…`` secret (once). A delivery is retried for three days until it gets a 2xx, and
carries the same ``webhook-id`` on every attempt: handle an event once per id. The handlers here
only record what they would do; a platform would update its own records (fetch the group, the
session, the participant by the ids in ``data``), never trust more than the ids.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, request
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

log = logging.getLogger(__name__)
Event = dict[str, Any]
Handler = Callable[[Event], str]


def _participant_placed(event: Event) -> str:
    data = event["data"]
    return f"participant {data['participant_id']} joined group {data['group_id']}: show them their group"


def _participant_left(event: Event) -> str:
    data = event["data"]
    return f"participant {data['participant_id']} left group {data['group_id']}"


def _participant_erased(event: Event) -> str:
    return f"participant {event['data']['participant_id']} was erased: forget what you keep about them"


def _availability_changed(event: Event) -> str:
    data = event["data"]
    return f"participant {data['participant_id']} changed their availability (via {data['source']})"


def _group_scheduled(event: Event) -> str:
    data = event["data"]
    return f"group {data['group_id']} has a plan: read run {data['run_id']} and the group's sessions"


def _group_infeasible(event: Event) -> str:
    data = event["data"]
    return f"group {data['group_id']} could not be planned: run {data['run_id']} says who blocks it"


def _session_changed(verb: str) -> Handler:
    def handle(event: Event) -> str:
        data = event["data"]
        return f"session {data['session_id']} of group {data['group_id']} {verb}"

    return handle


def _session_at_risk(event: Event) -> str:
    data = event["data"]
    # declined_ids names your own participants and the facilitator; others_declined counts the rest.
    declined = len(data["declined_ids"]) + data["others_declined"]
    return f"session {data['session_id']} is at risk: {declined} declined"


def _invitation_issued(event: Event) -> str:
    data = event["data"]
    return f"invitation {data['invitation_id']} issued for session {data['session_id']}"


def _attendance_changed(event: Event) -> str:
    data = event["data"]
    person = data.get("participant_id") or data.get("facilitator_id")
    return f"{person} answered the invitation to session {data['session_id']}"


HANDLERS: dict[str, Handler] = {
    "participant.placed": _participant_placed,
    "participant.left": _participant_left,
    "participant.erased": _participant_erased,
    "participant.availability_changed": _availability_changed,
    "group.scheduled": _group_scheduled,
    "group.infeasible": _group_infeasible,
    "session.scheduled": _session_changed("was scheduled"),
    "session.rescheduled": _session_changed("moved"),
    "session.cancelled": _session_changed("was cancelled"),
    "session.at_risk": _session_at_risk,
    "invitation.issued": _invitation_issued,
    "attendance.changed": _attendance_changed,
}


def create_app(secret: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["WEBHOOK"] = Webhook(secret or os.environ["INTERVISIE_WEBHOOK_SECRET"])
    app.config["SEEN"] = {}  # webhook-id -> what was done; a database table in a real platform

    @app.post("/intervisie/webhooks")
    def receive():
        try:
            # Verifies the signature over id, timestamp and the raw body, and refuses a timestamp
            # more than five minutes off (a replayed delivery).
            event = current_app.config["WEBHOOK"].verify(request.get_data(), dict(request.headers))
        except WebhookVerificationError:
            return jsonify(error="not signed by Intervisie"), 401
        seen = current_app.config["SEEN"]
        delivery = request.headers["webhook-id"]
        if delivery in seen:  # a retry of a delivery already handled
            return jsonify(handled=seen[delivery], duplicate=True)
        handler = HANDLERS.get(event["type"])
        if handler is None:  # a type added after this receiver was written: accept, ignore
            log.info("ignoring event type %s", event["type"])
            return jsonify(ignored=event["type"])
        seen[delivery] = handler(event)
        log.info("%s", seen[delivery])
        return jsonify(handled=seen[delivery])

    return app
