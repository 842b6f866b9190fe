"""Handing a message to the SMTP server that ``INTERVISIE_SMTP_URL`` names.

``smtp://[user:password@]host[:port]`` (plain, or STARTTLS when the server offers it and
``?starttls=1`` is given), ``smtps://…`` (implicit TLS, port 465 by default).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT_SECONDS = 30


def send(smtp_url: str, message: EmailMessage) -> None:
    """Deliver one message; raises ``smtplib.SMTPException`` or ``OSError`` when the server refuses."""
    url = urlsplit(smtp_url)
    options = parse_qs(url.query)
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            url.hostname, url.port or 465, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    elif url.scheme == "smtp":
        client = smtplib.SMTP(url.hostname, url.port or 25, timeout=TIMEOUT_SECONDS)
    else:
        raise ValueError(f"INTERVISIE_SMTP_URL must start with smtp:// or smtps://, not {url.scheme}://")
    with client:
        if url.scheme == "smtp" and options.get("starttls", ["0"])[0] in {"1", "true", "yes"}:
            client.starttls(context=ssl.create_default_context())
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)
