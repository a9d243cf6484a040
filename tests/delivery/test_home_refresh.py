"""The App Home refresher (bot/delivery/home_refresh.py) on a virtual clock: one redraw per
person per throttle window, once across several leadbot processes, and only for people who
opened their tab."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from bot.clock import FixedClock
from bot.config.delivery import DeliverySettings
from bot.delivery.home_refresh import HomeRefresher
from bot.delivery.pacing import Pacer
from tests.fakes.app_home import add_lead, open_home, published, publishes
from tests.fakes.harness import Harness


def test_republishing_is_throttled_per_person(timed_bot: Harness, clock: FixedClock) -> None:
    homes = timed_bot.app.services.homes
    open_home(timed_bot, "U0ALICE")
    published(timed_bot, "U0ALICE")
    add_lead(timed_bot, "Ann")  # Alice's
    assert homes.run_once() == 0  # drawn a moment ago: wait for the throttle
    clock.advance(timedelta(seconds=2))
    add_lead(timed_bot, "Ben")
    add_lead(timed_bot, "Cy")
    add_lead(timed_bot, "Dee")  # Alice's again
    assert homes.run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert homes.run_once() == 1  # one redraw for all four changes
    assert "*Waiting for you* (2)" in published(timed_bot, "U0ALICE", 2)
    assert homes.run_once() == 0  # nothing new
    clock.advance(timedelta(seconds=10))
    assert homes.run_once() == 0  # nothing changed, so nothing to redraw
    assert len(publishes(timed_bot, "U0ALICE")) == 2


def test_two_leadbot_processes_redraw_a_tab_once_per_change(
    timed_bot: Harness, clock: FixedClock
) -> None:
    services = timed_bot.app.services
    first = services.homes
    second = HomeRefresher(services.db, services.client, clock, services.config, first.render)
    open_home(timed_bot, "U0ALICE")
    published(timed_bot, "U0ALICE")
    second.run_once()  # starts watching the event log
    add_lead(timed_bot, "Ann")  # Alice's
    assert second.run_once() == 0  # noticed, but drawn a moment ago: throttled
    clock.advance(timedelta(seconds=3))
    assert first.run_once() == 1
    clock.advance(timedelta(seconds=1))
    assert second.run_once() == 0  # the first process drew it after the change: nothing left
    clock.advance(timedelta(seconds=10))
    assert second.run_once() == 0 and first.run_once() == 0
    assert len(publishes(timed_bot, "U0ALICE")) == 2


def test_people_who_never_opened_the_tab_are_not_tracked(timed_bot: Harness) -> None:
    homes = timed_bot.app.services.homes
    homes.run_once()
    add_lead(timed_bot, "Ann")  # Alice's; Alice and Maya never opened the tab
    assert homes.run_once() == 0
    assert homes.run_once() == 0
    assert timed_bot.fake.calls("views.publish") == []
    assert not homes.stale_people()


def test_redraws_are_paced_to_slacks_tier_4(timed_bot: Harness, clock: FixedClock) -> None:
    """`delivery.tier4_per_minute`: after a burst, tabs go out at Tier 4's pace, not at once.
    The pacer spends its burst (nine publishes elsewhere) right before the pass, so the four
    stale tabs take the next four moments: 0.26 s, then 60 / (120 x 0.95) = 0.53 s apart, the
    last 1.84 s after the pass began (unpaced: all four within a few ms)."""
    services = timed_bot.app.services
    pacer = Pacer(DeliverySettings(tier4_per_minute=120))
    paced = HomeRefresher(
        services.db, services.client, clock, services.config, services.homes.render, pacer=pacer
    )
    for person in ("U0ALICE", "U0BO", "U0CHEN", "U0MAYA"):
        open_home(timed_bot, person)
        published(timed_bot, person)
    paced.run_once()  # starts watching the event log
    for name in ("Ann", "Ben", "Cy"):  # one each for Alice, Bo and Chen; Maya manages them
        add_lead(timed_bot, name)
    clock.advance(timedelta(seconds=3))
    before = len(timed_bot.fake.calls("views.publish"))
    began = time.monotonic()
    for _ in range(9):
        pacer.reserve("views.publish", None)
    assert paced.run_once() == 4
    moments = [c.at for c in timed_bot.fake.calls("views.publish")[before:]]
    assert len(moments) == 4
    assert moments[-1] - began >= 1.8, [m - began for m in moments]
    assert timed_bot.fake.ratelimited == 0


def test_a_429_leaves_the_tab_stale_until_slack_allows(
    timed_bot: Harness, clock: FixedClock
) -> None:
    homes = timed_bot.app.services.homes
    open_home(timed_bot, "U0ALICE")
    published(timed_bot, "U0ALICE")
    add_lead(timed_bot, "Ann")  # Alice's
    clock.advance(timedelta(seconds=3))
    timed_bot.fake.fail_next("views.publish", status=429, retry_after=1)
    assert homes.run_once() == 0
    assert "U0ALICE" in homes.stale_people()  # not dropped: Slack only asked to wait
    assert homes.run_once() == 1  # waits out Retry-After, then draws
    refused, drawn = publishes(timed_bot, "U0ALICE")[1:]
    assert refused.response["error"] == "ratelimited"
    assert "*Waiting for you* (1)" in json.dumps(drawn.args["view"], ensure_ascii=False)
    assert 1.0 <= drawn.at - refused.at < 1.6  # Retry-After: 1, no more
