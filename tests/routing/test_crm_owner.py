"""A lead whose CRM record already has an owner who is a rep goes to that owner (by Slack id,
email or name), unless they cannot take it now, and the card says why; an owner leadbot.yml
does not know changes nothing. Through real intake over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.fakeslack.server import FakeSlack
from storage.models import Lead
from tests.conftest import BASE_CONFIG, make_config, start_bot
from tests.fakes.harness import Harness

REPS = [
    {**BASE_CONFIG["reps"][0]},
    {**BASE_CONFIG["reps"][1], "email": "Bo@Example.com"},
    {**BASE_CONFIG["reps"][2]},
]


def bot_with(fake: FakeSlack, url: str, reps: list[dict[str, Any]]) -> Harness:
    return start_bot(fake, url, make_config(reps=reps))


@pytest.fixture
def crm(fake_slack: FakeSlack, database_url: str) -> Iterator[Harness]:
    harness = bot_with(fake_slack, database_url, REPS)
    yield harness
    harness.app.stop()


def placed(bot: Harness, lead: dict[str, Any]) -> tuple[str | None, str]:
    status, answer = bot.post_lead(lead)
    assert status == 201, answer
    with bot.app.services.db.read() as session:
        row = session.get(Lead, answer["id"])
        assert row is not None
        return row.owner_id, row.routing_reason


@pytest.mark.parametrize("said", ["U0BO", "bo@example.COM", "bo", " Bo "])
def test_the_crm_owner_gets_the_lead_by_id_email_or_name(crm: Harness, said: str) -> None:
    assert placed(crm, {"name": "Dana", "owner": said}) == ("U0BO", "owner in the CRM")


def test_an_owner_leadbot_does_not_know_changes_nothing(crm: Harness) -> None:
    owner, reason = placed(crm, {"name": "Dana", "owner": "someone@else.example"})
    assert owner == "U0ALICE" and "owner in the CRM" not in reason  # the default pool, in turn


def test_an_away_crm_owner_is_passed_over_and_the_card_says_why(
    fake_slack: FakeSlack, database_url: str
) -> None:
    # Bo's own today: an away day is a date on his calendar, and for the hours after midnight
    # UTC it is still yesterday in New York (this test failed there, at 00:10 UTC).
    today = datetime.now(ZoneInfo(REPS[1]["timezone"])).date().isoformat()
    reps = [REPS[0], {**REPS[1], "away": [today]}, REPS[2]]
    bot = bot_with(fake_slack, database_url, reps)
    try:
        owner, reason = placed(bot, {"name": "Dana", "owner": "U0BO"})
        assert owner != "U0BO" and "owner in the CRM, away" in reason
        card = bot.dm_card(str(owner), 1)
        assert "owner in the CRM, away" in str(card.args["blocks"])
    finally:
        bot.app.stop()
