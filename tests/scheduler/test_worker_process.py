"""``intervisie worker``'s process: its boot heap is put beyond the garbage collector before it
takes messages (services.scheduler.worker.settle_heap)."""

from __future__ import annotations

import gc
import signal
from unittest import mock

from services.scheduler import worker
from shared.config import Settings


def test_the_worker_freezes_its_boot_heap_before_it_consumes_and_stops_on_sigterm():
    seen = {}

    class Scheduler:
        def __init__(self, settings, session_factory):
            seen["frozen at creation"] = gc.get_freeze_count()

        def start_consuming(self):
            seen["frozen when consuming"] = gc.get_freeze_count()
            signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)

        def stop(self, grace):
            seen["stopped"] = grace

    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    gc.unfreeze()
    try:
        with mock.patch.object(worker, "Scheduler", Scheduler), mock.patch.object(worker, "make_engine"), \
                mock.patch.object(worker, "make_session_factory"):
            worker.run_worker(Settings(broker_url="redis://127.0.0.1:6379/15", worker_heartbeat_file=""))
    finally:
        gc.unfreeze()
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
    assert seen["frozen at creation"] == 0
    assert seen["frozen when consuming"] > 10_000
    assert seen["stopped"] == worker.SHUTDOWN_GRACE_SECONDS
