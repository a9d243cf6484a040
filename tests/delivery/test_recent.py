"""bot/delivery/recent.py: a starting sender reads what each channel saw in the last seconds, so
Slack's per-channel bucket is paced from the posts there, not from a guess (pacing.WARM_UP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FixedClock
from bot.config.delivery import DeliverySettings
from bot.delivery.outbox import MESSAGE, POST_CARD, UPDATE_CARD
from bot.delivery.pacing import POST, Pacer
from bot.delivery.recent import recent_posts
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import MakeBot, make_config
from tests.delivery.test_delivery_core import held_bot, lead

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SETTINGS = DeliverySettings(post_per_channel=1, post_burst=3)  # window: 3 s + 1 s recording


def row(
    lane: str, kind: str = POST_CARD, *, sent: float | None = None, **more: object
) -> OutboxMessage:
    status = OutboxStatus.SENT if sent is not None else OutboxStatus.PENDING
    at = NOW - timedelta(seconds=sent or 0)
    return OutboxMessage(kind=kind, lane=lane, status=status, created_at=at, next_attempt_at=at,
                         sent_at=at if sent is not None else None, **more)  # fmt: skip


def test_recent_posts_per_lane_with_rows_that_may_be_out_there_now(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    with db.write() as session:
        session.add_all([
            row("C0LEADS", sent=0.5), row("C0LEADS", MESSAGE, sent=2.0),
            row("C0LEADS", sent=9.0),  # before the window: the bucket has filled since
            row("C0LEADS", UPDATE_CARD, sent=0.2),  # a redraw: chat.update, not a post
            row("U0ALICE", locked_until=NOW + timedelta(minutes=1), locked_by="other"),
            row("U0BO", maybe_sent=True),  # a dead sender's: it may have gone a moment ago
            row("U0CHEN"),  # waiting, never tried
        ])  # fmt: skip
    recent = recent_posts(db, FixedClock(NOW), SETTINGS)
    db.dispose()
    assert recent is not None
    assert {lane: sorted(ages) for lane, ages in recent.items()} == {
        "C0LEADS": [0.5, 2.0], "U0ALICE": [0.0], "U0BO": [0.0],
    }  # fmt: skip


def test_a_sender_paces_each_channel_from_what_it_saw_before_it_started(make_bot: MakeBot) -> None:
    """A second process on the same database (a restart): #leads had three posts a moment ago,
    so its burst is spent there; a channel nobody posted to lately has its whole burst at once
    (a restart no longer starts every channel as if it had just spent its burst)."""
    config = make_config(delivery={"post_per_channel": 0.2, "post_burst": 3})  # a slow refill
    first = make_bot(config)
    for n in range(3):
        first.post_lead(lead(n))
    first.fake.wait_for("chat.postMessage", count=6)
    first.app.stop()
    second = held_bot(make_bot, post_per_channel=0.2, post_burst=3)
    pacer: Pacer = second.app.services.dispatcher.pacer
    assert second.app.services.dispatcher.run_once() == 0  # a loop: it reads the outbox first
    assert pacer.wait_for(POST, "C0LEADS") > 1.0
    assert [pacer.reserve(POST, "C0QUIET") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.reserve(POST, "C0QUIET") > 1.0
