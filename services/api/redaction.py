"""Feed tokens, answer and availability links are secrets in URLs: the access logs of gunicorn and
of werkzeug's development server write every path through :func:`services.telemetry.redact`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger as GunicornLogger
from werkzeug.serving import WSGIRequestHandler

from services.telemetry import JsonLines, ScrubbedText, redact


class RedactingRequestHandler(WSGIRequestHandler):
    """werkzeug's development server (``intervisie serve``) without tokens in its access log."""

    def log(self, type: str, message: str, *args) -> None:  # noqa: A002 - werkzeug's signature
        super().log(type, redact(message), *(redact(a) if isinstance(a, str) else a for a in args))


class RedactingGunicornLogger(GunicornLogger):
    """``gunicorn --logger-class services.api.redaction.RedactingGunicornLogger``."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


class JsonAccessLogger(RedactingGunicornLogger):
    """Gunicorn's access log as one JSON object per line (tokens redacted, no query secrets,
    never a key), and its error log (starting, booting and stopping workers, timeouts, a request
    that failed) as JSON lines too — or, with ``INTERVISIE_LOG_FORMAT=text``, as gunicorn's
    plain lines — scrubbed of secrets either way:
    ``--logger-class services.api.redaction.JsonAccessLogger``."""

    def setup(self, cfg):
        super().setup(cfg)
        json_lines = os.environ.get("INTERVISIE_LOG_FORMAT", "json") == "json"
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonLines() if json_lines else ScrubbedText(self.error_fmt, self.datefmt))

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        status = atoms.get("s", "-")
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "info",
            "logger": "gunicorn.access",
            "message": f"{atoms.get('m')} {atoms.get('U')} {status}",
            "method": atoms.get("m"),
            "path": atoms.get("U"),
            "status": int(status) if str(status).isdigit() else None,
            "bytes": atoms.get("B"),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "client": atoms.get("h"),
            "request_id": atoms.get("{x-request-id}o") if atoms.get("{x-request-id}o") not in (None, "-") else None,
        }
        self.access_log.info(json.dumps(record, ensure_ascii=False))
