"""A whole programme as one batch (issue 23): the 500-group, 50-facilitator programme of
:mod:`bench.programmes`, written to the real PostgreSQL, posted as one batch through the API and
planned by one of two ``intervisie worker`` processes through Redis. An independent checker
(:mod:`tests.integration.programme`) reads every session back and finds nobody booked twice, no
capacity broken and nobody outside their hours; the batch plans at least 99 % of its proven
upper bound, and its progress was seen while it ran."""

from __future__ import annotations

import time

import pytest

from bench.programmes import programme
from tests.integration.programme import seed_programme, violations
from tests.integration.test_cohort_workers import stack  # noqa: F401 - the same stack of real servers
from tests.integration.workers import wait_for, workers

pytestmark = pytest.mark.integration


def test_a_programme_of_500_groups_is_planned_as_one_batch_near_its_bound(stack):  # noqa: F811
    groups = programme()
    group_ids, people = seed_programme(stack.session_factory, stack.admin, groups)
    capacities = {}
    by_name = {person.id: person_id for person_id, person in people.items()}
    for group in groups:
        capacities[by_name[group.request.facilitator.id]] = group.request.capacity
    client = stack.app.test_client()
    auth = {"Authorization": f"Bearer {stack.key}"}
    seen = []
    with workers(stack.env, stack.tmp_path, count=2):
        started = time.monotonic()
        response = client.post("/v1/scheduling-batches", json={"group_ids": group_ids}, headers=auth)
        assert response.status_code == 202, response.json
        assert response.json["progress"] is None and response.json["upper_bound"] is None

        def finished():
            batch = client.get(response.headers["Location"], headers=auth).json
            if batch["status"] == "running":
                seen.append(batch["progress"])
            return batch if batch["status"] == "finished" else None

        batch = wait_for(finished, 150, "the batch to finish", interval=0.5)
        elapsed = time.monotonic() - started
    assert batch["planned"] == sum(run["status"] == "succeeded" for run in batch["runs"])
    assert batch["planned"] >= 0.99 * batch["upper_bound"], batch
    assert batch["upper_bound"] <= len(group_ids)
    assert batch["optimal"] is (batch["planned"] == batch["upper_bound"])
    assert batch["progress"] == {"planned": batch["planned"], "total": 500}
    assert seen and all(p["total"] == 500 and 0 <= p["planned"] <= 500 for p in seen)
    assert violations(stack.session_factory, people, capacities) == []
    print(f"500 groups: {batch['planned']} planned of a bound of {batch['upper_bound']} in {elapsed:.1f} s")
