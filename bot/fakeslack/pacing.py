"""Slack's rate limits as the fake Slack enforces them (shared/slack/LIMITS.md): chat.postMessage
about one per second per channel with short bursts and a workspace-wide ceiling, and a per-minute
budget per method for the tiered methods. Over a limit, Slack answers 429 with `Retry-After`
(whole seconds) and does not count the refused call. Off unless a test or bench turns it on.
Standard library only (the demo ships the fake).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

TIER2 = ("usergroups.list", "usergroups.users.list", "conversations.list")
TIER3 = ("chat.update", "conversations.open", "conversations.history")
TIER4 = (
    "views.publish",
    "views.open",
    "views.update",
    "users.info",
    "conversations.members",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
)


@dataclass(frozen=True)
class RateLimits:
    """Rates as Slack documents them; `scale` multiplies every rate (benches scale them up so a
    1,000-lead burst takes seconds, not minutes, with the same shape)."""

    post_per_channel_per_s: float = 1.0
    post_burst: int = 3
    post_per_workspace_per_min: float = 600.0
    tier2_per_min: float = 20.0
    tier3_per_min: float = 50.0
    tier4_per_min: float = 100.0
    scale: float = 1.0

    def method_rate(self, method: str) -> float | None:
        """Calls per second a tiered method may make across the workspace."""
        if method in TIER2:
            return self.tier2_per_min * self.scale / 60
        if method in TIER3:
            return self.tier3_per_min * self.scale / 60
        if method in TIER4:
            return self.tier4_per_min * self.scale / 60
        if method == "chat.postMessage":
            return self.post_per_workspace_per_min * self.scale / 60
        return None


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second, at most `capacity` saved up."""

    rate: float
    capacity: float
    tokens: float = field(default=-1.0)
    at: float = 0.0

    def take(self, now: float) -> float:
        """0 and a token spent, or the seconds until one is there (nothing spent)."""
        if self.tokens < 0:
            self.tokens, self.at = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class SlackPacing:
    """Decides whether a call gets through; not thread-safe (FakeSlack holds its lock)."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self.refused = 0

    def check(self, method: str, channel: str | None, now: float) -> int | None:
        """None: allowed. Otherwise the Retry-After seconds of a 429."""
        waits = []
        rate = self.limits.method_rate(method)
        if rate is not None:
            # A workspace budget tolerates a burst of ten seconds' worth.
            waits.append(self._bucket(method, "", rate, max(rate * 10, 1)).take(now))
        if method == "chat.postMessage" and channel:
            per_channel = self.limits.post_per_channel_per_s * self.limits.scale
            bucket = self._bucket(method, channel, per_channel, self.limits.post_burst)
            waits.append(bucket.take(now))
        wait = max(waits, default=0.0)
        if wait <= 0:
            return None
        self._refund(method, channel, waits)
        self.refused += 1
        return max(1, math.ceil(wait))

    def _bucket(self, method: str, key: str, rate: float, capacity: float) -> Bucket:
        bucket = self._buckets.get((method, key))
        if bucket is None:
            bucket = self._buckets[(method, key)] = Bucket(rate, capacity)
        return bucket

    def _refund(self, method: str, channel: str | None, waits: list[float]) -> None:
        """A refused call spends nothing: give back the tokens the other buckets took."""
        keys = [(method, "")] if self.limits.method_rate(method) is not None else []
        if method == "chat.postMessage" and channel:
            keys.append((method, channel))
        for key, wait in zip(keys, waits, strict=True):
            if wait == 0:
                self._buckets[key].tokens += 1
