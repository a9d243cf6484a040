"""`/leads mine` and `/leads queue` (handlers/lead_lists.py) through real Bolt dispatch: the
rows and their buttons, a click redrawing the list, and paging under the block limit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from blocks import ids
from bot.fakeslack.server import RecordedCall
from bot.leads.input import parse_lead
from handlers.context import SERVICES_KEY
from handlers.lead_lists import turn_page
from tests.conftest import BASE_CONFIG, MakeBot, make_config
from tests.fakes.harness import Harness
from tests.handlers.conftest import answer_to

LEAD = {"source": "website", "company": "Northwind"}
ALWAYS_AWAY = [{"from": "2000-01-01", "to": "2099-12-31"}]


def action_ids(blocks: list[dict[str, Any]]) -> list[list[str]]:
    return [[e["action_id"] for e in b["elements"]] for b in blocks if b["type"] == "actions"]


def add_leads(bot: Harness, count: int, prefix: str = "l") -> None:
    """Through the lead service intake uses (the HTTP round trip is covered elsewhere)."""
    tiers = [tier.name for tier in bot.app.services.config.tiers]
    for i in range(count):
        data = {**LEAD, "external_id": f"{prefix}-{i}", "name": f"Lead {i:03d}"}
        bot.app.services.leads.receive(parse_lead(data, tiers))


@pytest.fixture
def solo(make_bot: MakeBot, database_url: str) -> Harness:
    """One rep, so every lead is Alice's."""
    return make_bot(make_config(reps=[BASE_CONFIG["reps"][0]]), url=database_url)


@pytest.fixture
def queued(make_bot: MakeBot, database_url: str) -> Harness:
    """Every rep away: every lead goes to the shared queue."""
    reps = [{**rep, "away": ALWAYS_AWAY} for rep in BASE_CONFIG["reps"]]
    return make_bot(make_config(reps=reps), url=database_url)


def test_mine_lists_what_needs_me_with_the_buttons_each_state_allows(bot: Harness) -> None:
    bot.post_lead({**LEAD, "external_id": "m-0", "name": "Ann"})  # Alice
    bot.post_lead({**LEAD, "external_id": "m-1", "name": "Ben"})  # Bo
    bot.post_lead({**LEAD, "external_id": "m-2", "name": "Cy"})  # Chen
    bot.post_lead({**LEAD, "external_id": "m-3", "name": "Dee"})  # Alice
    services = bot.app.services
    assert services.leads.claim(4, "U0ALICE").ok
    bot.command("mine", "U0ALICE")
    answer = answer_to(bot, "cmd-U0ALICE")
    assert answer["text"] == "You have 2 lead(s) to work on."
    shown = json.dumps(answer["blocks"], ensure_ascii=False)
    assert shown.index("*Ann*") < shown.index("*Dee*")  # oldest first
    assert "Ben" not in shown and "Cy" not in shown
    assert "⏳ SLA in" in shown and "✅ claimed · 📞 no contact logged yet" in shown
    assert action_ids(answer["blocks"]) == [
        [ids.CLAIM, ids.LOG_CONTACT, ids.SNOOZE, ids.PASS],
        [ids.LOG_CONTACT, ids.SNOOZE],
    ]
    # Once the first contact is logged, the lead leaves the to-do list.
    assert services.contacts.log(4, "U0ALICE", "call").ok
    bot.command("mine", "U0ALICE")
    assert "Dee" not in json.dumps(answer_to(bot, "cmd-U0ALICE", 2)["blocks"])


def test_a_click_in_the_list_redraws_the_list(bot: Harness) -> None:
    bot.post_lead({**LEAD, "external_id": "m-9", "name": "Ann"})  # Alice's
    bot.command("mine", "U0ALICE")
    row = next(b for b in answer_to(bot, "cmd-U0ALICE")["blocks"] if b["type"] == "actions")
    assert row["block_id"] == "lead_card:1:mine.1"
    bot.click_in(ids.CLAIM, "1", "U0ALICE", block_id=row["block_id"])
    redrawn = answer_to(bot, f"U0ALICE-{ids.CLAIM}")
    assert redrawn["replace_original"] is True
    assert "✅ claimed · 📞 no contact logged yet" in json.dumps(redrawn, ensure_ascii=False)
    assert action_ids(redrawn["blocks"]) == [[ids.LOG_CONTACT, ids.SNOOZE]]
    bot.click_in(ids.LOG_CONTACT, "", "U0ALICE", block_id=row["block_id"], selected="1:meeting")
    done = answer_to(bot, f"U0ALICE-{ids.LOG_CONTACT}")
    assert done["text"] == "No leads waiting for you."


