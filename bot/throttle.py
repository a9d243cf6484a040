"""Saying the same thing once an hour, not once per event: the admins' alerts. Pure (the
standard library only), so the config layer's template renderer may use it too."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable

HOUR = 3600.0


class OncePerHour:
    """`first(key)` is True once an hour per key. Two threads asking at once (two senders giving
    up on one channel, two sweepers) get one True between them."""

    def __init__(self, every: float = HOUR) -> None:
        self.every = every
        self._told: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def first(self, key: Hashable) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._told.get(key, -self.every) < self.every:
                return False
            self._told[key] = now
            return True
