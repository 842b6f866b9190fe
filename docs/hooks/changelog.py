"""MkDocs hook: the Changelog page shows the repository's CHANGELOG.md, whose links to files
under docs/ are made relative to the site (the file itself stays where readers of the
repository look for it); a page's link to ../CHANGELOG.md, which works in the repository, leads
to that page on the site."""

from __future__ import annotations

from pathlib import Path

CHANGELOG = Path(__file__).resolve().parents[2] / "CHANGELOG.md"


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 (MkDocs' signature)
    if page.file.src_uri != "changelog.md":
        return markdown.replace("](../CHANGELOG.md", "](changelog.md")
    return CHANGELOG.read_text(encoding="utf-8").replace("](docs/", "](")
