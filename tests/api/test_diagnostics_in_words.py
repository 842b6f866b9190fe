"""Diagnostics in words through the API (issue 23, item 4): an infeasible run or batch entry says
per person who misses a best start their name, role and why — booked by which group on which
date, a weekday they cannot, a full week, their own calendar — in the group's language, with
the ids beside the words; a platform reads the names of its own people and the facilitator
only, the others by role."""

from __future__ import annotations

from datetime import timedelta

from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, WEDNESDAY_MORNING, run_to_completion
from tests.api.test_calendar_busy_planning import at, busy, public_dns  # noqa: F401 - a fixture
from tests.api.test_cohort import ONLY_THREE_TUESDAYS, batch_to_completion, new_group
from tests.api.test_mixed_groups import mixed  # noqa: F401 - a fixture

FIELDS = ("person_id", "name", "role", "reason_code", "session_id", "group_id", "date", "time", "limit")


def facts(explanation: dict) -> tuple:
    return tuple(explanation[name] for name in FIELDS)


def best_slots(run: dict) -> list[dict]:
    return [slot for month in run["diagnostics"]["months"] for slot in month["best_slots"]]


def booked_elsewhere(admin, worker, group, language: str) -> tuple[dict, dict, dict]:
    """The facilitator's first group is planned on the second Tuesdays; a second group of hers
    whose members can meet only then is infeasible: she is booked."""
    first = run_to_completion(admin, worker, group["id"])
    blocked = new_group(admin, group["facilitator"]["id"], ONLY_THREE_TUESDAYS, first=10, name="Groep Utrecht 2", language=language)
    run = run_to_completion(admin, worker, blocked["id"])
    assert run["status"] == "infeasible", run
    return first, blocked, run


def test_an_infeasible_run_says_who_is_booked_by_which_group_on_which_date(admin, worker, group):
    first, _, run = booked_elsewhere(admin, worker, group, "nl")
    facilitator = group["facilitator"]
    january = best_slots(run)[0]
    assert january["start"] == "2027-01-12T19:00:00+01:00"
    assert [facts(e) for e in january["explanations"]] == [
        (facilitator["id"], "Fien Jansen", "facilitator", "booked", first["plan"]["sessions"][0]["id"], group["id"], "2027-01-12", "19:00", None),
    ]
    assert january["explanations"][0]["text"] == "Fien Jansen (begeleider) is op 12 januari 2027 om 19:00 al ingepland bij IB-groep Utrecht 1."
    # The ids stay beside the words, as before.
    assert january["absent_ids"] == [facilitator["id"]]
    # She blocks every plan: the blocker's explanations are her bookings in the three months.
    assert run["diagnostics"]["blockers"] == [facilitator["id"]]
    assert [e["text"] for e in run["diagnostics"]["explanations"]] == [
        f"Fien Jansen (begeleider) is op {day} om 19:00 al ingepland bij IB-groep Utrecht 1."
        for day in ("12 januari 2027", "9 februari 2027", "9 maart 2027")
    ]


def test_an_english_group_reads_its_diagnostics_in_english(admin, worker, group):
    _, _, run = booked_elsewhere(admin, worker, group, "en")
    assert best_slots(run)[0]["explanations"][0]["text"] == (
        "Fien Jansen (facilitator) is already booked on 12 January 2027 at 19:00 with IB-groep Utrecht 1."
    )


def test_names_are_read_when_the_run_is_read(admin, worker, group):
    _, _, run = booked_elsewhere(admin, worker, group, "nl")
    assert admin.patch(f"/v1/facilitators/{group['facilitator']['id']}", json={"name": "Harriët de Vries"}).status_code == 200
    again = admin.get(f"/v1/scheduling-runs/{run['id']}").json
    assert best_slots(again)[0]["explanations"][0]["text"].startswith("Harriët de Vries (begeleider) is op 12 januari 2027")


