"""The card's link buttons: Slack sends an action for a URL button too, and shows an error icon
on the button unless it is acknowledged."""

from __future__ import annotations

import logging

import pytest

from blocks import ids
from storage.models import Lead
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


def lead_version(bot: Harness, lead_id: int) -> int:
    with bot.app.services.db.read() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead.version


@pytest.mark.parametrize(
    ("action_id", "selected"),
    [(ids.CLAIM, None), (ids.PASS, None), (ids.LOG_CONTACT, "{lead}:call")],
)
def test_a_click_answered_200_has_already_changed_the_lead(
    bot: Harness, action_id: str, selected: str | None
) -> None:
    """Slack shows the clicker their click worked once it gets the 200. The ack used to go out
    before the claim committed, so a crash in between lost an answered claim (#11, found by
    kill -9). The lead is read the moment the answer arrives, five times over."""
    for n in range(1, 6):
        status, answer = bot.post_lead({**LEAD, "external_id": f"ack-{n}"})
        assert status == 201
        owner = answer["owner"]
        card = bot.dm_card(owner, n)
        before = lead_version(bot, n)
        pick = selected.format(lead=n) if selected else None
        status, _ = bot.click(action_id, n, owner, card, selected=pick)
        assert status == 200
        assert lead_version(bot, n) > before, f"lead {n}: answered 200, not yet changed"
