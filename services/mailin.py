"""The programme's inbound mail: an SMTP receiver (aiosmtpd) for the REPLYs that calendars send
to the organizer's address.

``intervisie mail-in`` runs it alone; ``intervisie serve`` runs it too when
``INTERVISIE_INBOUND_SMTP=host:port`` is set. Each message is read for calendar parts (see
:func:`shared.domain.itip.calendar_parts`), and each REPLY among them is recorded exactly as
``POST /v1/itip`` records it, one transaction per REPLY. Everything else — a mail without a
calendar, a calendar that is not a usable REPLY — is dropped with a log line: the sender gets
``250`` all the same (a bounce to an automatic reply could loop), nothing is half written, and
a message over :data:`MAX_MESSAGE_BYTES` is refused by the SMTP dialogue itself (``552``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from shared.domain.itip import ReplyError, calendar_parts, parse_reply
from shared.errors import ServiceError
from shared.use_cases import replies

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1024 * 1024


class ReplyHandler:
    """aiosmtpd's handler: record the REPLYs in each message that arrives."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.session_factory, self.clock = session_factory, clock

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        await asyncio.get_running_loop().run_in_executor(None, self.process, envelope.mail_from, envelope.content)
        return "250 OK"

    def process(self, sender: str, content: bytes) -> list[str]:
        """Record every usable REPLY in one message; returns what happened to each, for logs."""
        outcomes = []
        try:
            parts = calendar_parts(content)
        except Exception:  # noqa: BLE001 - a message the email parser cannot read is dropped, not a crash
            log.warning("mail from %s dropped: not a readable message", sender, exc_info=True)
            return ["unreadable"]
        if not parts:
            log.info("mail from %s dropped: it carries no calendar", sender)
            return ["no calendar"]
        seen = set()
        for part in parts:
            try:
                reply = parse_reply(part)
            except ReplyError as error:
                log.info("calendar in mail from %s dropped: %s", sender, error)
                outcomes.append(f"dropped: {error}")
                continue
            if reply in seen:
                continue  # the same REPLY twice (Google sends it inline and attached)
            seen.add(reply)
            try:
                with self.session_factory.begin() as session:
                    recorded = replies.record(session, reply, self.clock())
            except ServiceError as error:
                log.info("REPLY from %s for %s dropped: %s", sender, reply.uid, error.detail)
                outcomes.append(f"dropped: {error.detail}")
                continue
            log.info("REPLY from %s recorded for session %s: %s", sender, recorded.session_id, reply.response)
            outcomes.append(f"recorded: {reply.response}")
        return outcomes


def receiver(host: str, port: int, session_factory: sessionmaker[Session], clock: Callable[[], datetime]) -> Controller:
    """An SMTP receiver on ``host:port`` (not started: call ``start()`` and ``stop()``)."""
    return Controller(
        ReplyHandler(session_factory, clock), hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES,
    )


def parse_address(value: str) -> tuple[str, int]:
    """``host:port`` (``INTERVISIE_INBOUND_SMTP``) as its parts."""
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit():
        raise ValueError(f"not host:port: {value!r}")
    return host.strip("[]"), int(port)
