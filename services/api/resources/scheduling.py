"""/v1/groups/{id}/scheduling-runs, /v1/scheduling-runs/{id}, and sessions."""

from __future__ import annotations

import uuid

from flask import url_for
from flask.views import MethodView

from services.api.context import actor, reading, state, transaction
from services.api.etag import check_if_match, check_if_none_match, headers_for
from services.api.schemas.scheduling import (
    AlternativeSchema,
    AnswerRequestSchema,
    AttendanceSchema,
    SchedulingBatchRequestSchema,
    SchedulingBatchSchema,
    SchedulingRunSchema,
    SessionPatchSchema,
    SessionSchema,
)
from services.api.spec import Blueprint, documented, page_of
from shared.use_cases import attendance, batches, scheduling

runs = Blueprint(
    "scheduling-runs", __name__, url_prefix="/v1",
    description="Ask for a plan of a group's sessions; the worker computes it. Runs go "
    "queued → running → succeeded | infeasible | failed.",
)
batch_blueprint = Blueprint(
    "scheduling-batches", __name__, url_prefix="/v1",
    description="Plan several groups together (admin keys only): nobody is booked twice, facilitators' "
    "capacity is kept, and as many groups as possible get a plan — also where planning them one by one "
    "would leave one without. Each group gets an ordinary scheduling run.",
)
sessions = Blueprint(
    "sessions", __name__, url_prefix="/v1",
    description="A group's sessions: three guided ones, then self-directed ones. Move one by "
    "sending a new start; cancel one with status cancelled.",
)
IN_FLIGHT_RETRY_AFTER = "1"


@runs.route("/groups/<uuid:group_id>/scheduling-runs")
class GroupSchedulingRuns(MethodView):
    @runs.response(202, SchedulingRunSchema, headers=documented.location("The run to poll"))
    @documented.errors(403, 404, 409, 422)
    def post(self, group_id: uuid.UUID):
        """Plan (or re-plan) a group's sessions"""
        with transaction() as session:
            run = scheduling.request_run(session, actor(), group_id, state().clock())
        state().scheduler.request_plan(run.id)
        return run, {"Location": url_for("scheduling-runs.SchedulingRunById", run_id=run.id)}


@runs.route("/scheduling-runs/<uuid:run_id>")
class SchedulingRunById(MethodView):
    @runs.response(200, SchedulingRunSchema, headers=documented.retry_after)
    @documented.errors(404)
    def get(self, run_id: uuid.UUID):
        """Get a scheduling run; poll until it is no longer queued or running"""
        with reading() as session:
            run = scheduling.show_run(session, actor(), run_id)
        if run.status in scheduling.IN_FLIGHT:
            return run, {"Retry-After": IN_FLIGHT_RETRY_AFTER}
        return run


@batch_blueprint.route("/scheduling-batches")
class SchedulingBatches(MethodView):
    @batch_blueprint.arguments(SchedulingBatchRequestSchema)
    @batch_blueprint.response(202, SchedulingBatchSchema, headers=documented.location("The batch to poll"))
    @documented.errors(403, 409)
    def post(self, data):
        """Plan several groups together

        Every group needs a facilitator and at least 3 members (422 names the group otherwise)
        and no run in flight (409). Poll the `Location` until `status` is `finished`; each run
        then carries its group's plan or diagnostics.
        """
        with transaction() as session:
            batch = batches.request_batch(session, actor(), data["group_ids"], state().clock())
            body = batches.document(batch)
        state().scheduler.request_batch(batch.id)
        return body, {"Location": url_for("scheduling-batches.SchedulingBatchById", batch_id=batch.id)}


@batch_blueprint.route("/scheduling-batches/<uuid:batch_id>")
class SchedulingBatchById(MethodView):
    @batch_blueprint.response(200, SchedulingBatchSchema, headers=documented.retry_after)
    @documented.errors(403, 404)
    def get(self, batch_id: uuid.UUID):
        """Get a scheduling batch; poll until it is finished"""
        with reading() as session:
            batch = batches.get_batch(session, actor(), batch_id)
            body = batches.document(batch)
        if batch.status in scheduling.IN_FLIGHT:
            return body, {"Retry-After": IN_FLIGHT_RETRY_AFTER}
        return body


