"""Reuse of presigned URLs for a short part of their life.

Signing the same object again a moment later gives a different URL, which defeats
browser and CDN caches and costs a signature each time. A URL is therefore reused
while it still has at least :data:`KEEP_FRACTION` of its lifetime ahead (and for
at most :data:`MAX_REUSE` seconds): ``url(expires_in=3600)`` always returns a URL
valid for at least 54 more minutes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

__all__ = ["PresignedCache"]

KEEP_FRACTION = 0.9
MAX_REUSE = 300.0
MAX_ENTRIES = 4096


class PresignedCache:
    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, expires_in: int, sign: Callable[[], str]) -> str:
        now = time.monotonic()
        reuse = min(MAX_REUSE, expires_in * (1 - KEEP_FRACTION))
        found = self._entries.get(key)
        if found is not None and now - found[1] <= reuse:
            return found[0]
        url = sign()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                # Dicts keep insertion order: drop the oldest signatures first.
                for stale in list(self._entries)[: MAX_ENTRIES // 4]:
                    del self._entries[stale]
            self._entries[key] = (url, now)
        return url
