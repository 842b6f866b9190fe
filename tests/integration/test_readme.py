"""The README's curl walkthrough works when pasted into a shell, against a real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.integration.servers import serving

ROOT = Path(__file__).resolve().parents[2]


def walkthrough_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Walkthrough with curl", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def test_readme_walkthrough_runs_against_a_real_server(tmp_path):
    blocks = walkthrough_blocks()
    assert len(blocks) == 2
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    env = {"INTERVISIE_DATABASE_URL": f"sqlite:///{tmp_path}/walkthrough.db"}
    with serving(env, cwd=tmp_path) as base:
        script = "set -euo pipefail\n" + "\n".join(blocks).replace("http://127.0.0.1:8000", base)
        result = subprocess.run(
            ["bash", "-c", script], cwd=tmp_path, env={**os.environ, **env},
            capture_output=True, text=True, timeout=120, check=False,
        )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    memberships = [json.loads(line) for line in lines[:3]]
    participants = (tmp_path / "participants.txt").read_text().split()
    assert [m["participant_id"] for m in memberships] == participants

    group = json.loads(lines[3])
    assert group["name"] == "IB-groep Utrecht 1"
    assert [m["participant_id"] for m in group["members"]] == participants

    pagination = json.loads(lines[4].split(":", 1)[1])
    assert pagination["total"] == 3 and pagination["total_pages"] == 2

    problem = json.loads(lines[5])
    assert problem["status"] == 422
    assert [e["field"] for e in problem["errors"]] == ["email", "timezone", "availability.weekly.0.end"]
