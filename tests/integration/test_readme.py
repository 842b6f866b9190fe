"""The README's curl walkthrough works when pasted into a shell, against a real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.integration.servers import free_port, serving

ROOT = Path(__file__).resolve().parents[2]


def walkthrough_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Walkthrough with curl", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def _json_lines(text: str) -> list:
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(("{", "[")):
            found.append(json.loads(line))
    return found


def test_readme_walkthrough_runs_against_a_real_server(tmp_path):
    blocks = walkthrough_blocks()
    assert len(blocks) == 9
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    port = free_port()
    env = {
        "INTERVISIE_DATABASE_URL": f"sqlite:///{tmp_path}/walkthrough.db",
        "INTERVISIE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    with serving(env, cwd=tmp_path, port=port) as base:
        script = "set -euo pipefail\n" + "\n".join(blocks).replace("http://127.0.0.1:8000", base)
        result = subprocess.run(
            ["bash", "-c", script], cwd=tmp_path, env={**os.environ, **env},
            capture_output=True, text=True, timeout=120, check=False,
        )
    assert result.returncode == 0, result.stderr
    outputs = _json_lines(result.stdout)
    participants = (tmp_path / "participants.txt").read_text().split()

    memberships, group = outputs[:3], outputs[3]
    assert [m["participant_id"] for m in memberships] == participants
    assert group["name"] == "IB-groep Utrecht 1"
    assert [m["participant_id"] for m in group["members"]] == participants
    pagination = json.loads(next(line for line in result.stdout.splitlines() if line.lower().startswith("x-pagination")).split(":", 1)[1])
    assert pagination["total"] == 3 and pagination["total_pages"] == 2

    problem = outputs[4]
    assert problem["status"] == 422
    assert [e["field"] for e in problem["errors"]] == ["email", "timezone", "availability.weekly.0.end"]

    succeeded, sessions, infeasible = outputs[5], outputs[6], outputs[7]
    assert succeeded["status"] == "succeeded"
    assert succeeded["plan"]["slot"]["description"] == "dinsdag, 19:00–20:30"
    starts = [s["start"] for s in succeeded["plan"]["sessions"][:4]]
    assert starts == ["2028-01-11T19:00:00+01:00", "2028-02-08T19:00:00+01:00", "2028-03-07T19:00:00+01:00", "2028-04-04T19:00:00+02:00"]
    assert succeeded["plan"]["sessions"][3]["chair_id"] == participants[0]
    assert [s["id"] for s in sessions] == [s["id"] for s in succeeded["plan"]["sessions"]]

    assert infeasible["status"] == "infeasible"
    facilitator = group["facilitator_id"]
    assert infeasible["diagnostics"]["blockers"] == [facilitator]
    january = infeasible["diagnostics"]["months"][0]
    assert january["month"] == "2028-01"
    assert january["best_slots"][0] == {
        "start": "2028-01-11T18:30:00+01:00", "end": "2028-01-11T20:00:00+01:00",
        "attendees": 3, "required": 4, "absent_ids": [facilitator], "booked": [],
    }

    invitation_lines = [line.split() for line in result.stdout.splitlines() if line.startswith(("REQUEST ", "CANCEL "))]
    assert len(invitation_lines) == 4  # the facilitator and three members
    assert {line[2] for line in invitation_lines} == {"stored"}
    assert all(line[3].startswith("/v1/invitations/") and line[3].endswith(".ics") for line in invitation_lines)
    links = outputs[8]
    assert links["url"].startswith(base + "/feeds/") and links["webcal_url"].startswith("webcal://")
    feed = result.stdout.split(json.dumps(links, separators=(",", ":")), 1)[1]
    assert "HTTP/1.1 200 OK" in feed and "Content-Type: text/calendar; charset=utf-8" in feed
    assert "METHOD:PUBLISH" in feed and "X-WR-CALNAME:Intervisie – Fien Jansen" in feed

    batch, conflict = outputs[9], outputs[10]
    assert batch["status"] == "finished" and batch["optimal"] is True
    assert [run["status"] for run in batch["runs"]] == ["succeeded", "succeeded"]
    assert batch["runs"][0]["group_id"] == group["id"]
    second_group = [line.split()[1:] for line in result.stdout.splitlines() if line.startswith("session ")]
    assert second_group == [
        ["1", "2028-01-13T19:00:00+01:00"], ["2", "2028-02-10T19:00:00+01:00"], ["3", "2028-03-09T19:00:00+01:00"],
    ]
    assert conflict["status"] == 409 and conflict["type"] == "/problems/schedule-conflict"
    first_session = succeeded["plan"]["sessions"][0]["id"]
    assert [(c["session_id"], c["person_id"], c["reason"]) for c in conflict["conflicts"]] == [(first_session, facilitator, "overlap")]

    # Who can when: the second group's facilitator is booked by the first group on Tuesday evening.
    lines = result.stdout.splitlines()
    assert "tue 19:00 3 of 4 busy: 1" in lines and "thu 19:00 4 of 4 busy: 0" in lines
    assert "<title>dinsdag 19:00 — 3 van 4; niet: Fien Jansen (andere bijeenkomst)" in lines

    # The loop: a decline from the member's own link, the session at risk, its alternatives, the move.
    assert "Je antwoord is opgeslagen: Nee, ik kan niet" in result.stdout
    lines = result.stdout.splitlines()
    at = lines.index("at_risk: True")
    assert lines[at + 1:at + 5] == [
        "facilitator needs_action None", "member declined link", "member needs_action None", "member needs_action None",
    ]
    alternatives = outputs[11]
    assert [a["start"] for a in alternatives] == ["2028-02-01T19:00:00+01:00", "2028-02-15T19:00:00+01:00"]
    assert all(a["attendees"] == a["required"] == 4 and a["absent_ids"] == [] for a in alternatives)
    assert "2028-02-01T19:00:00+01:00 at_risk: False {'needs_action'}" in lines

    # A participant's own week, by link, stored as the API stores it.
    assert "Je week is opgeslagen" in lines
    assert outputs[12] == {
        "weekly": [{"day": "tue", "start": "19:00", "end": "21:00"}, {"day": "thu", "start": "19:00", "end": "20:00"}],
        "unavailable": [
            {"start": "2028-03-13", "end": "2028-03-17", "note": "studiereis"},
            {"start": "2028-04-24", "end": "2028-04-28", "note": "meivakantie"},
        ],
    }
