"""The App Home tab: published on app_home_opened, republished when a lead of theirs changes
(at most once per few seconds), and a manager's view with the team table and the queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from blocks import ids
from bot.clock import FixedClock
from bot.delivery.home_refresh import HomeRefresher
from bot.fakeslack.server import FakeSlack, RecordedCall
from bot.leads.input import parse_lead
from handlers.app_home import publish_home
from handlers.context import SERVICES_KEY
from storage.models import HomeTab
from tests.conftest import make_config, start_bot
from tests.fakes.harness import Harness

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
LEAD = {"source": "website", "company": "Northwind"}


def open_home(bot: Harness, user_id: str, tab: str = "home") -> None:
    status, _ = bot.send_event({"type": "app_home_opened", "user": user_id, "tab": tab})
    assert status == 200


def publishes(bot: Harness, user_id: str) -> list[RecordedCall]:
    return [c for c in bot.fake.calls("views.publish") if c.args["user_id"] == user_id]


def published(bot: Harness, user_id: str, count: int = 1) -> str:
    calls = bot.fake.wait_for(
        "views.publish", count=count, where=lambda c: c.args["user_id"] == user_id
    )
    return json.dumps(calls[count - 1].args["view"], ensure_ascii=False)


def add_lead(bot: Harness, name: str) -> None:
    tiers = [tier.name for tier in bot.app.services.config.tiers]
    data = {**LEAD, "external_id": name, "name": name}
    bot.app.services.leads.receive(parse_lead(data, tiers))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def timed(fake_slack: FakeSlack, database_url: str, clock: FixedClock) -> Iterator[Harness]:
    """The refresher does not run by itself here: the test calls `run_once` at chosen times."""
    harness = start_bot(fake_slack, database_url, make_config(), clock=clock)
    yield harness
    harness.app.stop()


def test_opening_the_tab_publishes_my_leads_and_my_week(bot: Harness) -> None:
    bot.post_lead({**LEAD, "external_id": "h-1", "name": "Dana"})
    open_home(bot, "U0ALICE")
    view = published(bot, "U0ALICE")
    assert '"type": "home"' in view
    assert "*Waiting for you* (1), oldest first" in view and "*Dana*" in view
    assert (
        "*Your last 7 days:* 1 lead · claimed in –" in view or "Your last 7 days:* 1 lead" in view
    )
    assert "Speed to lead" not in view and "Shared queue" not in view  # a rep's tab
    with bot.app.services.db.read() as session:
        assert session.get(HomeTab, "U0ALICE") is not None
    assert bot.fake.problems() == []


def test_the_messages_tab_draws_nothing(bot: Harness) -> None:
    # The listener Bolt runs, called directly: it has returned when the assertion runs.
    context = {SERVICES_KEY: bot.app.services}
    publish_home({"type": "app_home_opened", "user": "U0ALICE", "tab": "messages"}, context)
    assert publishes(bot, "U0ALICE") == []
    publish_home({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"}, context)
    assert len(publishes(bot, "U0ALICE")) == 1


def test_a_manager_sees_the_team_table_and_the_queue(bot: Harness) -> None:
    for name in ("Ann", "Ben", "Cy"):
        bot.post_lead({**LEAD, "external_id": name, "name": name})
    bot.click(ids.PASS, 1, "U0ALICE", bot.dm_card("U0ALICE", 1))
    bot.click(ids.PASS, 1, "U0BO", bot.dm_card("U0BO", 1))
    bot.click(ids.PASS, 1, "U0CHEN", bot.dm_card("U0CHEN", 1))  # everyone passed: the queue
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "C0QUEUE")
    open_home(bot, "U0MAYA")
    view = published(bot, "U0MAYA")
    assert "Speed to lead" in view
    for rep in ("Alice", "Bo", "Chen"):
        assert rep in view
    assert "*Shared queue* (1), oldest first" in view and "*Ann*" in view
    assert "no leads came to you" in view  # Maya takes no leads herself


def test_a_change_to_my_lead_republishes_my_tab(bot: Harness) -> None:
    bot.post_lead({**LEAD, "external_id": "h-2", "name": "Dana"})
    open_home(bot, "U0ALICE")
    assert "⏳ SLA in" in published(bot, "U0ALICE")
    bot.click(ids.CLAIM, 1, "U0ALICE", bot.dm_card("U0ALICE", 1))
    # The refresher thread notices the claim in the event log within a pass or two.
    assert "no contact logged yet" in published(bot, "U0ALICE", 2)
    assert publishes(bot, "U0BO") == []  # Bo never opened his tab


def test_republishing_is_throttled_per_person(timed: Harness, clock: FixedClock) -> None:
    homes = timed.app.services.homes
    open_home(timed, "U0ALICE")
    published(timed, "U0ALICE")
    add_lead(timed, "Ann")  # Alice's
    assert homes.run_once() == 0  # drawn a moment ago: wait for the throttle
    clock.advance(timedelta(seconds=2))
    add_lead(timed, "Ben")
    add_lead(timed, "Cy")
    add_lead(timed, "Dee")  # Alice's again
    assert homes.run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert homes.run_once() == 1  # one redraw for all four changes
    assert "*Waiting for you* (2)" in published(timed, "U0ALICE", 2)
    assert homes.run_once() == 0  # nothing new
    clock.advance(timedelta(seconds=10))
    assert homes.run_once() == 0  # nothing changed, so nothing to redraw
    assert len(publishes(timed, "U0ALICE")) == 2


def test_two_leadbot_processes_redraw_a_tab_once_per_change(
    timed: Harness, clock: FixedClock
) -> None:
    services = timed.app.services
    first = services.homes
    second = HomeRefresher(services.db, services.client, clock, services.config, first.render)
    open_home(timed, "U0ALICE")
    published(timed, "U0ALICE")
    second.run_once()  # starts watching the event log
    add_lead(timed, "Ann")  # Alice's
    assert second.run_once() == 0  # noticed, but drawn a moment ago: throttled
    clock.advance(timedelta(seconds=3))
    assert first.run_once() == 1
    clock.advance(timedelta(seconds=1))
    assert second.run_once() == 0  # the first process drew it after the change: nothing left
    clock.advance(timedelta(seconds=10))
    assert second.run_once() == 0 and first.run_once() == 0
    assert len(publishes(timed, "U0ALICE")) == 2


def test_people_who_never_opened_the_tab_are_not_tracked(timed: Harness) -> None:
    homes = timed.app.services.homes
    homes.run_once()
    add_lead(timed, "Ann")  # Alice's; Alice and Maya never opened the tab
    assert homes.run_once() == 0
    assert homes.run_once() == 0
    assert timed.fake.calls("views.publish") == []
    assert not homes.stale_people()


def test_clicks_on_the_home_tab_work_and_refusals_arrive_as_a_dm(
    timed: Harness, clock: FixedClock
) -> None:
    add_lead(timed, "Ann")  # Alice's
    status, _ = timed.click_in(ids.CLAIM, "1", "U0ALICE", where=None)
    assert status == 200
    timed.lead_status(1, "claimed")
    timed.click_in(ids.PASS, "1", "U0BO", where=None)
    told = timed.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "U0BO")
    assert told[0].args["text"] == "Lead #1 is already claimed by <@U0ALICE>: nothing to pass on."


def test_a_full_tab_stays_under_the_view_limit(timed: Harness, clock: FixedClock) -> None:
    config = timed.app.services.config
    assert config.can_manage("U0MAYA")
    for i in range(40):
        add_lead(timed, f"Lead {i:02d}")
    timed.app.services.homes.opened("U0ALICE")
    view: dict[str, Any] = json.loads(published(timed, "U0ALICE"))
    assert len(view["blocks"]) <= 100
    assert "…and 4 more: `/leads mine` lists them all." in json.dumps(view, ensure_ascii=False)
    assert timed.fake.problems() == []
