"""``intervisie worker``: a Dramatiq worker process for the configured broker.

SIGTERM (or SIGINT) stops it: it takes no new messages, lets those under way finish for at most
:data:`~services.scheduler.scheduler.SHUTDOWN_GRACE_SECONDS` (a mail handed to the SMTP server is
recorded as sent, not sent again), and exits."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from pathlib import Path

from services.scheduler.broker import EMBEDDED
from services.scheduler.scheduler import SHUTDOWN_GRACE_SECONDS, Scheduler
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
    settle_heap()
    scheduler.start_consuming()
    heartbeat = Path(settings.worker_heartbeat_file) if settings.worker_heartbeat_file else None
    while not stopping.wait(HEARTBEAT_SECONDS if heartbeat else None):
        beat(scheduler, heartbeat)
    log.info("waiting up to %s s for the messages under way", SHUTDOWN_GRACE_SECONDS)
    scheduler.stop(SHUTDOWN_GRACE_SECONDS)
    log.info("stopped")


HEARTBEAT_SECONDS = 10


def settle_heap() -> None:
    """Put what the process holds after its boot (modules, the broker, the engine) beyond the
    garbage collector: it lives as long as the process, and every full collection would walk it
    again. A job that makes many objects (a calendar feed's expansion makes hundreds of thousands)
    triggers full collections; with the boot heap walked each time they took a sixth of a
    five-year timetable's expansion (bench/busy_times.py). CPython's ``gc.freeze``, after one last
    collection of the boot's garbage."""
    gc.collect()
    gc.freeze()


def beat(scheduler: Scheduler, heartbeat: Path) -> bool:
    """Touch the heartbeat file when this worker consumes and reaches its broker (a container's
    health check reads the file's age: ``intervisie worker-health``)."""
    try:
        scheduler.ping()
    except Exception:  # noqa: BLE001 - an unreachable broker is what the heartbeat reports
        log.warning("heartbeat: the broker does not answer", exc_info=True)
        return False
    if not scheduler.alive():
        log.warning("heartbeat: a consumer or worker thread has stopped")
        return False
    heartbeat.touch()
    return True
