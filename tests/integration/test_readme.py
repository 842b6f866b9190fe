"""Every runnable command block of the README and of the documentation site works when pasted
into a shell, against a real server.

A block fenced as ```sh is runnable: each file's blocks run in order, as one bash script
(``set -euo pipefail``), from the checkout, against an ``intervisie serve`` of their own on a free
port with a fresh database (``BASE`` names it, as a reader on another port would export it).
Blocks fenced otherwise (```console, ```text, ```json) are examples and are not run. The blocks
write their files into ``mktemp -d`` folders (here under the test's own temporary folder): they
run in a private copy of the checkout (its tracked and untracked files, with ``.venv`` and the npm
tools linked), whose files are the same before and after — a copy, so that others' edits in a
shared working tree cannot make the test fail or pass."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.servers import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
RUNNABLE = re.compile(r"^```sh\n(.*?)^```", flags=re.S | re.M)
# How many runnable blocks each document has: a new one elsewhere is run too, and counted here.
EXPECTED_BLOCKS = {"README.md": 1, "docs/calendars.md": 1, "docs/integration.md": 1, "docs/walkthrough.md": 9}
SERVER_SETTINGS = {"docs/calendars.md": {"INTERVISIE_CALENDAR_ALLOW_PRIVATE": "1"}}
"""What a document asks of the server it runs against (it says so where it says how to run it)."""


def documents() -> list[str]:
    return ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md"))]


def runnable_blocks(document: str) -> list[str]:
    return RUNNABLE.findall((ROOT / document).read_text(encoding="utf-8"))


def walkthrough_blocks() -> list[str]:
    """The full walkthrough's blocks, in order (the observability test runs them too)."""
    return runnable_blocks("docs/walkthrough.md")


def _json_lines(text: str) -> list:
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(("{", "[")):
            found.append(json.loads(line))
    return found


def private_checkout(destination: Path) -> Path:
    """A copy of the checkout's files as git sees them (tracked and untracked, not ignored), with
    the virtualenv and the npm tools linked in."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    (destination / ".venv").symlink_to(Path(sys.executable).parents[1])
    node_modules = ROOT / "tests/browser/node_modules"
    if node_modules.is_dir():
        (destination / "tests/browser/node_modules").symlink_to(node_modules)
    return destination


def files_of(checkout: Path) -> set[str]:
    """Every file and folder in the copy, without the linked tools and Python's byte-code caches."""
    found = set()
    for folder, folders, names in os.walk(checkout):
        folders[:] = [f for f in folders if f != "__pycache__" and not (Path(folder) / f).is_symlink()]
        found |= {str((Path(folder) / name).relative_to(checkout)) for name in [*folders, *names]}
    return found


def run_document(document: str, tmp_path: Path, *, timeout: int = 180) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run a document's blocks as one script against a fresh server; return the result and the base URL."""
    checkout = private_checkout(tmp_path / "checkout")
    (tmp_path / "tmp").mkdir()
    port = free_port()
    env = {
        "INTERVISIE_DATABASE_URL": f"sqlite:///{tmp_path}/walkthrough.db",
        "INTERVISIE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "INTERVISIE_SECRET_KEY": secrets.token_hex(32),
        **SERVER_SETTINGS.get(document, {}),
    }
    before = files_of(checkout)
    with serving(env, cwd=tmp_path, port=port) as base:
        script = "set -euo pipefail\n" + "\n".join(runnable_blocks(document))
        result = subprocess.run(
            ["bash", "-c", script], cwd=checkout, env={**os.environ, **env, "BASE": base, "TMPDIR": str(tmp_path / "tmp")},
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    assert result.returncode == 0, f"{document}:\n{result.stdout}\n{result.stderr}"
    assert files_of(checkout) - before == set(), "the blocks left files in the checkout"
    assert files_of(checkout) == before
    return result, base


def test_every_runnable_block_is_counted():
    found = {document: len(runnable_blocks(document)) for document in documents() if runnable_blocks(document)}
    assert found == EXPECTED_BLOCKS


def check_readme(result: subprocess.CompletedProcess[str], base: str, tmp_path: Path) -> None:
    lines = result.stdout.splitlines()
    slot, first_start, events, answered, at_risk, alternative = lines[:6]
    assert "dinsdag" in slot and slot.endswith("19:00–20:30")
    assert first_start == "2028-01-11T19:00:00+01:00"
    assert int(events) == 9  # three guided sessions and six self-directed ones
    assert answered == "Je antwoord is opgeslagen: Nee, ik kan niet"
    assert at_risk == "True"
    assert alternative.startswith("2028-01-") and alternative != first_start
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("## A first walkthrough", 1)[1].split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    assert shown == lines[:6]


def check_integration_guide(result: subprocess.CompletedProcess[str], base: str, tmp_path: Path) -> None:
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["run_status"] == "succeeded" and summary["idempotent_replay"] is True
    assert summary["feed_url"].startswith(base + "/feeds/")
    assert (next(tmp_path.glob("tmp/tmp.*/intervisie_client")) / "__init__.py").exists()
    assert "createParticipant" in next(tmp_path.glob("tmp/tmp.*/intervisie.d.ts")).read_text(encoding="utf-8")


def check_walkthrough(result: subprocess.CompletedProcess[str], base: str, tmp_path: Path) -> None:
    outputs = _json_lines(result.stdout)
    participants = next(tmp_path.glob("tmp/tmp.*/participants.txt")).read_text().split()

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
    best = dict(january["best_slots"][0])
    explanations = best.pop("explanations")
    assert {e["name"] for e in explanations} == {"Fien Jansen"}  # why she cannot come, in words
    assert best == {
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


def check_calendars(result: subprocess.CompletedProcess[str], base: str, tmp_path: Path) -> None:
    shown = (ROOT / "docs/calendars.md").read_text(encoding="utf-8").split("It prints:\n\n```text\n", 1)[1].split("```", 1)[0]
    assert result.stdout.splitlines() == shown.splitlines(), result.stdout


CHECKS = {"README.md": check_readme, "docs/calendars.md": check_calendars, "docs/integration.md": check_integration_guide, "docs/walkthrough.md": check_walkthrough}


@pytest.mark.parametrize("document", [d for d in documents() if runnable_blocks(d)])
def test_runnable_blocks_run_against_a_real_server_and_leave_the_checkout_clean(document, tmp_path):
    result, base = run_document(document, tmp_path, timeout=240)
    if document in CHECKS:
        CHECKS[document](result, base, tmp_path)
