"""Benchmark of a whole programme as one batch: ``python -m bench.programme [--api]``.

In this process (:func:`shared.domain.cohort.plan_cohort`, from the plan requests to the
finished plans):

* the 500-group, 50-facilitator programme of :func:`bench.programmes.programme` (members in
  several zones, one group in ten sharing a member with another facilitator's group);
* the hard 200-group programme of :func:`bench.programmes.hard_programme` (12 facilitators,
  tight capacities, about 15 % of the people in two groups).

For each: wall time, groups planned, the batch's proven ``upper_bound`` (a bound over every
series that exists, see :mod:`shared.domain.cohort.pricing`), their ratio, whether the batch
proved its answer optimal, rounds of column generation and the columns it chose from. When
``planned`` equals ``upper_bound`` the optimum is known and met.

``--api``: the 500-group programme end to end, as a platform would plan it: a fresh PostgreSQL
database, gunicorn, two ``intervisie worker`` processes through a private Redis namespace; every
person and group written through the API (not timed), then one ``POST /v1/scheduling-batches``
and polling until it is finished (timed). Targets: at most 60 s, at least 99 % of
``upper_bound`` planned. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time as clock

from bench.programmes import hard_programme, programme
from shared.domain.cohort import plan_cohort

TARGET_SECONDS = 60.0
TARGET_SHARE = 0.99


def _row(name: str, seconds: float, planned: int, bound: int, optimal: bool, extra: str) -> str:
    share = planned / bound if bound else 1.0
    return f"| {name} | {seconds:.1f} s | {planned} | {bound} | {share:.1%} | {'yes' if optimal else 'no'} | {extra} |"


def in_process() -> None:
    print("| programme | wall time | planned | upper_bound | share | optimal | columns, rounds |")
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for name, groups in (("500 groups, 50 facilitators", programme()), ("hard: 200 groups, 12 facilitators", hard_programme())):
        started = clock.perf_counter()
        result = plan_cohort(groups)
        seconds = clock.perf_counter() - started
        print(_row(name, seconds, result.planned, result.upper_bound, result.optimal,
                   f"{result.candidates:,} columns, {result.rounds} round(s)"), flush=True)


def through_the_api() -> None:
    from bench.support import ApiClient, availability_document, running_stack
    from tests.integration.programme import constraints_document

    groups = programme()
    with running_stack(api_workers=2, api_threads=4, worker_count=2, worker_threads=None) as stack:
        api = ApiClient(stack.base_url, stack.key)
        ids: dict[str, str] = {}
        group_ids = []
        for number, group in enumerate(groups):
            request = group.request
            if request.facilitator.id not in ids:
                capacity = request.capacity
                ids[request.facilitator.id] = api.request("POST", "/v1/facilitators", 201, {
                    "name": f"Begeleider {number}", "email": f"{request.facilitator.id}@bench.example.org",
                    "timezone": request.facilitator.timezone, "language": "nl",
                    "availability": availability_document(request.facilitator),
                    "capacity": {"max_sessions_per_day": capacity.max_sessions_per_day,
                                 "max_sessions_per_week": capacity.max_sessions_per_week,
                                 "break_minutes": capacity.break_minutes},
                }).json()["id"]
            for member in request.members:
                if member.id not in ids:
                    ids[member.id] = api.request("POST", "/v1/participants", 201, {
                        "name": f"Lid {member.id}", "email": f"{member.id}@bench.example.org",
                        "timezone": member.timezone, "language": "nl", "organization": "School",
                        "role": "leerkracht", "themes": [], "school_holiday_region": None,
                        "availability": availability_document(member),
                    }).json()["id"]
            group_id = api.request("POST", "/v1/groups", 201, {
                "name": f"Groep {number}", "facilitator_id": ids[request.facilitator.id],
                "timezone": request.timezone, "language": "nl", "session_minutes": request.session_minutes,
                "guided_sessions": request.guided_sessions, "follow_up_sessions": request.follow_up_sessions,
                "starts_on": request.starts_on.isoformat(), "constraints": constraints_document(request.constraints),
            }).json()["id"]
            for member in request.members:
                api.request("PUT", f"/v1/groups/{group_id}/members/{ids[member.id]}", 200)
            group_ids.append(group_id)
        started = clock.perf_counter()
        batch = api.request("POST", "/v1/scheduling-batches", 202, {"group_ids": group_ids}).json()
        progress = []
        while batch["status"] != "finished":
            clock.sleep(0.5)
            batch = api.request("GET", f"/v1/scheduling-batches/{batch['id']}", 200).json()
            if batch["status"] == "running":
                progress.append(batch["progress"]["planned"])
        seconds = clock.perf_counter() - started
    share = batch["planned"] / batch["upper_bound"]
    print("| measure | result | target | met |")
    print("| --- | ---: | ---: | --- |")
    print(f"| 500 groups, 50 facilitators, one batch through the API (PostgreSQL, 2 workers): POST to finished "
          f"| {seconds:.1f} s | ≤ {TARGET_SECONDS:.0f} s | {'yes' if seconds <= TARGET_SECONDS else 'no'} |")
    print(f"| planned of upper_bound | {batch['planned']} of {batch['upper_bound']} ({share:.1%}) "
          f"| ≥ {TARGET_SHARE:.0%} | {'yes' if share >= TARGET_SHARE else 'no'} |")
    print(f"| optimal | {batch['optimal']} | | |")
    print(f"| progress polls while running | {len(progress)} (last: {progress[-1] if progress else '-'}) | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", action="store_true", help="the 500-group programme through the API instead")
    arguments = parser.parse_args()
    through_the_api() if arguments.api else in_process()


if __name__ == "__main__":
    main()