@sessions.route("/groups/<uuid:group_id>/sessions")
class GroupSessions(MethodView):
    @sessions.response(200, SessionSchema(many=True))
    @sessions.paginate()
    @documented.errors(404)
    def get(self, group_id: uuid.UUID, pagination_parameters):
        """List a group's sessions in order"""
        with reading() as session:
            items, total = scheduling.list_sessions(session, actor(), group_id, page_of(pagination_parameters), state().clock())
        pagination_parameters.item_count = total
        return items


@sessions.route("/sessions/<uuid:session_id>")
class SessionById(MethodView):
    @sessions.response(200, SessionSchema, headers=documented.etag)
    @documented.conditional_read
    @documented.errors(404)
    def get(self, session_id: uuid.UUID):
        """Get a session, with who answered what

        A platform key is shown the answers and absences of its own participants and of the
        facilitator (the organiser's, who leads the session for every platform); those of another
        platform's participants in a mixed group only as counts, in `others`.
        """
        with reading() as session:
            row = scheduling.read_session(session, actor(), session_id, state().clock())
        check_if_none_match(row)
        return row, headers_for(row)

    @sessions.arguments(SessionPatchSchema(partial=True))
    @sessions.response(200, SessionSchema, headers=documented.etag)
    @documented.conditional_write
    @documented.errors(403, 404, 409)
    def patch(self, data, session_id: uuid.UUID):
        """Move a session (new start; absent_ids then lists who cannot attend) or cancel it

        A move (or reinstating a cancelled session) onto another session of someone it books, or
        past the facilitator's capacity, is 409 `schedule-conflict` with `conflicts`, and changes
        nothing. Moving a guided session to a time its facilitator cannot attend, or reinstating
        one at such a time, is 409 `schedule-conflict` with `reason` `facilitator-unavailable`
        (and `explanations` saying why) unless the body says `"allow_absent": true`; a reinstated
        session's absent_ids are judged again, as a moved one's.
        """
        with transaction() as session:
            now = state().clock()
            row = scheduling.show_session(session, actor(), session_id, now)
            check_if_match(row)
            scheduling.change_session(session, actor(), row, data, now)
        return row, headers_for(row)


@sessions.route("/sessions/<uuid:session_id>/alternatives")
class SessionAlternatives(MethodView):
    @sessions.response(200, AlternativeSchema(many=True))
    @documented.errors(404, 409)
    def get(self, session_id: uuid.UUID):
        """Other times for a session, best first

        Up to five starts that keep the group's rules and everyone's availability, book nobody
        twice, keep 21 days to the group's neighbouring sessions, and lie in the session's month
        or the two weeks around it — one a day, most attendees first, then the group's slot, then
        the nearest date. Choose one with `PATCH /v1/sessions/{id}` and its `start`.
        """
        with transaction() as session:
            return scheduling.alternatives_for(session, actor(), session_id, state().clock())


@sessions.route("/sessions/<uuid:session_id>/attendance/<uuid:person_id>")
class SessionAnswer(MethodView):
    @sessions.arguments(AnswerRequestSchema)
    @sessions.response(200, AttendanceSchema)
    @documented.errors(404)
    def put(self, data, session_id: uuid.UUID, person_id: uuid.UUID):
        """Record an answer a platform collected

        Admin keys for anyone the session invites; a platform key for its own participants (anyone
        else is 404). The answer's source is `api`; it counts as the person's own answer to the
        invitation (a decline can put the session at risk).
        """
        with transaction() as session:
            scheduling.get_session(session, actor(), session_id)
            return attendance.answer_for_client(session, actor(), session_id, person_id, data["response"], state().clock())