def test_mine_when_nothing_waits_says_so_kindly(bot: Harness) -> None:
    bot.command("mine", "U0BO")
    answer = answer_to(bot, "cmd-U0BO")
    assert answer["text"] == "No leads waiting for you."
    assert "Nothing waiting for you right now" in json.dumps(answer["blocks"])


def test_queue_lists_unclaimed_leads_and_claim_works_from_the_list(queued: Harness) -> None:
    queued.post_lead({**LEAD, "external_id": "q-0", "name": "Quinn"})
    queued.post_lead({**LEAD, "external_id": "q-1", "name": "Remy"})
    queued.command("queue", "U0BO")
    answer = answer_to(queued, "cmd-U0BO")
    assert answer["text"] == "2 lead(s) in the shared queue."
    assert action_ids(answer["blocks"]) == [[ids.CLAIM, ids.LOG_CONTACT, ids.SNOOZE]] * 2
    assert "📥 in the shared queue" in json.dumps(answer["blocks"], ensure_ascii=False)
    status, _ = queued.click_in(ids.CLAIM, "1", "U0BO")
    assert status == 200
    card = queued.fake.wait_for("chat.postMessage", where=_queue_copy_of(1))[0]
    queued.fake.wait_for("chat.update", where=lambda c: c.args["ts"] == card.response["ts"])
    queued.command("queue", "U0BO")
    again = json.dumps(answer_to(queued, "cmd-U0BO", 2)["blocks"])
    assert "Quinn" not in again and "Remy" in again


def test_empty_queue_says_so(bot: Harness) -> None:
    bot.command("queue", "U0ALICE")
    assert answer_to(bot, "cmd-U0ALICE")["text"] == "The shared queue is empty."


def test_120_open_leads_are_paged_under_the_block_limit(solo: Harness) -> None:
    add_leads(solo, 120)
    solo.command("mine", "U0ALICE")
    first = answer_to(solo, "cmd-U0ALICE")
    assert first["text"] == "You have 120 lead(s) to work on."
    assert len(first["blocks"]) <= 50
    text = json.dumps(first["blocks"])
    assert "(showing 1\\u201315, page 1 of 8)" in text
    assert "Lead 000" in text and "Lead 014" in text and "Lead 015" not in text
    assert _pager(first) == [(ids.PAGE_NEXT, "mine:2")]

    solo.click_in(ids.PAGE_NEXT, "mine:2", "U0ALICE")
    second = answer_to(solo, f"U0ALICE-{ids.PAGE_NEXT}")
    assert second["replace_original"] is True and len(second["blocks"]) <= 50
    assert "Lead 015" in json.dumps(second["blocks"]) and "Lead 014" not in json.dumps(second)
    assert _pager(second) == [(ids.PAGE_PREVIOUS, "mine:1"), (ids.PAGE_NEXT, "mine:3")]

    # A stale "Next" from a longer list lands on the last page, which has no "Next".
    solo.click_in(ids.PAGE_NEXT, "mine:99", "U0ALICE")
    last = answer_to(solo, f"U0ALICE-{ids.PAGE_NEXT}", 2)
    assert "(showing 106\\u2013120, page 8 of 8)" in json.dumps(last["blocks"])
    assert _pager(last) == [(ids.PAGE_PREVIOUS, "mine:7")]
    assert solo.fake.problems() == []


@pytest.mark.parametrize("value", ["everyone:2", "mine:", "mine:two", ""])
def test_a_page_button_with_a_value_leadbot_never_drew_is_ignored(bot: Harness, value: str) -> None:
    # Called directly (the listener Bolt runs), so "nothing answered" is checked after it
    # returned rather than guessed from a race with another request.
    answers: list[dict[str, Any]] = []
    context = {SERVICES_KEY: bot.app.services}

    def click(page_value: str) -> None:
        body = {"actions": [{"value": page_value}], "user": {"id": "U0ALICE"}}
        turn_page(lambda **_: None, body, context, lambda **kw: answers.append(kw))

    click(value)
    assert answers == []
    click("mine:1")  # the same call with a value leadbot drew does answer
    assert [a["text"] for a in answers] == ["No leads waiting for you."]


def _pager(answer: dict[str, Any]) -> list[tuple[str, str]]:
    pager = [b for b in answer["blocks"] if b.get("block_id", "").startswith("list_pages:")]
    return [(e["action_id"], e["value"]) for b in pager for e in b["elements"]]


def _queue_copy_of(lead_id: int) -> Any:
    def matches(call: RecordedCall) -> bool:
        return call.args.get("channel") == "C0QUEUE" and f"#{lead_id}:" in call.args["text"]

    return matches
