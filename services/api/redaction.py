"""Feed tokens, answer and availability links are secrets in URLs: every log line that could carry a path goes
through here."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger as GunicornLogger
from werkzeug.serving import WSGIRequestHandler

_SECRET_PATH = re.compile(r"(/feeds/|/answer/|/availability/)[A-Za-z0-9_\-]+")


def redact(text: str) -> str:
    return _SECRET_PATH.sub(r"\1[redacted]", text)


class RedactingRequestHandler(WSGIRequestHandler):
    """werkzeug's development server (``intervisie serve``) without tokens in its access log."""

    def log(self, type: str, message: str, *args) -> None:  # noqa: A002 - werkzeug's signature
        super().log(type, redact(message), *(redact(a) if isinstance(a, str) else a for a in args))


class RedactingGunicornLogger(GunicornLogger):
    """``gunicorn --logger-class services.api.redaction.RedactingGunicornLogger``."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
