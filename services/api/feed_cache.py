"""Rendered feeds, kept per process by fingerprint: a fingerprint's bytes never change."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

CACHE_SIZE = 256


class RenderedFeeds:
    """A small LRU of rendered feeds by fingerprint (they are immutable for a fingerprint)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._items: OrderedDict[str, tuple[bytes, datetime | None]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, datetime | None] | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: str, value: tuple[bytes, datetime | None]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
