"""The weekly digest on schedule (bot/review/digest_send.py), on SQLite and PostgreSQL, through
the real dispatcher to the fake Slack: each reader at 09:00 on their own clock, once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.config.schema import Config
from bot.review.digest import DigestService
from bot.review.digest_send import DigestSender
from tests.conftest import make_config
from tests.fakes.harness import Harness

MONDAY_9_NEW_YORK = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 15:00 Berlin, 22:00 Singapore


@pytest.fixture
def bot_config() -> Config:
    return make_config(digest={"enabled": True})


@pytest.fixture
def clock_start() -> datetime:
    return MONDAY_9_NEW_YORK - timedelta(minutes=1)


def digests_of(bot: Harness) -> list[tuple[str, str]]:
    bot.app.services.dispatcher.wait_until_idle()
    return [(c.args["channel"], c.args["text"]) for c in bot.fake.calls("chat.postMessage")
            if c.args.get("text", "").startswith("📊")]  # fmt: skip


def test_each_reader_gets_the_week_at_nine_on_their_clock_once(
    timed_bot: Harness, clock: FixedClock
) -> None:
    sender = timed_bot.app.services.digest_sender
    # 08:59 in New York: Berlin (Alice) and Singapore (Chen) have had their nine o'clock.
    assert sender.send_due() == 2
    assert sender.send_due() == 0
    clock.set(MONDAY_9_NEW_YORK)
    assert sender.send_due() == 2  # the managers' channel (New York) and Bo
    sent = digests_of(timed_bot)
    assert len(sent) == 4
    team = [text for channel, text in sent if channel == "C0MGRS"]
    assert team == ["📊 Week of Feb 23 – Mar 1: no leads and no follow-up for the team."]
    assert sum("for Alice." in text for _, text in sent) == 1
    # Another instance (a fresh sender on the same database) sends nothing more.
    services = timed_bot.app.services
    again = type(sender)(services.db, services.config, services.clock, services.digests,
                         lambda: None)  # fmt: skip
    assert again.send_due() == 0


def test_a_day_late_is_too_late_and_next_week_comes_again(
    timed_bot: Harness, clock: FixedClock
) -> None:
    sender = timed_bot.app.services.digest_sender
    # Down all Monday, back on Tuesday 09:01 in New York: every reader's Monday 09:00 is more
    # than a day ago (Singapore's 37 hours), so last week's digest would be stale news.
    clock.set(MONDAY_9_NEW_YORK + timedelta(days=1, minutes=1))
    assert sender.send_due() == 0
    clock.set(MONDAY_9_NEW_YORK + timedelta(days=7))
    assert sender.send_due() == 4
    weeks = {text.split(":")[0] for _, text in digests_of(timed_bot)}
    assert weeks == {"📊 Week of Mar 2 – Mar 8"}


def test_disabled_sends_nothing(timed_bot: Harness, clock: FixedClock) -> None:
    services = timed_bot.app.services
    config = services.config.model_copy(update={"digest": services.config.digest.model_copy(
        update={"enabled": False})})  # fmt: skip
    sender = type(services.digest_sender)(services.db, config, services.clock, services.digests,
                                          lambda: None)  # fmt: skip
    clock.set(MONDAY_9_NEW_YORK)
    assert sender.send_due() == 0


def test_a_week_with_leads_brings_its_chart_right_below_the_digest(
    timed_bot: Harness, clock: FixedClock
) -> None:
    """Bo's lead of the reviewed week: the digest, then the time-to-claim chart, shared into
    his DM through Slack's upload flow (getUploadURLExternal, the bytes, completeUpload)."""
    clock.set(datetime(2026, 2, 24, 15, 0, tzinfo=UTC))
    assert timed_bot.post_lead({"external_id": "w-1", "name": "Dana"})[0] == 201  # Alice's
    assert timed_bot.post_lead({"external_id": "w-2", "name": "Eli"})[0] == 201  # Bo's
    clock.set(datetime(2026, 2, 24, 15, 5, tzinfo=UTC))
    assert timed_bot.app.services.leads.claim(2, "U0BO").ok
    clock.set(MONDAY_9_NEW_YORK)
    timed_bot.app.services.digest_sender.send_due()
    shared = timed_bot.fake.wait_for(
        "files.completeUploadExternal", where=lambda c: "Bo:" in json.dumps(c.args)
    )[0]
    file_id = shared.response["files"][0]["id"]
    stored = timed_bot.fake.file(file_id)
    assert stored is not None and stored.data is not None and stored.data.startswith(b"\x89PNG")
    assert stored.title == "Time to claim, Bo: Feb 23 – Mar 1 beside the week before"
    [channel] = stored.channels
    # What shows as a new message in the DM, in the order Slack got it (an edit of the lead's
    # card, chat.update, may come between: it adds no message).
    shown = ("chat.postMessage", "files.completeUploadExternal")
    posts = [c for c in timed_bot.fake.calls() if c.method in shown
             and channel in (c.args.get("channel"), c.args.get("channel_id"))]  # fmt: skip
    order = [c.method if c.method != "chat.postMessage" else c.args["text"] for c in posts]
    digest = next(i for i, what in enumerate(order) if what.startswith("📊 Week of Feb 23"))
    assert order[digest] == "📊 Week of Feb 23 – Mar 1 for Bo: 1 leads, median claim 5m"
    assert order[digest + 1] == "files.completeUploadExternal"


class BrokenInNewYork(DigestService):
    def build_many(self, tz, reps, viewer=None):  # type: ignore[no-untyped-def]
        if tz.key == "America/New_York":
            raise RuntimeError("the week's report failed")
        return super().build_many(tz, reps, viewer)


def test_a_zone_that_fails_holds_up_no_other_and_the_admins_hear_once(
    timed_bot: Harness, clock: FixedClock
) -> None:
    services = timed_bot.app.services
    digests = BrokenInNewYork(services.db, services.config, services.clock, services.stats)
    sender = DigestSender(services.db, services.config, services.clock, digests,
                          services.dispatcher.wake)  # fmt: skip
    clock.set(MONDAY_9_NEW_YORK)
    assert sender.send_due() == 2  # Berlin and Singapore; New York's two fail
    assert sender.send_due() == 0  # tried again, told no second time within the hour
    sent = digests_of(timed_bot)
    assert len(sent) == 2
    told = "weekly digests for America/New_York could not be sent"
    alerts = [c for c in timed_bot.fake.calls("chat.postMessage") if told in c.args["text"]]
    assert len(alerts) == 1
