"""One settings object, read from ``INTERVISIE_*`` environment variables.

Nothing reads the environment anywhere else: entrypoints call :meth:`Settings.from_env` once and
pass the result on, and tests build a :class:`Settings` directly.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/intervisie.db"
_METRICS_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]{32,}=*")
"""RFC 6750's b64token, long enough not to be guessed."""


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    broker_url: str = "embedded"
    public_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    inbound_smtp: str | None = None
    """``host:port`` on which ``intervisie serve`` also receives the programme's mail (REPLYs)."""
    inbound_authserv_id: str | None = None
    """The authserv-id of the receiving MTA in front of mail-in, whose RFC 8601
    Authentication-Results a REPLY's mail must carry with dmarc=pass or an aligned dkim=pass;
    unset: no MTA is trusted, and a REPLY counts when From and envelope sender are the attendee."""
    reminder_hours: int = 48
    """How long before a session its reminder goes out."""
    webhook_allow_private: bool = False
    calendar_refresh_minutes: int = 360
    """How often a person's published calendars are fetched again (a conditional GET)."""
    calendar_allow_private: bool = False
    """Whether published calendars may be on loopback or private addresses (and plain http):
    for tests and closed networks; otherwise refused when added and at every fetch."""
    programme_name: str = "Intervisie"
    programme_email: str = "intervisie@example.org"
    max_body_bytes: int = 1024 * 1024
    sweep_seconds: int = 30
    """How often a worker looks for scheduling runs whose message was lost."""
    broker_namespace: str = "intervisie"
    """Prefix of the broker's queues (RabbitMQ) and keys (Redis), so deployments can share one."""
    worker_threads: int = 4
    secret_key: str | None = None
    """Derives the feed tokens. Unset: a random key is kept in ``secret_key_file``."""
    secret_key_file: str = "var/secret.key"
    run_lease_seconds: int = 20
    """How long a worker's claim on a scheduling run holds; after it, another worker may take over."""
    sending_timeout_seconds: int = 60
    """How old a worker's claim on a mail must be before another worker takes it over and sends it
    again (with the same Message-ID): the sender died mid-send. Longer than a send can take, or a
    slow live send is doubled too."""
    log_retention_days: int = 30
    """How long webhook delivery logs and dispatched outbox rows are kept."""
    rate_limit: str = "600 per minute"
    """Per API key."""
    feed_rate_limit: str = "120 per minute"
    """Per client address, for /feeds."""
    rate_limit_storage_url: str | None = None
    """Where request counts live; default: the Redis broker when there is one, else memory."""

    failed_key_limit: str = "60 per minute"
    """Refused API keys per client address; more are answered 429."""
    trusted_proxies: int = 0
    """How many reverse proxies in front of the API set X-Forwarded-For/-Proto/-Host (ProxyFix)."""
    worker_heartbeat_file: str | None = None
    """A file ``intervisie worker`` touches every 10 s while it consumes (for health checks)."""
    metrics_enabled: bool = True
    """Whether ``/metrics`` answers (``INTERVISIE_METRICS=off``: 404)."""
    metrics_allow: str | None = None
    """Comma-separated addresses or networks (CIDR) that may read ``/metrics`` besides loopback,
    which always may; unset: loopback only."""
    metrics_token: str | None = None
    """A bearer token that opens ``/metrics`` (the API's and a worker's own port) from any address,
    sent as Prometheus's ``authorization`` sends it: ``Authorization: Bearer <token>``. At least
    32 characters of RFC 6750's token alphabet (``openssl rand -hex 32``)."""
    metrics_multiproc_dir: str | None = None
    """prometheus-client's multiprocess directory: every process (gunicorn's, the workers') writes
    its counts there and ``/metrics`` sums them. prometheus-client reads the variable itself when it
    is imported, so it must be in the environment of every process, not only in these settings."""
    worker_metrics_port: int = 0
    """A port on which ``intervisie worker`` serves its own ``/metrics``; 0: none."""
    log_format: str = "json"
    """``json`` (one object per line) or ``text`` (for a person at a terminal)."""
    log_level: str = "INFO"
    answer_cache_size: int = 4096
    """How many participants' answers (as reads dumped them) every API process keeps, by id,
    version, themes and groups; about 4 KiB each in memory, 16 MiB at most by default; 0: none,
    every read dumps afresh."""

    ENV_NAMES = {
        "database_url": "INTERVISIE_DATABASE_URL",
        "trusted_proxies": "INTERVISIE_TRUSTED_PROXIES",
        "failed_key_limit": "INTERVISIE_FAILED_KEY_LIMIT",
        "worker_heartbeat_file": "INTERVISIE_WORKER_HEARTBEAT_FILE",
        "metrics_enabled": "INTERVISIE_METRICS",
        "metrics_allow": "INTERVISIE_METRICS_ALLOW",
        "metrics_token": "INTERVISIE_METRICS_TOKEN",
        "metrics_multiproc_dir": "PROMETHEUS_MULTIPROC_DIR",
        "worker_metrics_port": "INTERVISIE_WORKER_METRICS_PORT",
        "log_format": "INTERVISIE_LOG_FORMAT",
        "log_level": "INTERVISIE_LOG_LEVEL",
        "answer_cache_size": "INTERVISIE_ANSWER_CACHE_SIZE",
        "broker_url": "INTERVISIE_BROKER_URL",
        "public_url": "INTERVISIE_PUBLIC_URL",
        "smtp_url": "INTERVISIE_SMTP_URL",
        "inbound_smtp": "INTERVISIE_INBOUND_SMTP",
        "inbound_authserv_id": "INTERVISIE_INBOUND_AUTHSERV_ID",
        "reminder_hours": "INTERVISIE_REMINDER_HOURS",
        "webhook_allow_private": "INTERVISIE_WEBHOOK_ALLOW_PRIVATE",
        "calendar_refresh_minutes": "INTERVISIE_CALENDAR_REFRESH_MINUTES",
        "calendar_allow_private": "INTERVISIE_CALENDAR_ALLOW_PRIVATE",
        "programme_name": "INTERVISIE_PROGRAMME_NAME",
        "programme_email": "INTERVISIE_PROGRAMME_EMAIL",
        "sweep_seconds": "INTERVISIE_SWEEP_SECONDS",
        "broker_namespace": "INTERVISIE_BROKER_NAMESPACE",
        "worker_threads": "INTERVISIE_WORKER_THREADS",
        "run_lease_seconds": "INTERVISIE_RUN_LEASE_SECONDS",
        "sending_timeout_seconds": "INTERVISIE_SENDING_TIMEOUT_SECONDS",
        "secret_key": "INTERVISIE_SECRET_KEY",
        "secret_key_file": "INTERVISIE_SECRET_KEY_FILE",
        "log_retention_days": "INTERVISIE_LOG_RETENTION_DAYS",
        "rate_limit": "INTERVISIE_RATE_LIMIT",
        "feed_rate_limit": "INTERVISIE_FEED_RATE_LIMIT",
        "rate_limit_storage_url": "INTERVISIE_RATE_LIMIT_STORAGE_URL",
    }

    def __post_init__(self) -> None:
        if self.answer_cache_size < 0:
            raise ValueError(f"INTERVISIE_ANSWER_CACHE_SIZE must be 0 or more, not {self.answer_cache_size}")
        if self.calendar_refresh_minutes < 1:
            raise ValueError(f"INTERVISIE_CALENDAR_REFRESH_MINUTES must be 1 or more, not {self.calendar_refresh_minutes}")
        if self.sending_timeout_seconds < 1:
            raise ValueError(f"INTERVISIE_SENDING_TIMEOUT_SECONDS must be 1 or more, not {self.sending_timeout_seconds}")
        self.metrics_networks  # noqa: B018 - refused at start, not at the first scrape
        if self.metrics_token is not None and not _METRICS_TOKEN.fullmatch(self.metrics_token):
            # Never the value itself in the message: it is a secret.
            raise ValueError(
                "INTERVISIE_METRICS_TOKEN must be at least 32 characters of A-Z a-z 0-9 - . _ ~ + / "
                "(optionally ending in =), e.g. the output of openssl rand -hex 32"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        types = {f.name: f.type for f in fields(cls)}
        for name, variable in cls.ENV_NAMES.items():
            raw = environ.get(variable)
            if raw is None or raw == "":
                continue
            kind = types[name]
            if kind == "bool":
                values[name] = _flag(raw)
            elif kind == "int":
                try:
                    values[name] = int(raw)
                except ValueError:
                    raise ValueError(f"{variable} must be a whole number, not {raw!r}") from None
            else:
                values[name] = raw
        return cls(**values)

    @property
    def metrics_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The networks of ``INTERVISIE_METRICS_ALLOW``; raises ValueError naming a part that is none."""
        networks = []
        for part in (self.metrics_allow or "").split(","):
            if part.strip():
                try:
                    networks.append(ipaddress.ip_network(part.strip(), strict=False))
                except ValueError:
                    raise ValueError(
                        f"INTERVISIE_METRICS_ALLOW must be comma-separated addresses or networks (CIDR), not {part.strip()!r}"
                    ) from None
        return tuple(networks)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def public_base(self) -> str:
        return self.public_url.rstrip("/")

    @property
    def rate_limit_storage(self) -> str:
        if self.rate_limit_storage_url:
            return self.rate_limit_storage_url
        if self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return "memory://"

    def secret(self) -> bytes:
        """The secret key; without one configured, a random one is created once and kept on disk."""
        if self.secret_key:
            return self.secret_key.encode()
        path = Path(self.secret_key_file)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".{path.name}.{os.getpid()}")
            draft.write_text(secrets.token_urlsafe(48))
            draft.chmod(0o600)
            try:
                os.link(draft, path)  # atomic: of processes starting together, one key wins
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip().encode()
