"""Liveness and readiness, without a key."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import text

from services.api.context import state
from services.api.limits import Degraded
from services.api.spec import Blueprint

operations = Blueprint(
    "operations", __name__, description="For load balancers and orchestrators.", rate_limited=False
)


class HealthSchema(Schema):
    class Meta:
        json_schema = {"required": ["status", "checks"]}

    status = fields.String(
        validate=validate.OneOf(("ok", "degraded", "failing")), metadata={"example": "ok", "description": "degraded: answering, but the broker or the rate-limit store is down"},
    )
    checks = fields.Dict(keys=fields.String(), values=fields.String())


def readiness_checks() -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        with state().session_factory() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        checks["database"] = f"failing: {type(error).__name__}"
    for name, probe in state().readiness_probes.items():
        try:
            probe()
            checks[name] = "ok"
        except Degraded as degraded:
            checks[name] = f"degraded: {degraded}"
        except Exception as error:  # noqa: BLE001
            checks[name] = f"failing: {type(error).__name__}"
    return checks


@operations.route("/healthz")
class Health(MethodView):
    @operations.doc(security=[])
    @operations.response(200, HealthSchema)
    def get(self):
        """The process is alive"""
        return {"status": "ok", "checks": {}}


@operations.route("/readyz")
class Ready(MethodView):
    @operations.doc(security=[])
    @operations.response(200, HealthSchema)
    @operations.alt_response(503, schema=HealthSchema, description="A dependency is failing")
    def get(self):
        """The database answers (200; "degraded" when the broker or the rate-limit store does not)"""
        checks = readiness_checks()
        if checks["database"] != "ok":
            return {"status": "failing", "checks": checks}, 503
        # Without the broker, work is recorded and sent by the sweep later; without the rate-limit
        # store, counts are kept in memory: every request is still answered, so still ready.
        status = "ok" if all(value == "ok" for value in checks.values()) else "degraded"
        return {"status": status, "checks": checks}, 200
