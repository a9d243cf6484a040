"""An outreach template that fails for a lead at run time (#12 "one bad template affects only
itself"; "nothing fails silently"): the task card still goes, says the rep must write this
touch, and the admins are told in Slack once (not once per lead), with the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from blocks import ids
from bot.clock import FixedClock
from bot.config.schema import Config
from bot.fakeslack.server import FakeSlack
from tests.conftest import make_config
from tests.fakes.harness import Harness
from tests.followup.test_task_flow import CLAIMED, LEAD, shown, sweep_tasks, task_cards


@pytest.fixture
def bot_config(tmp_path: Path) -> Config:
    (tmp_path / "intro.md.j2").write_text("---\nsubject: Hi\n---\nHello\n\n{{ 1 / 0 }}\n")
    return make_config(followup={"templates": str(tmp_path)}, admins=["U0MAYA"])


def test_a_failing_template_costs_only_its_text_and_the_admins_hear_of_it_once(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock, tmp_path: Path
) -> None:
    for number in (1, 2):
        lead = {**LEAD, "external_id": f"t-{number}", "email": f"p{number}@northwind.test"}
        status, body = timed_bot.post_lead(lead)
        assert status == 201
        timed_bot.click(ids.CLAIM, number, body["owner"], timed_bot.dm_card(body["owner"], number))
        timed_bot.lead_status(number, "claimed")
    assert sweep_tasks(timed_bot, clock, CLAIMED) == 2
    cards = task_cards(fake_slack)
    assert len(cards) == 2
    for card in cards:
        drawn = shown(card.args["blocks"])
        assert "could not be filled in for this lead" in drawn
        assert "task_done" in drawn  # the buttons are there: the rep can still do the touch
    alerts = [c for c in fake_slack.calls("chat.postMessage") if c.args["text"].startswith("⚠️")]
    assert len(alerts) == 1
    assert alerts[0].args["channel"] == timed_bot.dm_channel("U0MAYA")
    assert f"{tmp_path / 'intro.md.j2'}:6: ZeroDivisionError" in alerts[0].args["text"]
