"""bot/delivery/pacing.py: Slack's budgets are the workspace's (and the channel's), so N live
senders on one database each pace themselves to 1/N of every budget and burst. Pure: a fixed
monotonic clock, the sender count a plain value the test changes."""

from __future__ import annotations

import pytest

from bot.config.delivery import DeliverySettings
from bot.delivery.pacing import POST, WARM_UP, Pacer

NOW = 1e-6  # seconds of wait that still count as "now" (float sums of intervals)
SETTINGS = DeliverySettings(post_per_channel=1, post_burst=4, tier3_per_minute=50)


def pacer(senders: list[int]) -> Pacer:
    now = [0.0]
    pace = Pacer(SETTINGS, lambda: now[0], senders=lambda: senders[0])
    now[0] = WARM_UP + 1.0  # past the warm-up: channels start with their whole burst
    return pace


def booked_within(pace: Pacer, method: str, lane: str | None, seconds: float) -> int:
    """How many calls booked now get a moment within `seconds`."""
    count = 0
    while pace.reserve(method, lane) <= seconds:
        count += 1
    return count


@pytest.mark.parametrize("method", ["chat.update", POST])
def test_two_senders_together_book_no_more_than_one_sender_alone(method: str) -> None:
    lane = "C1" if method == POST else None
    alone = booked_within(pacer([1]), method, lane, 60.0)
    each = booked_within(pacer([2]), method, lane, 60.0)
    assert 2 * each <= alone <= 2 * each + 2  # halves, give or take each one's first call
    assert each >= alone // 2 - 1  # and no less than its half


def test_a_channels_burst_is_shared_too() -> None:
    assert booked_within(pacer([1]), POST, "C1", NOW) == 4  # post_burst
    assert booked_within(pacer([2]), POST, "C1", NOW) == 2
    assert booked_within(pacer([8]), POST, "C1", NOW) == 1  # never less than one post


def test_the_share_follows_the_live_count() -> None:
    """Another instance starts (or dies): the next bookings use the new share."""
    senders = [1]
    pace = pacer(senders)
    booked_within(pace, "chat.update", None, NOW)  # the burst, spent alone
    alone_gap = pace.reserve("chat.update", None) - pace.reserve("chat.update", None)
    senders[0] = 2
    pace.reserve("chat.update", None)
    shared_gap = pace.reserve("chat.update", None) - pace.reserve("chat.update", None)
    assert shared_gap == pytest.approx(2 * alone_gap)


def test_the_departure_replay_uses_the_share() -> None:
    """`gap` replays the channel's bucket on the moments posts left: with two senders, this
    one's bucket holds half the burst and refills at half the pace."""
    alone, shared = pacer([1]), pacer([2])
    alone_gaps = [alone.gap(POST, "C1") for _ in range(5)]
    shared_gaps = [shared.gap(POST, "C1") for _ in range(3)]
    assert sum(gap < 0.1 for gap in alone_gaps) == 4
    assert sum(gap < 0.1 for gap in shared_gaps) == 2
    assert shared_gaps[-1] == pytest.approx(2 * alone_gaps[-1], abs=0.02)
