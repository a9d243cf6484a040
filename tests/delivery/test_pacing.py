"""bot/delivery/pacing.py: Slack's budgets are the workspace's (and the channel's), so N live
senders on one database each pace themselves to 1/N of every budget and burst. Pure: a fixed
monotonic clock, the sender count a plain value the test changes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config.delivery import DeliverySettings
from bot.delivery.pacing import HEADROOM, POST, WARM_UP, Pacer

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


def fresh(settings: DeliverySettings = SETTINGS) -> tuple[Pacer, list[float]]:
    """A pacer that has just started (inside WARM_UP), and its clock."""
    now = [100.0]
    return Pacer(settings, lambda: now[0]), now


def test_a_started_pacer_that_cannot_tell_what_a_channel_saw_starts_it_without_its_burst() -> None:
    pace, _ = fresh()
    assert booked_within(pace, POST, "C1", NOW) == 1


def test_a_seeded_pacer_gives_a_quiet_channel_its_whole_burst() -> None:
    pace, _ = fresh()
    pace.seed({"C0BUSY": [0.1]})
    assert booked_within(pace, POST, "C1", NOW) == 4  # nothing there lately: all of post_burst


def test_a_seeded_channel_starts_with_what_slacks_bucket_has_left() -> None:
    """Four posts half a second ago spent the burst; half a token has come back since, so the
    first post waits the other half (at leadbot's pace: HEADROOM)."""
    pace, _ = fresh()
    pace.seed({"C1": [0.5] * 4, "C2": [3.5, 2.5, 1.5, 0.5], "C3": [30.0]})
    assert pace.reserve(POST, "C1") == pytest.approx(0.5 / HEADROOM)
    # One post a second: each came back before the next, so three tokens are left.
    assert booked_within(pace, POST, "C2", NOW) == 3
    assert booked_within(pace, POST, "C3", NOW) == 4  # long refilled


def test_seeding_keeps_what_the_pacer_knows_of_its_own_posts() -> None:
    pace, _ = fresh()
    pace.seed({})
    assert booked_within(pace, POST, "C1", NOW) == 4
    pace.seed({"C1": [60.0]})  # an older view of the channel: not taken over its own bookings
    assert pace.reserve(POST, "C1") > 0.5


@given(
    st.dictionaries(
        st.sampled_from(["C1", "C2", "U0ALICE"]),
        st.lists(st.floats(min_value=0, max_value=120, allow_nan=False), max_size=12),
    )
)
def test_seeding_never_gives_a_channel_more_than_its_burst_nor_less_than_its_posts_leave(
    posts: dict[str, list[float]],
) -> None:
    """Whatever the outbox shows: never more at once than the burst less the posts of the
    last half second (at most half a token has come back since), and never less than the burst
    less every post within the burst's refill time."""
    burst, refill = SETTINGS.post_burst, SETTINGS.post_burst / SETTINGS.post_per_channel
    for lane in ("C1", "C2", "U0ALICE"):
        pace, _ = fresh()  # one each: counting books a call past the burst, which holds others
        pace.seed(posts)
        recent = sum(1 for age in posts.get(lane, []) if age < refill)
        just_now = sum(1 for age in posts.get(lane, []) if age < 0.5)
        now = booked_within(pace, POST, lane, NOW)
        assert max(0, burst - recent) <= now <= max(0, burst - just_now)


def test_more_posts_at_one_moment_than_the_burst_leave_the_bucket_empty_not_in_debt() -> None:
    """Found by the property test above: five posts the outbox shows at one instant, a whole
    refill time ago, left the seeded bucket a token short for good, as if Slack had taken a
    post from an empty bucket."""
    pace, _ = fresh()
    pace.seed({"C1": [4.0] * 5})  # SETTINGS: a burst of 4, refilled at 1 a second
    assert booked_within(pace, POST, "C1", NOW) == 4
