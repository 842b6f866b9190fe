"""The lock files pin every dependency of pyproject.toml within its range, and this environment
was installed from them (so CI tests exactly what the Dockerfile ships)."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def pins(name: str, *, here: bool = False) -> dict[str, str]:
    """``{package: version}`` of a lock file; with ``here``, only what this interpreter needs
    (a pin with an environment marker that does not hold here is left out)."""
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" not in line:
            continue
        pinned = Requirement(line)
        if here and pinned.marker is not None and not pinned.marker.evaluate():
            continue
        found[canonicalize_name(pinned.name)] = str(pinned.specifier).removeprefix("==")
    return found


def requirements(*, test: bool) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + (project["optional-dependencies"]["test"] if test else [])
    return [Requirement(text) for text in listed]


@pytest.mark.parametrize(("lock", "test"), [("requirements.lock", False), ("requirements-test.lock", True)])
def test_every_dependency_is_pinned_within_its_range(lock, test):
    locked = pins(lock)
    for requirement in requirements(test=test):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement} is not in {lock}: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), f"{lock} pins {name}=={locked[name]}, outside {requirement}"


def test_the_production_lock_agrees_with_the_test_lock():
    production, with_tests = pins("requirements.lock"), pins("requirements-test.lock")
    assert {name: version for name, version in production.items() if with_tests.get(name) != version} == {}


def test_this_environment_was_installed_from_the_test_lock():
    drift = {}
    for name, version in pins("requirements-test.lock", here=True).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            drift[name] = (version, installed)
    assert drift == {}, "run `make test` (or `make .venv/.installed`) to install the lock"
