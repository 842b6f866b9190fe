"""Log lines without secrets, and request ids that are safe to write into them."""

from __future__ import annotations

import json
import logging

import pytest

from services.telemetry import CLIENT_ID, REQUEST_ID, JsonLines, request_id_from, scrub


def test_scrub_takes_out_addresses_keys_secrets_credentials_and_link_tokens():
    line = (
        "mail to fien.jansen+ib@school.example.nl failed; key ivk_Ab-3_x9 header Bearer ivk_secret "
        "secret whsec_c2VjcmV0+/= GET /feeds/Zm9vYmFy.ics GET /answer/abc_DEF-1 POST /availability/tok3n"
    )
    assert scrub(line) == (
        "mail to [e-mail] failed; key ivk_[redacted] header Bearer [redacted] "
        "secret whsec_[redacted] GET /feeds/[redacted].ics GET /answer/[redacted] POST /availability/[redacted]"
    )


def test_scrub_leaves_ordinary_text_alone():
    line = "scheduling run 0b5f6a2e-41c6-4c36-9d0e-7a3f1d2c9b10: plan (3 sessions, 19:00–20:30)"
    assert scrub(line) == line


@pytest.mark.parametrize("sent", ["abc", "A.b_c-1", "x" * 128, "0b5f6a2e41c64c369d0e7a3f1d2c9b10"])
def test_a_valid_request_id_is_kept(sent):
    assert request_id_from(sent) == sent


@pytest.mark.parametrize("sent", [None, "", "x" * 129, "a b", "a\nb", "a/b", "é", '{"json": 1}'])
def test_anything_else_gets_a_new_uuid4_hex(sent):
    new = request_id_from(sent)
    assert new != sent and len(new) == 32 and int(new, 16) >= 0


def _record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("services.scheduler.jobs", logging.WARNING, __file__, 1, message, args, exc_info)


def test_a_json_line_has_time_level_logger_message_request_and_client_first():
    request, client = REQUEST_ID.set("req-1"), CLIENT_ID.set("client-9")
    try:
        line = JsonLines().format(_record("invitation %s to %s: %s", "i-1", "lid0@example.org", "sent"))
    finally:
        REQUEST_ID.reset(request)
        CLIENT_ID.reset(client)
    assert "\n" not in line
    record = json.loads(line)
    assert list(record) == ["time", "level", "logger", "message", "request_id", "client_id"]
    assert record["level"] == "warning" and record["logger"] == "services.scheduler.jobs"
    assert record["message"] == "invitation i-1 to [e-mail]: sent"
    assert record["request_id"] == "req-1" and record["client_id"] == "client-9"
    assert record["time"].endswith("+00:00")


def test_outside_a_request_the_ids_are_null_and_an_exception_is_scrubbed_too():
    try:
        raise ValueError("no such person lid1@example.org with key ivk_abc")
    except ValueError:
        import sys

        line = JsonLines().format(_record("failed", exc_info=sys.exc_info()))
    record = json.loads(line)
    assert record["request_id"] is None and record["client_id"] is None
    assert "ValueError: no such person [e-mail] with key ivk_[redacted]" in record["exception"]
    assert "lid1@example.org" not in line and "ivk_abc" not in line


def test_terminal_colours_do_not_reach_a_json_line():
    line = JsonLines().format(_record('127.0.0.1 - - "\x1b[35m\x1b[1mPOST /v1/groups HTTP/1.1\x1b[0m" 201 -'))
    assert json.loads(line)["message"] == '127.0.0.1 - - "POST /v1/groups HTTP/1.1" 201 -'


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_gunicorns_own_error_lines_are_scrubbed_in_either_format(log_format, monkeypatch, tmp_path):
    from gunicorn.config import Config

    from services.api.redaction import JsonAccessLogger

    monkeypatch.setenv("INTERVISIE_LOG_FORMAT", log_format)
    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = JsonAccessLogger(config)
    logger.error("Error handling request /feeds/Zm9vYmFy.ics for fien@school.example.nl")
    for handler in logger.error_log.handlers:
        handler.flush()
    line = (tmp_path / "error.log").read_text().strip()
    assert "Zm9vYmFy" not in line and "fien@" not in line
    assert "/feeds/[redacted].ics" in line
    if log_format == "json":
        assert json.loads(line)["logger"] == "gunicorn.error"
    else:
        assert line.endswith("[ERROR] Error handling request /feeds/[redacted].ics for [e-mail]")
