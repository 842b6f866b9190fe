"""Who can when, through the API: a group's week as JSON and as an SVG heat map (admin key only)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion

SVG = "{http://www.w3.org/2000/svg}"
WEEKDAYS_NL = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
SLUGS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def cells_at(document: dict, day: str) -> dict[str, dict]:
    return {cell["start"]: cell for cell in document["cells"] if cell["day"] == day}


def test_an_admin_reads_the_week_of_the_facilitator_and_members(admin, group):
    response = admin.get(f"/v1/groups/{group['id']}/availability?week=2027-03-15")
    assert response.status_code == 200, response.json
    assert response.content_type == "application/json"
    assert response.headers["Cache-Control"] == "private, no-cache"
    week = response.json
    assert list(week) == ["week", "timezone", "slot_minutes", "people", "cells"]
    assert (week["week"], week["timezone"], week["slot_minutes"]) == ("2027-03-15", "Europe/Amsterdam", 30)
    facilitator, members = group["facilitator"], group["member_list"]
    assert week["people"] == [
        {"id": facilitator["id"], "role": "facilitator", "name": facilitator["name"]},
        *({"id": m["id"], "role": "member", "name": m["name"]} for m in members),
    ]
    everyone = [facilitator["id"], *(m["id"] for m in members)]
    assert len(week["cells"]) == 7 * 48
    assert [(c["day"], c["start"]) for c in week["cells"][:2]] == [("mon", "00:00"), ("mon", "00:30")]
    tuesday = cells_at(week, "tue")
    for start in ("19:00", "19:30", "20:00", "20:30", "21:00"):  # free 19:00–21:30
        assert tuesday[start] == {"day": "tue", "start": start, "available": 5, "absent_ids": [], "busy_ids": [], "allowed": True}
    assert tuesday["21:30"] == {"day": "tue", "start": "21:30", "available": 0, "absent_ids": everyone, "busy_ids": [], "allowed": True}
    assert tuesday["22:00"]["allowed"] is False  # the group's day ends at 22:00
    assert cells_at(week, "sat")["19:00"]["allowed"] is False


def test_unavailable_dates_and_a_new_york_member_in_the_weeks_between_the_clock_changes(admin, group):
    away = admin.post("/v1/participants", json=payloads.participant(7)).json  # away 8–12 March 2027
    nora = admin.post("/v1/participants", json=payloads.participant(
        8, timezone="America/New_York", availability={"weekly": [{"day": "tue", "start": "13:00", "end": "15:00"}]},
    )).json
    for person in (away, nora):
        assert admin.put(f"/v1/groups/{group['id']}/members/{person['id']}").status_code == 200
    url = f"/v1/groups/{group['id']}/availability?week="
    away_week = cells_at(admin.get(url + "2027-03-08").json, "tue")
    assert away["id"] in away_week["19:00"]["absent_ids"]
    assert away["id"] not in cells_at(admin.get(url + "2027-03-15").json, "tue")["19:00"]["absent_ids"]

    def nora_free(week: str) -> list[str]:
        return [start for start, cell in cells_at(admin.get(url + week).json, "tue").items() if nora["id"] not in cell["absent_ids"]]

    assert nora_free("2027-03-15") == ["18:00", "18:30", "19:00", "19:30"]  # New York has moved its clocks, Europe not yet
    assert nora_free("2027-04-05") == ["19:00", "19:30", "20:00", "20:30"]


def test_the_default_week_is_the_coming_one_in_the_groups_zone(admin, group):
    # The tests' clock says Tuesday 24 November 2026.
    response = admin.get(f"/v1/groups/{group['id']}/availability")
    assert response.status_code == 200
    assert response.json["week"] == "2026-11-30"


def test_a_platform_key_is_403_even_for_a_group_its_participant_is_in(admin, platform, group):
    mine = platform.post("/v1/participants", json=payloads.participant(9, availability=TUESDAY_EVENING)).json
    assert admin.put(f"/v1/groups/{group['id']}/members/{mine['id']}").status_code == 200
    assert platform.get(f"/v1/groups/{group['id']}").status_code == 200
    for path in ("availability", "availability.svg"):
        response = platform.get(f"/v1/groups/{group['id']}/{path}?week=2027-03-15")
        assert response.status_code == 403
        assert response.json["type"] == "/problems/forbidden"
        assert mine["name"] not in response.get_data(as_text=True)


def test_an_unknown_group_is_404(admin):
    for path in ("availability", "availability.svg"):
        response = admin.get(f"/v1/groups/5f0c3a5e-0000-4000-8000-000000000000/{path}")
        assert response.status_code == 404
        assert response.json["type"] == "/problems/not-found"


def test_a_bad_week_is_422_naming_the_week(admin, group):
    for week, reason in [
        ("2027-03-16", "must be a Monday"),
        ("16-03-2027", None),
        ("2027-02-30", None),
        ("2029-01-01", "must lie within two years of today"),
        ("2024-11-04", "must lie within two years of today"),
    ]:
        for path in ("availability", "availability.svg"):
            response = admin.get(f"/v1/groups/{group['id']}/{path}?week={week}")
            assert response.status_code == 422, (week, response.json)
            assert response.content_type == "application/problem+json"
            assert [(e["field"], e["location"]) for e in response.json["errors"]] == [("week", "query")]
            if reason:
                assert response.json["errors"][0]["reason"] == reason


def test_someone_booked_by_another_group_is_busy_there_but_not_in_their_own_groups_sessions(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    first = run["plan"]["sessions"][0]
    assert (first["start"], first["end"]) == ("2027-01-12T19:00:00+01:00", "2027-01-12T20:30:00+01:00")
    facilitator = group["facilitator"]["id"]
    second = admin.post("/v1/groups", json=payloads.group(name="IB-groep Utrecht 2", facilitator_id=facilitator)).json
    newcomers = []
    for n in range(10, 13):
        person = admin.post("/v1/participants", json=payloads.participant(n, availability=TUESDAY_EVENING)).json
        assert admin.put(f"/v1/groups/{second['id']}/members/{person['id']}").status_code == 200
        newcomers.append(person["id"])

    theirs = cells_at(admin.get(f"/v1/groups/{second['id']}/availability?week=2027-01-11").json, "tue")
    assert [(start, theirs[start]["busy_ids"], theirs[start]["available"]) for start in ("18:30", "19:00", "19:30", "20:00", "20:30", "21:00")] == [
        ("18:30", [], 0),
        ("19:00", [facilitator], 3),
        ("19:30", [facilitator], 3),
        ("20:00", [facilitator], 3),
        ("20:30", [], 4),
        ("21:00", [], 4),
    ]
    assert facilitator not in theirs["19:00"]["absent_ids"]
    assert cells_at(admin.get(f"/v1/groups/{second['id']}/availability?week=2027-01-18").json, "tue")["19:00"]["busy_ids"] == []

    own = admin.get(f"/v1/groups/{group['id']}/availability?week=2027-01-11").json
    assert all(cell["busy_ids"] == [] for cell in own["cells"])
    assert cells_at(own, "tue")["19:00"]["available"] == 5

    svg = ET.fromstring(admin.get(f"/v1/groups/{group['id']}/availability.svg?week=2027-01-11").get_data(as_text=True))
    (planned,) = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "planned"]
    assert [s.find(f"{SVG}title").text for s in planned.findall(f"{SVG}g")] == ["Gepland: bijeenkomst 1, dinsdag 19:00–20:30"]
    theirs_svg = ET.fromstring(admin.get(f"/v1/groups/{second['id']}/availability.svg?week=2027-01-11").get_data(as_text=True))
    titles = [t.text for t in theirs_svg.iter(f"{SVG}title")]
    assert f"dinsdag 19:00 — 3 van 4; niet: {group['facilitator']['name']} (andere bijeenkomst)" in titles


def test_the_heat_map_is_svg_whose_cells_say_what_the_json_says(admin, group):
    url = f"/v1/groups/{group['id']}/availability"
    response = admin.get(f"{url}.svg?week=2027-03-15")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-cache"
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.get("role") == "img" and root.get("aria-labelledby")
    (cells,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cells"]
    rects = cells.findall(f"{SVG}rect")
    assert len(rects) == 7 * 32
    counts = {}
    for rect in rects:
        match = re.match(r"^(\w+) (\d\d:\d\d) — (\d+) van (\d+)", rect.find(f"{SVG}title").text)
        counts[SLUGS[WEEKDAYS_NL.index(match[1])], match[2]] = (int(match[3]), int(match[4]))
    document = admin.get(f"{url}?week=2027-03-15").json
    shown = {(c["day"], c["start"]): (c["available"], 5) for c in document["cells"] if "07:00" <= c["start"] < "23:00"}
    assert counts == shown
    assert counts["tue", "19:00"] == (5, 5)


def test_the_heat_map_speaks_the_groups_language(admin, group):
    assert admin.patch(f"/v1/groups/{group['id']}", json={"language": "en"}).status_code == 200
    body = admin.get(f"/v1/groups/{group['id']}/availability.svg?week=2027-03-15").get_data(as_text=True)
    titles = [t.text for t in ET.fromstring(body).iter(f"{SVG}title")]
    assert "Who can when, week of 15 March 2027" in titles
    assert "Tuesday 19:00 — 5 of 5" in titles
    assert "Tuesday 21:30 — 0 of 5; not: " + ", ".join([group["facilitator"]["name"], *(m["name"] for m in group["member_list"])]) in titles


def test_etags_answer_304_until_the_week_changes(admin, group):
    for path in ("availability", "availability.svg"):
        url = f"/v1/groups/{group['id']}/{path}?week=2027-03-15"
        first = admin.get(url)
        etag = first.headers["ETag"]
        again = admin.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.headers["ETag"] == etag
        member = group["member_list"][0]
        assert admin.put(f"/v1/participants/{member['id']}/availability", json={"weekly": [{"day": "wed", "start": "09:00", "end": "12:00"}]}).status_code == 200
        changed = admin.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["ETag"] != etag
        assert admin.put(f"/v1/participants/{member['id']}/availability", json=TUESDAY_EVENING).status_code == 200


def test_a_group_without_a_facilitator_shows_its_members(admin):
    group = admin.post("/v1/groups", json=payloads.group()).json
    person = admin.post("/v1/participants", json=payloads.participant(1, availability=TUESDAY_EVENING)).json
    assert admin.put(f"/v1/groups/{group['id']}/members/{person['id']}").status_code == 200
    week = admin.get(f"/v1/groups/{group['id']}/availability?week=2027-03-15").json
    assert week["people"] == [{"id": person["id"], "role": "member", "name": person["name"]}]
    assert cells_at(week, "tue")["19:00"]["available"] == 1


def test_both_operations_are_in_the_openapi_document(client):
    spec = client.get("/openapi.json").json
    json_get = spec["paths"]["/v1/groups/{group_id}/availability"]["get"]
    svg_get = spec["paths"]["/v1/groups/{group_id}/availability.svg"]["get"]
    assert [p["name"] for p in json_get["parameters"] if p["in"] == "query"] == ["week"]
    assert "application/json" in json_get["responses"]["200"]["content"]
    assert list(svg_get["responses"]["200"]["content"]) == ["image/svg+xml"]
    assert {"403", "404", "422"} <= json_get["responses"].keys()


def test_both_answers_link_to_the_weeks_before_and_after_within_reach(admin, group):
    for path in ("availability", "availability.svg"):
        response = admin.get(f"/v1/groups/{group['id']}/{path}?week=2027-03-15")
        assert response.status_code == 200
        assert response.headers["Link"] == (
            f'</v1/groups/{group["id"]}/{path}?week=2027-03-08>; rel="prev", </v1/groups/{group["id"]}/{path}?week=2027-03-22>; rel="next"'
        )
        last = admin.get(f"/v1/groups/{group['id']}/{path}?week=2028-11-20")  # two years from 24 November 2026
        assert last.headers["Link"] == f'</v1/groups/{group["id"]}/{path}?week=2028-11-13>; rel="prev"'
