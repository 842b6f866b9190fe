"""Pages driven the way people use them: Debian's Chromium through its DevTools protocol
(Playwright's client, no browser download), with axe-core injected for the accessibility check."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.integration.browser import CHROMIUM_FLAGS, _program

AXE = Path(__file__).resolve().parents[1] / "browser" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
"""A phone's viewport (CSS pixels): every page must read at this width."""


@contextmanager
def chromium() -> Iterator[Browser]:
    flags = [flag for flag in CHROMIUM_FLAGS if flag != "--headless"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_program("chromium", "chromium"), args=flags, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def accessibility_violations(page: Page) -> list[dict]:
    """What axe-core finds wrong on the page as it is now (WCAG 2.1 A and AA rules)."""
    if not AXE.is_file():
        raise RuntimeError(f"{AXE} is missing: run `make test` (npm ci in tests/browser)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
    return [{"id": v["id"], "help": v["help"], "nodes": [n["html"] for n in v["nodes"]]} for v in result["violations"]]


def overflows_horizontally(page: Page) -> bool:
    """Whether the page is wider than its viewport (text that would need sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")


def screenshots(default: Path) -> Path:
    """Where a test keeps its screenshots: ``INTERVISIE_SCREENSHOTS`` (the README's pictures are
    made with ``INTERVISIE_SCREENSHOTS=docs/screenshots make test``), else ``default``."""
    folder = Path(os.environ.get("INTERVISIE_SCREENSHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
