"""Per-process memory for feeds: rendered feeds by fingerprint (a fingerprint's bytes never
change), and fingerprints by owner and change count (see feeds.current_fingerprint)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Generic, TypeVar

CACHE_SIZE = 256
FINGERPRINTS = 4096  # a few hundred bytes each

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A small thread-safe LRU."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class RenderedFeeds(Lru[str, tuple[bytes, datetime | None]]):
    """A small LRU of rendered feeds by fingerprint (they are immutable for a fingerprint)."""


class FeedFingerprints(Lru[tuple, str]):
    """Fingerprints by (owner, programme, change count): right until the count moves."""

    def __init__(self, size: int = FINGERPRINTS) -> None:
        super().__init__(size)
