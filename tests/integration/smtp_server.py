"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and can refuse or answer
slowly."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.integration.servers import free_port


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0
    """How many coming DATA commands to answer with a temporary failure (451)."""
    refusal: str = "451 4.3.0 Mailbox temporarily unavailable, try again"
    holds: list[float] = field(default_factory=list)
    """For each coming message, how many seconds to hold back the 250 after keeping the message: a
    server that has it while its sender still waits for the answer, and may die waiting."""
    held: int = 0
    """How many answers are being held back now."""

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return self.refusal
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        if self.holds:
            seconds = self.holds.pop(0)
            self.held += 1
            try:
                await asyncio.sleep(seconds)
            finally:
                self.held -= 1
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[str, Mailbox]]:
    """Yield ``(smtp_url, mailbox)``."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", mailbox
    finally:
        controller.stop()
