"""What the API and the workers share to be observed: the request id a log line belongs to, JSON
log lines without secrets, and the Prometheus registry a scrape reads.

A request's id (``X-Request-ID``) and its API client's id live in context variables: the API
sets them per request, the Dramatiq middleware carries them in the messages the request causes
and sets them again while a worker processes such a message. Every log line carries both.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from pythonjsonlogger.json import JsonFormatter

from shared.tracing import (  # re-exported: defined in shared, so the rows a transaction records carry it too
    CLIENT_ID,
    REQUEST_ID,
)

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def request_id_from(header: str | None) -> str:
    """The client's ``X-Request-ID`` when it is 1–128 characters of ``[A-Za-z0-9._-]``, else a
    new one (uuid4 hex): anything else could forge log lines or carry a secret into them."""
    if header and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


_SECRET_PATH = re.compile(r"(/feeds/|/answer/|/availability/)[A-Za-z0-9_\-]+")


def redact(text: str) -> str:
    """A path or request line without the tokens of feed, answer and availability links: the
    loggers of gunicorn and werkzeug (:mod:`services.api.redaction`) write nothing else."""
    return _SECRET_PATH.sub(r"\1[redacted]", text)


_SECRETS = (
    (re.compile(r"[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[e-mail]"),
    (re.compile(r"\bivk_[A-Za-z0-9_-]+"), "ivk_[redacted]"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"), "whsec_[redacted]"),
    (re.compile(r"(?i)\b(bearer)\s+\S+"), r"\1 [redacted]"),
    # A published calendar's address is a secret; the code never logs one (it names a source by
    # its id), and one that slips through in its webcal form is cut here.
    (re.compile(r"(?i)\bwebcals?://\S+"), "webcal://[redacted]"),
)


def scrub(text: str) -> str:
    """A log line without e-mail addresses, API keys, webhook secrets, bearer credentials, the
    tokens of feed, answer and availability links, or webcal addresses."""
    text = redact(text)
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


_TERMINAL_STYLE = re.compile(r"\x1b\[[0-9;]*m")
"""The colours werkzeug's development server puts into its lines, for a terminal."""


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


class JsonLines(JsonFormatter):
    """One JSON object per line: time, level, logger, message, request_id, client_id, and the
    exception when there is one; every text scrubbed of secrets."""

    def __init__(self) -> None:
        super().__init__(["message"], json_ensure_ascii=False)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        extra = {key: _scrubbed(value) for key, value in log_data.items() if key != "message"}
        log_data.clear()
        log_data.update(
            time=datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            level=record.levelname.lower(),
            logger=record.name,
            message=scrub(_TERMINAL_STYLE.sub("", record.getMessage())),
            request_id=REQUEST_ID.get(),
            client_id=CLIENT_ID.get(),
        )
        if "exc_info" in extra:
            extra["exception"] = extra.pop("exc_info")
        log_data.update(extra)


class ScrubbedText(logging.Formatter):
    """Plain lines, scrubbed of secrets like the JSON ones; ``%(request_id)s`` is available."""

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = REQUEST_ID.get() or "-"
        return scrub(super().format(record))


def configure_logging(log_format: str = "json", level: str = "INFO") -> None:
    """Every log line of this process to stderr, as JSON lines (or scrubbed text)."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "text":
        handler.setFormatter(ScrubbedText("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"))
    elif log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        raise ValueError(f"INTERVISIE_LOG_FORMAT must be json or text, not {log_format!r}")
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.captureWarnings(True)  # a warning is a log line too, not loose text on stderr


def scrape_registry(multiproc_dir: str | None) -> CollectorRegistry:
    """What a scrape reads: with a multiprocess directory the sum over every process that writes
    there (gunicorn's workers, ``intervisie worker``), otherwise this process's own metrics."""
    if not multiproc_dir:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=multiproc_dir)
    return registry
