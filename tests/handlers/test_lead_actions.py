"""The card's link buttons: Slack sends an action for a URL button too, and shows an error icon
on the button unless it is acknowledged."""

from __future__ import annotations

import logging

import pytest

from blocks import ids
from tests.fakes.harness import Harness

LEAD = {"source": "website", "name": "Dana", "crm_url": "https://crm.example.com/leads/1"}


@pytest.mark.parametrize("action_id", [ids.OPEN_CRM, f"{ids.LINK_PREFIX}deal"])
def test_a_link_button_is_acknowledged_and_changes_nothing(
    bot: Harness, action_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    status, _ = bot.post_lead(LEAD)
    assert status == 201
    card = bot.dm_card("U0ALICE", 1)
    bot.settle()
    caplog.set_level(logging.WARNING)
    answer = bot.click(action_id, 1, "U0ALICE", card)
    assert answer == (200, "")
    bot.settle()
    said = [c.method for c in bot.fake.calls() if c.method.startswith(("chat.", "views."))]
    assert said == ["chat.postMessage", "chat.postMessage"]  # the two cards, and nothing since
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
