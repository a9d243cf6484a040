"""The App Home tab: published on app_home_opened, republished when a lead of theirs changes,
a manager's view with the team table and the queue, clicks on the tab, and a full tab within
the view limit. The refresher's throttle is in tests/delivery/test_home_refresh.py."""

from __future__ import annotations

import json
from typing import Any

from blocks import ids
from bot.clock import FixedClock
from handlers.app_home import publish_home
from handlers.context import SERVICES_KEY
from storage.models import HomeTab
from tests.fakes.app_home import LEAD, add_lead, open_home, published, publishes
from tests.fakes.harness import Harness


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


def test_clicks_on_the_home_tab_work_and_refusals_arrive_as_a_dm(
    timed_bot: Harness, clock: FixedClock
) -> None:
    add_lead(timed_bot, "Ann")  # Alice's
    status, _ = timed_bot.click_in(ids.CLAIM, "1", "U0ALICE", where=None)
    assert status == 200
    timed_bot.lead_status(1, "claimed")
    timed_bot.click_in(ids.PASS, "1", "U0BO", where=None)
    told = timed_bot.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "U0BO")
    assert told[0].args["text"] == "Lead #1 is already claimed by <@U0ALICE>: nothing to pass on."


def test_a_full_tab_stays_under_the_view_limit(timed_bot: Harness, clock: FixedClock) -> None:
    config = timed_bot.app.services.config
    assert config.can_manage("U0MAYA")
    for i in range(40):
        add_lead(timed_bot, f"Lead {i:02d}")
    timed_bot.app.services.homes.opened("U0ALICE")
    view: dict[str, Any] = json.loads(published(timed_bot, "U0ALICE"))
    assert len(view["blocks"]) <= 100
    assert "…and 4 more: `/leads mine` lists them all." in json.dumps(view, ensure_ascii=False)
    assert timed_bot.fake.problems() == []