def test_a_full_week_and_a_weekday_they_cannot(admin, worker, group):
    """Her week is full (one session a week), and a member cannot on Thursdays at all."""
    facilitator = group["facilitator"]
    tuesday_and_thursday = {"weekly": [{"day": d, "start": "19:00", "end": "21:30"} for d in ("tue", "thu")]}
    assert admin.patch(f"/v1/facilitators/{facilitator['id']}", json={
        "availability": tuesday_and_thursday, "capacity": {"max_sessions_per_week": 1},
    }).status_code == 200
    run_to_completion(admin, worker, group["id"])  # the second Tuesdays
    thursdays = {"weekly": [{"day": "thu", "start": "19:00", "end": "21:30"}], "unavailable": [
        {"start": "2027-01-01", "end": "2027-01-13"}, {"start": "2027-01-15", "end": "2027-02-10"},
        {"start": "2027-02-12", "end": "2027-03-10"}, {"start": "2027-03-12", "end": "2028-12-31"},
    ]}
    blocked = new_group(admin, facilitator["id"], thursdays, first=10, count=3, name="Groep Utrecht 2")
    tuesdays_only = admin.post("/v1/participants", json=payloads.participant(20, name="Piet Tuesday", availability=TUESDAY_EVENING)).json
    assert admin.put(f"/v1/groups/{blocked['id']}/members/{tuesdays_only['id']}").status_code == 200
    run = run_to_completion(admin, worker, blocked["id"])
    assert run["status"] == "infeasible", run
    thursday = next(slot for slot in best_slots(run) if slot["start"] == "2027-01-14T19:00:00+01:00")
    texts = {e["reason_code"]: e["text"] for e in thursday["explanations"]}
    assert texts == {
        "week-full": "Fien Jansen (begeleider) heeft in de week van 12 januari 2027 al 1 bijeenkomst (maximum).",
        "weekday": "Piet Tuesday (deelnemer) kan op donderdag niet.",
    }
    week_full = next(e for e in thursday["explanations"] if e["reason_code"] == "week-full")
    assert (week_full["limit"], week_full["group_id"]) == (1, group["id"])


def test_busy_time_in_her_own_calendar_is_said_as_such(admin, worker, group, session_factory):
    # Every Tuesday evening for fifteen months is taken in her calendar.
    evenings = [(at("2026-12-01", 18) + timedelta(weeks=w), at("2026-12-01", 22) + timedelta(weeks=w)) for w in range(70)]
    busy(admin, session_factory, group["facilitator"], *evenings, kind="facilitator")
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "infeasible", run
    first = best_slots(run)[0]
    [said] = first["explanations"]
    assert (said["reason_code"], said["session_id"], said["group_id"]) == ("calendar-busy", None, None)
    assert said["text"] == "Fien Jansen (begeleider) heeft op 12 januari 2027 om 19:00 iets anders in de eigen agenda."


def test_a_batch_entry_names_the_batch_mate_that_took_the_time(admin, worker):
    one_session = {"weekly": [{"day": "tue", "start": "19:00", "end": "20:30"}]}
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(availability=one_session, capacity={"max_sessions_per_day": 1})).json
    only = {**ONLY_THREE_TUESDAYS, "weekly": one_session["weekly"]}
    first, second = (new_group(admin, facilitator["id"], only, first=10 * n, name=f"Groep {n}") for n in (1, 2))
    batch = batch_to_completion(admin, worker, [first["id"], second["id"]])
    runs = [admin.get(f"/v1/scheduling-runs/{run['id']}").json for run in batch["runs"]]
    assert [run["status"] for run in runs] == ["succeeded", "infeasible"]
    january = best_slots(runs[1])[0]
    assert [facts(e) for e in january["explanations"]] == [
        (facilitator["id"], "Fien Jansen", "facilitator", "booked", runs[0]["plan"]["sessions"][0]["id"], first["id"], "2027-01-12", "19:00", None),
    ]
    assert january["explanations"][0]["text"] == "Fien Jansen (begeleider) is op 12 januari 2027 om 19:00 al ingepland bij Groep 1."


def test_a_platform_reads_the_names_of_its_own_people_and_the_others_by_role(admin, platform, other_platform, worker, mixed):  # noqa: F811
    # b2 (of the other platform) can meet only on Wednesday mornings: she blocks every plan.
    assert other_platform.put(f"/v1/participants/{mixed['b2']}/availability", json=WEDNESDAY_MORNING).status_code == 200
    run = run_to_completion(admin, worker, mixed["group"]["id"])
    assert run["status"] == "infeasible", run
    tuesday = next(slot for slot in best_slots(run) if slot["start"] == "2027-01-12T19:00:00+01:00")
    assert [(e["person_id"], e["text"]) for e in tuesday["explanations"]] == [
        (mixed["b2"], "Deelnemer 3 (deelnemer) kan op dinsdag niet."),
    ]
    mine = platform.get(f"/v1/scheduling-runs/{run['id']}").json
    seen = next(slot for slot in best_slots(mine) if slot["start"] == tuesday["start"])
    assert seen["absent_ids"] == []
    assert [facts(e) + (e["text"],) for e in seen["explanations"]] == [
        (None, None, "member", "weekday", None, None, "2027-01-12", "19:00", None, "Een deelnemer kan op dinsdag niet."),
    ]
    assert [(e["person_id"], e["text"]) for e in mine["diagnostics"]["explanations"]] == [(None, "Een deelnemer kan op dinsdag niet.")]
    assert "Deelnemer 3" not in str(mine)
    theirs = other_platform.get(f"/v1/scheduling-runs/{run['id']}").json
    assert theirs["diagnostics"] == run["diagnostics"]
