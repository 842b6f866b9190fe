"""Shared scenarios of the API tests: availability documents and running a plan to its end."""

from __future__ import annotations

TUESDAY_EVENING = {"weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}]}
WEDNESDAY_MORNING = {"weekly": [{"day": "wed", "start": "09:00", "end": "12:00"}]}


def run_to_completion(caller, worker, group_id: str) -> dict:
    response = caller.post(f"/v1/groups/{group_id}/scheduling-runs")
    assert response.status_code == 202, response.json
    assert response.json["status"] == "queued"
    location = response.headers["Location"]
    assert location == f"/v1/scheduling-runs/{response.json['id']}"
    worker.drain()
    run = caller.get(location)
    assert run.status_code == 200
    return run.json
