"""The documentation: the README stays a front door, the MkDocs site under docs/ builds with
--strict (so a broken link, anchor or page left out of the navigation fails), and the reference
pages keep up with the code they describe."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from services.api.problems import PROBLEM_TYPES

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = Path(sys.executable).with_name("mkdocs")
README_LIMIT = 20_000


def mkdocs_build(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MKDOCS), "build", "--strict", "--config-file", str(project / "mkdocs.yml"), "--site-dir", str(site)],
        capture_output=True, text=True, timeout=240, check=False, cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def copy_of_the_site_sources(destination: Path) -> Path:
    destination.mkdir()
    for name in ("mkdocs.yml", "CHANGELOG.md"):
        shutil.copy(ROOT / name, destination / name)
    shutil.copytree(ROOT / "docs", destination / "docs")
    return destination


def test_the_readme_is_a_front_door_of_at_most_20000_characters():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme) <= README_LIMIT, f"README.md has {len(readme)} characters: move the detail into docs/"
    for heading in ("## Two commands", "## A first walkthrough", "## Deploy", "## The API at a glance", "## Documentation"):
        assert heading in readme


def test_the_readmes_links_into_the_repository_lead_to_files_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [t.split("#", 1)[0] for t in re.findall(r"\]\(([^)\s]+)\)", readme) if not re.match(r"[a-z]+:|#", t)]
    assert targets and [t for t in targets if not (ROOT / t).exists()] == []


def test_the_site_builds_strictly(tmp_path):
    built = mkdocs_build(ROOT, tmp_path / "site")
    assert built.returncode == 0, built.stdout + built.stderr
    changelog = (tmp_path / "site/changelog/index.html").read_text(encoding="utf-8")
    assert "Keep a Changelog" in changelog  # the hook put CHANGELOG.md on the page
    for picture in sorted(p.name for p in (ROOT / "docs/screenshots").glob("*.png")):
        assert (tmp_path / "site/screenshots" / picture).exists()


def test_a_broken_link_or_anchor_fails_the_build(tmp_path):
    project = copy_of_the_site_sources(tmp_path / "project")
    page = project / "docs/deploy.md"
    original = page.read_text(encoding="utf-8")
    page.write_text(original + "\nSee [nowhere](no-such-page.md).\n", encoding="utf-8")
    broken = mkdocs_build(project, tmp_path / "site")
    assert broken.returncode != 0 and "no-such-page.md" in broken.stdout + broken.stderr
    page.write_text(original + "\nSee [the walkthrough](walkthrough.md#no-such-heading).\n", encoding="utf-8")
    broken = mkdocs_build(project, tmp_path / "site")
    assert broken.returncode != 0 and "no-such-heading" in broken.stdout + broken.stderr


def test_every_screenshot_is_shown_somewhere():
    text = "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    missing = [p.name for p in (ROOT / "docs/screenshots").glob("*.png") if f"screenshots/{p.name})" not in text]
    assert missing == []


def test_the_configuration_reference_names_every_setting_the_code_reads():
    read = set()
    for path in [*(ROOT / "shared").rglob("*.py"), *(ROOT / "services").rglob("*.py")]:
        read |= set(re.findall(r"\bINTERVISIE_[A-Z][A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8")))
    reference = (ROOT / "docs/configuration.md").read_text(encoding="utf-8")
    table = {name for row in reference.splitlines() if row.startswith("| `") for name in re.findall(r"`(INTERVISIE_\w+)`", row.split("|")[1])}
    assert read and read - table == set()


def test_the_integration_guide_lists_every_problem_type():
    guide = (ROOT / "docs/integration.md").read_text(encoding="utf-8")
    table = guide.split("## Errors", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| \d{3} \| `([a-z-]+)` \|", table, flags=re.M))
    assert listed == set(PROBLEM_TYPES)
