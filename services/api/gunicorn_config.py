"""Gunicorn's configuration for production: ``gunicorn -c python:services.api.gunicorn_config``.

Threads rather than sync workers: a request mostly waits for PostgreSQL, so a few threads per
process serve several at once without a process each. One process per core keeps the Python
work parallel. Every value can be overridden with gunicorn's own ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

import os

bind = os.environ.get("INTERVISIE_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("INTERVISIE_WEB_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("INTERVISIE_WEB_THREADS", "4"))
timeout = 30  # a request that holds a worker thread longer is stuck: restart that worker
graceful_timeout = 20
keepalive = 5
max_requests = 10_000  # recycle processes now and then
max_requests_jitter = 1_000
accesslog = "-"
errorlog = "-"
logger_class = "services.api.redaction.JsonAccessLogger"  # JSON lines, feed and page tokens redacted
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, each process writes its counts into files there and
    /metrics sums them: start from an empty directory, as prometheus-client asks."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
