"""Dramatiq actors, declared on a given broker. They take ids and hand over to :mod:`jobs`."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import dramatiq

from services.scheduler import jobs
from services.scheduler.runtime import Runtime

log = logging.getLogger(__name__)

PLAN_RUN = "plan_run"
SCHEDULING_QUEUE = "scheduling"


@dataclass(frozen=True)
class Actors:
    plan_run: dramatiq.Actor

    def request_plan(self, run_id: uuid.UUID) -> None:
        self.plan_run.send(str(run_id))


def declare_actors(broker: dramatiq.Broker, runtime: Runtime | None, *, namespace: str) -> Actors:
    """Declare the actors on ``broker``. ``runtime`` is None in a process that only sends."""

    def plan_run(run_id: str) -> None:
        outcome = jobs.plan_run(_require(runtime), uuid.UUID(run_id))
        log.info("scheduling run %s: %s", run_id, outcome)

    return Actors(
        plan_run=dramatiq.actor(
            plan_run,
            broker=broker,
            actor_name=PLAN_RUN,
            queue_name=f"{namespace}.{SCHEDULING_QUEUE}",
            max_retries=20,
            min_backoff=1_000,
            max_backoff=30_000,
            time_limit=120_000,
        ),
    )


def _require(runtime: Runtime | None) -> Runtime:
    if runtime is None:
        raise RuntimeError("this process only sends messages; run `intervisie worker` to process them")
    return runtime
