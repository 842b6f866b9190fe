"""``intervisie worker``: a Dramatiq worker process for the configured broker."""

from __future__ import annotations

import logging
import signal
import threading

from services.scheduler.broker import EMBEDDED
from services.scheduler.scheduler import Scheduler
from shared.config import Settings
from shared.db.session import make_engine, make_session_factory

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> None:
    if settings.broker_url == EMBEDDED:
        raise SystemExit(
            "INTERVISIE_BROKER_URL is 'embedded': the worker runs inside `intervisie serve`. "
            "Set it to redis://… or amqp://… to run separate workers."
        )
    scheduler = Scheduler(settings, make_session_factory(make_engine(settings.database_url)))
    stopping = threading.Event()

    def stop(signum, _frame):
        log.info("received signal %s, stopping", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start_consuming()
    stopping.wait()
    scheduler.stop()
