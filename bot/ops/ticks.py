"""The scheduler's heartbeat, for `/readyz`: when its jobs last ran.

The timers live in the database, so a scheduler that stopped ticking loses no lead, but nothing
is reminded, swept or sent on time any more: a process whose scheduler is silent is not ready.
Wall-clock seconds (`time.time`): the delivery worker's beats cross a process boundary.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Ticks"]


class Ticks:
    """The moment of the last beat; `started` counts as one, so a scheduler just started (or a
    worker waiting for its first job) is given one interval's grace."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None

    def started(self) -> None:
        self.beat()

    def beat(self, at: float | None = None) -> None:
        with self._lock:
            moment = self._clock() if at is None else at
            self._last = moment if self._last is None else max(self._last, moment)

    @property
    def last(self) -> float | None:
        with self._lock:
            return self._last

    def silent_for(self) -> float | None:
        """Seconds since the last beat; None: never started."""
        last = self.last
        return None if last is None else max(self._clock() - last, 0.0)
