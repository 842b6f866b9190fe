"""Which request a piece of work serves, wherever it runs: the API sets it for each request,
the worker for each message (from the message's options), the sweep for each job it sends
again. Log lines carry it (services.telemetry), and so do the jobs and outbox rows a
transaction records (shared.db.session.stamp_request_ids), so that work sent again later is
still traced to its request."""

from __future__ import annotations

from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("intervisie_request_id", default=None)
CLIENT_ID: ContextVar[str | None] = ContextVar("intervisie_client_id", default=None)
