"""`GET /metrics` (bot/metrics.py) as Prometheus scrapes it: a lead's claim, its waits, its SLA
breach and escalation steps, every Slack call by method and result (429s too), and the outbox
by lane, read at scrape time."""

from __future__ import annotations

import time
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from blocks import ids
from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack
from tests.fakes.harness import Harness
from tests.fakes.serving import wait_until

LEAD = {"external_id": "m-1", "source": "website", "name": "Dana", "company": "Northwind"}


def sample(metrics: str, name: str, **labels: str) -> float | None:
    """One sample's value in a scrape; None when there is no such sample."""
    for family in text_string_to_metric_families(metrics):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return None


def scrape(bot: Harness) -> str:
    status, text = bot.get("/metrics")
    assert status == 200
    return text


def test_a_leads_life_shows_in_metrics(
    timed_bot: Harness, clock: FixedClock, fake_slack: FakeSlack
) -> None:
    bot = timed_bot
    fake_slack.fail_next("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    bot.post_lead(LEAD)  # a warm lead: answered within 1h
    card = bot.dm_card("U0ALICE", 1)
    bot.settle()
    clock.advance(timedelta(minutes=30))
    bot.app.services.escalator.sweep()  # step 1: a reminder to Alice
    bot.settle()  # its delivery is recorded: on PostgreSQL the sweep skips a locked lead
    clock.advance(timedelta(minutes=31))
    bot.app.services.escalator.sweep()  # past the hour: the SLA is breached
    clock.advance(timedelta(minutes=9))
    assert bot.click(ids.CLAIM, 1, "U0ALICE", card)[0] == 200  # 70 minutes after arrival
    clock.advance(timedelta(minutes=10))
    assert bot.click(ids.LOG_CONTACT, 1, "U0ALICE", card, selected="1:call")[0] == 200
    bot.settle()
    metrics = scrape(bot)
    warm = {"tier": "warm"}
    assert sample(metrics, "leadbot_claims_total", **warm) == 1
    assert sample(metrics, "leadbot_time_to_claim_seconds_sum", **warm) == 70 * 60
    assert sample(metrics, "leadbot_time_to_claim_seconds_bucket", le="3600.0", **warm) == 0
    assert sample(metrics, "leadbot_time_to_claim_seconds_bucket", le="7200.0", **warm) == 1
    assert sample(metrics, "leadbot_time_to_first_contact_seconds_sum", **warm) == 80 * 60
    assert sample(metrics, "leadbot_sla_breaches_total", **warm) == 1
    assert sample(metrics, "leadbot_escalation_steps_total", action="remind_owner") == 1
    assert sample(metrics, "leadbot_lead_events_total", kind="claimed") == 1
    post = {"method": "chat.postMessage"}
    assert sample(metrics, "leadbot_slack_calls_total", result="429", **post) == 1
    assert sample(metrics, "leadbot_slack_ratelimited_total", **post) == 1
    assert (sample(metrics, "leadbot_slack_calls_total", result="ok", **post) or 0) >= 3
    update = {"method": "chat.update", "result": "ok"}
    assert (sample(metrics, "leadbot_slack_calls_total", **update) or 0) >= 1


def test_a_second_claim_that_lost_is_not_counted(bot: Harness) -> None:
    bot.post_lead(LEAD)
    card = bot.dm_card("U0ALICE", 1)
    assert bot.click(ids.CLAIM, 1, "U0ALICE", card)[0] == 200
    assert bot.click(ids.CLAIM, 1, "U0BO", card)[0] == 200  # "already claimed by Alice"
    assert sample(scrape(bot), "leadbot_claims_total", tier="warm") == 1


def test_listeners_slack_calls_are_counted(bot: Harness) -> None:
    """Bolt hands listeners a client of its own per request unless told: theirs count too."""
    bot.post_lead(LEAD)
    card = bot.dm_card("U0ALICE", 1)
    bot.click(ids.CLAIM, 1, "U0ALICE", card)
    bot.click(ids.CLAIM, 1, "U0BO", card)  # answered with an ephemeral message
    bot.fake.wait_for("chat.postEphemeral")
    ephemeral = {"method": "chat.postEphemeral", "result": "ok"}
    # The fake records the call before the listener's client has its answer (and counts it).
    wait_until(
        lambda: sample(scrape(bot), "leadbot_slack_calls_total", **ephemeral) is not None,
        "the ephemeral counted",
    )
    assert sample(scrape(bot), "leadbot_slack_calls_total", **ephemeral) == 1


def test_the_outbox_by_lane_is_read_at_scrape_time(bot: Harness, fake_slack: FakeSlack) -> None:
    fake_slack.set_down(True)
    bot.post_lead(LEAD)
    down = {"method": "chat.postMessage", "result": "http_503"}
    deadline = time.monotonic() + 30
    while not sample(scrape(bot), "leadbot_slack_calls_total", **down):  # the outage page
        assert time.monotonic() < deadline, "no chat.postMessage tried"
        time.sleep(0.05)
    time.sleep(0.1)
    metrics = scrape(bot)
    assert sample(metrics, "leadbot_outbox_depth", lane="dm_card") == 1
    assert sample(metrics, "leadbot_outbox_depth", lane="channel_post") == 1  # #leads
    assert sample(metrics, "leadbot_outbox_depth", lane="digest") == 0
    assert (sample(metrics, "leadbot_outbox_oldest_pending_seconds", lane="dm_card") or 0) > 0
    assert sample(metrics, "leadbot_outbox_oldest_pending_seconds", lane="redraw") == 0
    fake_slack.set_down(False)
    bot.card_posts(2)
    bot.settle()
    metrics = scrape(bot)
    assert sample(metrics, "leadbot_outbox_depth", lane="dm_card") == 0
    assert sample(metrics, "leadbot_outbox_oldest_pending_seconds", lane="dm_card") == 0


def test_the_oldest_pending_age_is_on_the_apps_clock(
    timed_bot: Harness, clock: FixedClock, fake_slack: FakeSlack
) -> None:
    fake_slack.set_down(True)
    timed_bot.post_lead(LEAD)
    clock.advance(timedelta(minutes=5))
    metrics = scrape(timed_bot)
    assert sample(metrics, "leadbot_outbox_oldest_pending_seconds", lane="dm_card") == 300
