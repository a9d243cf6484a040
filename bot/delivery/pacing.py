"""leadbot's own pacing of Slack calls, to Slack's documented limits (`delivery:` in
leadbot.yml), so calls are spread out before Slack has to refuse them.

Each limit is a GCRA schedule (a token bucket kept as one "theoretical arrival time"): a call
reserves the earliest moment every limit it falls under allows, and waits until then. A 429
holds only what it names (that channel's posts, or that method) for exactly `Retry-After`.

Slack's limits are per workspace (and per channel), not per process: with N live senders
(`leadbot serve` instances on one PostgreSQL, counted from the lease heartbeats,
`bot/delivery/leases.py`), each paces itself to 1/N of every budget and burst. Two instances
each pacing to the whole budget would have Slack refuse half their calls when both are busy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.config.delivery import DeliverySettings

POST = "chat.postMessage"
TIER3 = frozenset({"chat.update", "conversations.open", "conversations.history"})
TIER4 = frozenset(
    {
        "views.publish",
        "views.open",
        "views.update",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    }
)
# Paced a little under the limit: jitter between leadbot and Slack must not turn an exact
# pace into 429s.
HEADROOM = 0.95
TIER_BURST_SECONDS = 5.0  # a tier's budget may be spent this many seconds ahead
# A process that just started and could not read what the one before it posted into each channel
# (`seed`, bot/delivery/recent.py; a restart after a crash, mid-burst): for this long, a channel it
# has not posted to yet starts without its burst. (The per-minute budgets keep theirs: they are
# ten seconds deep at Slack.)
WARM_UP = 60.0
# Calls counted as leaving together reach Slack a few ms apart (each is encoded and written in
# turn on one event loop), so the last of a burst arrives later than it was counted, and the next
# call, counted a bare interval after it, arrived too soon: 429. Measured (bench/burst_bench.py,
# the fake's arrival gaps around each 429): a burst after a pause, then the next call 20-46 ms
# after the burst's last at a 50 ms pace. Replaying each post as needing this much more than
# one token took the SQLite burst's 429s from 0.49-1.73 % to 0.07-0.36 % (bench/README.md). At
# Slack's real pace (one a second) it is 1 % of an interval.
DEPARTURE_SPREAD = 0.01  # seconds

Key = tuple[str, str]  # (method, lane); lane "" is the whole workspace


@dataclass(frozen=True)
class Limit:
    interval: float  # seconds between calls at the steady pace
    tolerance: float  # how far ahead of the pace a burst may run


class Pacer:
    def __init__(
        self,
        settings: DeliverySettings,
        monotonic: Callable[[], float] = time.monotonic,
        senders: Callable[[], int] = lambda: 1,
    ) -> None:
        self.settings = settings
        self.monotonic = monotonic
        self.senders = senders  # live senders sharing the workspace's budgets (this one too)
        self._due: dict[Key, float] = {}  # GCRA's theoretical arrival time, per limit
        self._held: dict[Key, float] = {}  # nothing under this key before this moment (429)
        self._started = monotonic()
        # Slack's bucket per channel, replayed on when posts actually left: (tokens, at).
        self._sent: dict[str, tuple[float, float]] = {}
        self._seeded = False  # what the channels saw before this process is known (`seed`)

    def seed(self, posts: Mapping[str, Sequence[float]]) -> None:
        """What each channel saw before this process posted to it: the ages (seconds) of its
        recent posts. Each such channel starts with what Slack's bucket has left after them;
        any other, with its whole burst (not WARM_UP's guess). Channels this process has posted
        to already keep what it knows."""
        now = self.monotonic()
        rate, burst = self._channel_share(self._share())
        for lane, ages in posts.items():
            key = (POST, lane)
            if key in self._due or not ages:
                continue
            tokens, at = burst, now - max(ages) - burst / rate  # full before the first of them
            for age in sorted(ages, reverse=True):
                # Never below empty: Slack took each of these posts, so its bucket held a token
                # for each (the outbox may show more at one moment than the burst: several
                # senders, or times recorded to the same instant), as `gap` replays it.
                left = min(burst, tokens + (now - age - at) * rate) - 1
                tokens, at = max(left, 0.0), now - age
            tokens = min(burst, tokens + (now - at) * rate)
            # GCRA: a theoretical arrival time k intervals ahead leaves burst - k posts now.
            interval = self._limits(POST, lane)[key].interval
            self._due[key] = now + (burst - tokens) * interval
            self._sent.setdefault(lane, (tokens, now))
        self._seeded = True

    def reserve(self, method: str, lane: str | None) -> float:
        """Book the call's moment; returns the seconds to wait for it."""
        now = self.monotonic()
        limits = self._limits(method, lane)
        at = self._earliest(limits, now)
        for key, limit in limits.items():
            self._due[key] = max(self._first_due(key, limit, now), at) + limit.interval
        return at - now

    def wait_for(self, method: str, lane: str | None) -> float:
        """The seconds a call would wait now, without booking it."""
        now = self.monotonic()
        return self._earliest(self._limits(method, lane), now) - now

    def gap(self, method: str, lane: str | None) -> float:
        """Seconds to wait before a post actually leaves (then counted as left), from Slack's
        own bucket for the channel replayed on the moments posts really left. A task that woke
        late (a busy event loop) must not leave right behind the one before it once the burst
        is spent: Slack would answer 429, which holds the channel a whole second."""
        if method != POST or not lane:
            return 0.0
        now = self.monotonic()
        rate, burst = self._channel_share(self._share())
        tokens, at = self._sent.get(lane, (burst, now))
        tokens = min(burst, tokens + (now - at) * rate)
        need = 1 + DEPARTURE_SPREAD * rate
        wait = (need - tokens) / rate if tokens < need else 0.0
        self._sent[lane] = (max(tokens, need) - 1, now + wait)
        return wait

    def hold(self, method: str, lane: str | None, seconds: float) -> None:
        """Slack answered 429: that channel's posts (or that method) wait `seconds`, no more."""
        key = (method, lane or "") if method == POST and lane else (method, "")
        until = self.monotonic() + seconds
        self._held[key] = max(self._held.get(key, 0.0), until)

    def _earliest(self, limits: dict[Key, Limit], now: float) -> float:
        at = now
        for key, limit in limits.items():
            due = self._first_due(key, limit, now)
            at = max(at, due - limit.tolerance, self._held.get(key, 0.0))
        return at

    def _first_due(self, key: Key, limit: Limit, now: float) -> float:
        if key in self._due:
            return self._due[key]
        channel = key[0] == POST and key[1] != ""
        warming = channel and not self._seeded and now - self._started < WARM_UP
        return now + limit.tolerance if warming else now

    def _share(self) -> int:
        return max(1, self.senders())

    def _channel_share(self, senders: int) -> tuple[float, float]:
        """This sender's share of a channel's pace (posts/s) and burst (posts, at least one)."""
        burst = max(1.0, self.settings.post_burst / senders)
        return self.settings.post_per_channel / senders, burst

    def _limits(self, method: str, lane: str | None) -> dict[Key, Limit]:
        s, senders = self.settings, self._share()
        if method == POST:
            rate, burst = self._channel_share(senders)
            per_channel = 1 / (rate * HEADROOM)
            limits = {(POST, ""): _per_minute(s.post_per_minute / senders)}
            if lane:
                limits[(POST, lane)] = Limit(per_channel, (burst - 1) * per_channel)
            return limits
        if method in TIER3:
            return {(method, ""): _per_minute(s.tier3_per_minute / senders)}
        if method in TIER4:
            return {(method, ""): _per_minute(s.tier4_per_minute / senders)}
        return {}


def _per_minute(rate: float) -> Limit:
    interval = 60 / (rate * HEADROOM)
    return Limit(interval, max(TIER_BURST_SECONDS - interval, 0.0))
