"""A page as people see it: Debian's headless Chromium renders it, tesseract reads the picture.

Both are driven from their command lines, so the tests need no browser download and no
automation library. Each Chromium run gets a fresh profile, and the flags keep it from calling
home (this machine's network refuses, and a test should not depend on it anyway).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--lang=nl-NL",
)
TIMEOUT = 30


def _program(name: str, debian_package: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        raise RuntimeError(f"{name} is not installed: apt-get install -y {debian_package}")
    return path


def _chromium(url: str, *options: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        finished = subprocess.run(
            [_program("chromium", "chromium"), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *options, url],
            capture_output=True, text=True, timeout=TIMEOUT, check=False,
        )
    if finished.returncode != 0:
        raise RuntimeError(f"chromium exited with {finished.returncode}: {finished.stderr[-2000:]}")
    return finished


def dump_dom(url: str) -> str:
    """The DOM after the page has loaded, serialised as HTML."""
    return _chromium(url, "--dump-dom").stdout


def screenshot(url: str, path: Path, *, width: int, height: int, scale: float = 1) -> Path:
    """A PNG of the page in a ``width`` × ``height`` window (CSS pixels), ``scale`` device pixels each."""
    _chromium(url, f"--screenshot={path}", f"--window-size={width},{height}", f"--force-device-scale-factor={scale}")
    if not path.is_file():
        raise RuntimeError(f"chromium wrote no screenshot at {path}")
    return path


@dataclass(frozen=True)
class Line:
    """A line of text that tesseract found, with the top and bottom of its box in image pixels."""

    text: str
    top: int
    bottom: int


def read_lines(png: Path, languages: str = "nld+eng") -> list[Line]:
    """The lines of text in an image, top to bottom, as tesseract reads them."""
    finished = subprocess.run(
        [_program("tesseract", "tesseract-ocr tesseract-ocr-nld"), str(png), "-", "-l", languages, "tsv"],
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"tesseract exited with {finished.returncode}: {finished.stderr[-2000:]}")
    lines: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(finished.stdout), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row["level"] == "5" and row["text"].strip():
            lines.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(row)
    found = [
        Line(
            text=" ".join(word["text"] for word in words),
            top=min(int(word["top"]) for word in words),
            bottom=max(int(word["top"]) + int(word["height"]) for word in words),
        )
        for words in lines.values()
    ]
    return sorted(found, key=lambda line: line.top)


class Elements(HTMLParser):
    """The few things a test reads from a page: elements by id, labels, the items of ``#sessions``.

    ``by_id`` maps an id to the element's attributes and text; ``labels`` maps a control's id to
    the text of its ``<label for=…>``; ``items`` holds each ``<li>`` in ``<ol id="sessions">`` as
    its class and the text of its children by class (``title``, ``when``).
    """

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, dict[str, str]] = {}
        self.items: list[dict[str, str]] = []
        self._labels: dict[str, dict[str, str]] = {}
        self._open: list[tuple[str, dict[str, str]]] = []  # (tag, attributes + collected text)
        self.feed(html)
        self.close()

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {name: value or "" for name, value in attrs}
        element["text"] = ""
        if "id" in element:
            self.by_id[element["id"]] = element
        if tag == "label" and element.get("for"):
            self._labels[element["for"]] = element
        inside_list = any(t == "ol" and e.get("id") == "sessions" for t, e in self._open)
        if tag == "li" and inside_list:
            self.items.append({"class": element.get("class", "")})
        if tag not in self.VOID:
            self._open.append((tag, element))

    @property
    def labels(self) -> dict[str, str]:
        return {control: " ".join(label["text"].split()) for control, label in self._labels.items()}

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element in self._open:
            element["text"] += data
        if self.items and any(t == "li" for t, _ in self._open):
            for _, element in self._open:
                for name in element.get("class", "").split():
                    if name in ("title", "when"):
                        self.items[-1][name] = self.items[-1].get(name, "") + data
