"""Time is injected: the engine asks a Clock, never `datetime.now()` directly."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to: for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; everything stored is UTC, so say so."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


HOUR = 3600.0


class OncePerHour:
    """`first(key)` is True once an hour per key: the admins hear of a problem once an hour,
    not once per event. Wall time of this process (time.monotonic), not the injected clock: it
    paces messages to people and decides nothing about leads. Two threads asking at once (two
    senders giving up on one channel) get one True between them."""

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
