"""The programme's inbound mail: an SMTP receiver (aiosmtpd) for the REPLYs that calendars send
to the organizer's address.

``intervisie mail-in`` runs it alone; ``intervisie serve`` runs it too when
``INTERVISIE_INBOUND_SMTP=host:port`` is set. Only the programme's address
(``INTERVISIE_PROGRAMME_EMAIL``) is a mailbox here: any other recipient is refused in the SMTP
dialogue (``550``). Each message is read for at most
:data:`~shared.domain.itip.MAX_CALENDAR_PARTS` calendar parts (see
:func:`shared.domain.itip.calendar_parts`; the rest are logged and ignored, so one mail cannot
make hundreds of answers), and each REPLY among them counts only when the mail comes from the
attendee it answers for (see :mod:`shared.domain.reply_senders`). A usable REPLY is recorded
exactly as ``POST /v1/itip`` records it, one transaction per REPLY, before the SMTP transaction
ends — the bound on parts keeps that to a second or so. Everything else — a mail without a
calendar, a calendar that is not a usable REPLY, a sender who may not speak for the attendee —
is dropped with a log line and counted (``intervisie_mail_replies``): the sender gets ``250`` all
the same (a bounce to an automatic reply could loop), nothing is half written, and a message
over :data:`MAX_MESSAGE_BYTES` is refused by the SMTP dialogue itself (``552``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from email.errors import ObsoleteHeaderDefect

from aiosmtpd.controller import Controller
from prometheus_client import Counter
from sqlalchemy.orm import Session, sessionmaker

from shared.domain.itip import ReplyError, calendar_parts, parse_reply, read_mail
from shared.domain.reply_senders import Sender, refusal
from shared.errors import ServiceError
from shared.use_cases import outbox, replies

log = logging.getLogger(__name__)

Dispatch = Callable[[list[uuid.UUID]], None]

MAX_MESSAGE_BYTES = 1024 * 1024

MAIL_REPLIES = Counter(
    "intervisie_mail_replies",
    "Calendar replies received by mail, by outcome: recorded; unchanged (older than the answer recorded); "
    "refused_from, refused_envelope, unauthenticated (the mail may not speak for the attendee); dropped "
    "(not a usable REPLY); ignored (calendar parts past the limit of a mail); unreadable and no_calendar "
    "(per mail); deferred (the database failed: the sender was asked to try again).",
    ["outcome"],
)


class ReplyHandler:
    """aiosmtpd's handler: record the REPLYs in each message that arrives."""

    def __init__(
        self, session_factory: sessionmaker[Session], clock: Callable[[], datetime], *,
        reply_address: str, authserv_id: str | None = None, dispatch: Dispatch | None = None,
    ) -> None:
        self.session_factory, self.clock, self.dispatch = session_factory, clock, dispatch
        self.reply_address, self.authserv_id = reply_address.strip().lower(), authserv_id

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:  # noqa: N802 - aiosmtpd's name
        if address.strip().lower() != self.reply_address:
            return "550 5.1.1 no such mailbox: replies go to the programme's address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.process, envelope.mail_from, envelope.content)
        except Exception:  # noqa: BLE001 - the database or the like failed: a 4xx makes the sender try again
            log.warning("mail from %s not processed now; the sender is asked to try again", envelope.mail_from, exc_info=True)
            MAIL_REPLIES.labels("deferred").inc()
            # Temporary, not 5xx: a bounce would lose the answer. The replies already recorded
            # are the same REPLYs again next time, which change nothing.
            return "451 4.3.0 cannot take the reply now, try again later"
        return "250 OK"

    def process(self, envelope_sender: str, content: bytes) -> list[str]:
        """Record every usable REPLY in one message; returns what happened to each, for logs."""
        try:
            mail = read_mail(content)
            senders = mail.get_all("From", [])
            sender = Sender(
                envelope=envelope_sender or "",
                from_addresses=[a.addr_spec for header in senders for a in header.addresses],
                authentication_results=[str(value) for value in mail.get_all("Authentication-Results", [])],
                from_doubtful=any(not isinstance(d, ObsoleteHeaderDefect) for header in senders for d in header.defects),
            )
            parts = calendar_parts(mail)
        except ReplyError as error:
            log.info("mail from %s dropped: %s", envelope_sender, error)
            return self._counted(["unreadable"])
        except Exception:  # noqa: BLE001 - a message the email parser cannot read is dropped, not a crash
            log.warning("mail from %s dropped: not a readable message", envelope_sender, exc_info=True)
            return self._counted(["unreadable"])
        if parts.ignored:
            log.info("mail from %s: %d calendar parts past the first %d ignored", envelope_sender, parts.ignored, len(parts.texts))
            MAIL_REPLIES.labels("ignored").inc(parts.ignored)
        if not parts.texts:
            log.info("mail from %s dropped: it carries no calendar", envelope_sender)
            return self._counted(["no_calendar"])
        outcomes, seen = [], set()
        for text in parts.texts:
            try:
                reply = parse_reply(text)
            except ReplyError as error:
                log.info("calendar in mail from %s dropped: %s", envelope_sender, error)
                outcomes.append("dropped")
                continue
            if reply in seen:
                continue  # the same REPLY twice (Google sends it inline and attached)
            seen.add(reply)
            refused = refusal(sender, reply.email, authserv_id=self.authserv_id)
            if refused is not None:
                log.warning("REPLY for %s in mail from %s refused: %s", reply.uid, envelope_sender, refused.reason)
                outcomes.append(f"refused_{refused.code}" if refused.code != "unauthenticated" else "unauthenticated")
                continue
            try:
                with self.session_factory.begin() as session:
                    recorded = replies.record(session, reply, self.clock())
                work = outbox.recorded(session)
                if work and self.dispatch is not None:
                    self._dispatch(work)
            except ServiceError as error:
                log.info("REPLY from %s for %s dropped: %s", envelope_sender, reply.uid, error.detail)
                outcomes.append("dropped")
                continue
            if not recorded.applied:
                log.info("REPLY from %s for session %s is older than the answer recorded: nothing changed", envelope_sender, recorded.session_id)
                outcomes.append("unchanged")
                continue
            log.info("REPLY from %s recorded for session %s: %s", envelope_sender, recorded.session_id, reply.response)
            outcomes.append("recorded")
        return self._counted(outcomes)

    def _dispatch(self, work: list[uuid.UUID]) -> None:
        """Send the worker what the answer recorded (the alarm now, not at the next sweep); the
        answer is committed either way, and the sweep sends what could not be sent here."""
        try:
            self.dispatch(work)
        except Exception:  # noqa: BLE001 - the broker is down: the outbox row stays for the sweep
            log.warning("could not send %d outbox message(s) to the worker; the sweep will", len(work), exc_info=True)

    @staticmethod
    def _counted(outcomes: list[str]) -> list[str]:
        for outcome in outcomes:
            MAIL_REPLIES.labels(outcome).inc()
        return outcomes


def receiver(
    host: str, port: int, session_factory: sessionmaker[Session], clock: Callable[[], datetime], *,
    reply_address: str, authserv_id: str | None = None, dispatch: Dispatch | None = None,
) -> Controller:
    """An SMTP receiver on ``host:port`` (not started: call ``start()`` and ``stop()``).
    ``dispatch`` sends the worker the outbox messages an answer recorded (an at-risk alarm);
    without it, a worker's sweep finds them."""
    handler = ReplyHandler(session_factory, clock, reply_address=reply_address, authserv_id=authserv_id, dispatch=dispatch)
    return Controller(handler, hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES)


def parse_address(value: str) -> tuple[str, int]:
    """``host:port`` (``INTERVISIE_INBOUND_SMTP``) as its parts."""
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit():
        raise ValueError(f"not host:port: {value!r}")
    return host.strip("[]"), int(port)
