"""Liveness and readiness, without a key."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import text

from services.api.context import state
from services.api.spec import Blueprint

operations = Blueprint(
    "operations", __name__, description="For load balancers and orchestrators.", rate_limited=False
)


class HealthSchema(Schema):
    class Meta:
        json_schema = {"required": ["status", "checks"]}

    status = fields.String(validate=validate.OneOf(("ok", "failing")), metadata={"example": "ok"})
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
        """The database (and the broker) answer"""
        checks = readiness_checks()
        ready = all(value == "ok" for value in checks.values())
        return {"status": "ok" if ready else "failing", "checks": checks}, 200 if ready else 503
