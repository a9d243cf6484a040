"""How a lead ends (#12 "every lead ends in an outcome"): won with an amount and lost with a
reason from the card's ⋯ menu, each closing the lead, ending its follow-up and redrawing its
cards. Signed Bolt dispatch, both databases."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from blocks import ids
from blocks.outcome import outcomes_text
from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack, RecordedCall
from bot.leads.closing import MAX_AMOUNT, parse_amount
from bot.review.outcome_report import outcomes_of
from handlers.args import CommandError
from handlers.outcome_command import parse_lost, parse_won
from storage.followup import Task
from storage.models import Lead, LeadEvent
from tests.fakes.harness import Harness
from tests.followup.test_handover import channel_copy, menu_of
from tests.followup.test_task_flow import CLAIMED, claim_as_alice, shown, sweep_tasks, task_cards
from tests.handlers.test_stats_command import ask
from tests.strategies import AMOUNTS, outcome_state


def current(fake: FakeSlack, call: RecordedCall) -> dict[str, Any]:
    message = fake.message(call.response["channel"], call.response["ts"])
    assert message is not None
    return message


def submit(bot: Harness, callback: str, user_id: str, amount: object, reason: object) -> Any:
    status, body = bot.submit_view(callback, "1", outcome_state(amount, reason), user_id)
    assert status == 200
    return json.loads(body) if body else None


def lead_row(bot: Harness) -> Lead:
    with bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        assert lead is not None
        return lead


def test_won_from_the_owners_card_closes_the_lead_and_ends_its_follow_up(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim_as_alice(timed_bot)
    sweep_tasks(timed_bot, clock, CLAIMED)
    [day_1] = task_cards(fake_slack)
    card = timed_bot.dm_card("U0ALICE", 1)
    drawn = current(fake_slack, card)["blocks"]
    assert [o["value"] for o in menu_of(drawn)] == ["won:1", "lost:1"]
    assert ids.SNOOZE in shown(drawn)  # a claimed lead can be snoozed: its follow-up waits
    timed_bot.click(ids.LEAD_MENU, 1, "U0ALICE", card, selected="won:1")
    modal = fake_slack.wait_for("views.open")[0].args["view"]
    assert (modal["callback_id"], modal["private_metadata"]) == (ids.WON_MODAL, "1")
    assert "Amount (USD)" in shown(modal["blocks"])

    assert submit(timed_bot, ids.WON_MODAL, "U0ALICE", "12,500", None) is None
    timed_bot.settle()
    lead = lead_row(timed_bot)
    assert (lead.status, lead.outcome, lead.outcome_amount) == ("closed", "won", Decimal("12500"))
    assert "🏆 Won · USD 12,500" in shown(current(fake_slack, card)["blocks"])
    assert "🏆 Won · USD 12,500" in shown(current(fake_slack, channel_copy(fake_slack))["blocks"])
    assert "Cancelled: the lead was closed: won" in shown(current(fake_slack, day_1)["blocks"])
    with timed_bot.app.services.db.read() as session:
        statuses = set(session.scalars(select(Task.status)))
        closed = session.scalars(select(LeadEvent.detail).where(LeadEvent.kind == "closed")).one()
        stopped = session.scalars(
            select(LeadEvent.detail).where(LeadEvent.kind == "cadence_stopped")
        ).one()
    assert statuses == {"cancelled"}
    assert closed == {"outcome": "won", "reason": None, "amount": "12500"}
    assert stopped["outcome"] == "won"
    clock.set(CLAIMED + timedelta(minutes=1))  # a period ends before now
    stats = ask(timed_bot, "week", "U0MAYA")
    assert "*Outcomes*: 🏆 1 won (USD 12,500)" in shown(stats["blocks"])
    # Closed is closed: a second outcome is refused, the menu is gone.
    assert "won:1" not in shown(current(fake_slack, card)["blocks"])
    answer = submit(timed_bot, ids.LOST_MODAL, "U0ALICE", None, "No budget")
    assert "already closed" in answer["errors"][ids.OUTCOME_REASON_BLOCK]


def test_a_manager_marks_it_lost_with_a_reason_from_the_channel_copy(
    timed_bot: Harness, fake_slack: FakeSlack
) -> None:
    claim_as_alice(timed_bot)
    copy = channel_copy(fake_slack)
    menu = [o["value"] for o in menu_of(current(fake_slack, copy)["blocks"])]
    assert menu == ["reassign:1", "stop_followup:1", "won:1", "lost:1"]
    timed_bot.click(ids.LEAD_MENU, 1, "U0BO", copy, selected="lost:1")  # neither owner nor manager
    told = fake_slack.wait_for("chat.postEphemeral")[-1]
    assert told.args["text"] == "Only the lead's owner (<@U0ALICE>) or a manager can close lead #1."
    assert fake_slack.calls("views.open") == []
    timed_bot.click(ids.LEAD_MENU, 1, "U0MAYA", copy, selected="lost:1")
    modal = fake_slack.wait_for("views.open")[0].args["view"]
    assert "Chose a competitor" in shown(modal["blocks"])

    answer = submit(timed_bot, ids.LOST_MODAL, "U0MAYA", "went with Acme", "Cheaper elsewhere")
    assert answer["errors"] == {ids.OUTCOME_REASON_BLOCK: "Pick one of the reasons in the list."}
    assert lead_row(timed_bot).status == "claimed"
    assert (
        submit(timed_bot, ids.LOST_MODAL, "U0MAYA", "went with <Acme>", "Chose a competitor")
        is None
    )
    timed_bot.settle()
    lead = lead_row(timed_bot)
    assert (lead.status, lead.outcome, lead.outcome_reason) == (
        "closed",
        "lost",
        "Chose a competitor",
    )
    assert lead.outcome_note == "went with <Acme>"
    drawn = shown(current(fake_slack, copy)["blocks"])
    assert "❌ Lost: Chose a competitor" in drawn and "went with &lt;Acme&gt;" in drawn


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("abc", "'abc' is not a number."),
        ("-5", "Enter the amount as a number, 0 or more."),
        ("1.234", "Enter the amount in whole cents at most (e.g. 12500 or 12500.50)."),
        ("1e999", "That is more than leadbot can store (999,999,999,999.99)."),
        ("NaN", "Enter the amount as a number, 0 or more."),
        (None, "Enter the amount won."),
    ],
)
def test_an_amount_leadbot_cannot_keep_leaves_the_form_open_and_the_lead_as_it_was(
    timed_bot: Harness, typed: object, says: str
) -> None:
    claim_as_alice(timed_bot)
    answer = submit(timed_bot, ids.WON_MODAL, "U0ALICE", typed, None)
    assert answer == {"response_action": "errors", "errors": {ids.OUTCOME_AMOUNT_BLOCK: says}}
    assert lead_row(timed_bot).status == "claimed"


def test_the_review_counts_each_lead_once_per_outcome() -> None:
    """Hand-computed: lead 1 booked a meeting then was won (its close also stopped the cadence:
    one win, its amount from the close); lead 2 lost twice over (a reopened record: once); lead
    3 closed "not a fit" before outcomes had their own field; lead 4 went quiet."""
    events = [
        ("U0ALICE", 1, "cadence_stopped", {"outcome": "meeting_booked"}),
        ("U0ALICE", 1, "cadence_stopped", {"outcome": "won"}),
        ("U0ALICE", 1, "closed", {"outcome": "won", "reason": None, "amount": "12500.50"}),
        ("U0BO", 2, "closed", {"outcome": "lost", "reason": "No budget"}),
        ("U0BO", 2, "closed", {"outcome": "lost", "reason": "No budget"}),
        ("U0BO", 3, "closed", {"reason": "not_a_fit"}),
        ("U0BO", 4, "cadence_stopped", {"outcome": "no_response"}),
        ("U0BO", 5, "closed", {"outcome": "won", "amount": "garbage"}),
        ("U0BO", 6, "cadence_stopped", {"outcome": "unheard-of"}),
    ]
    team = outcomes_of(events)
    assert team.counts == {
        "meeting_booked": 1, "won": 2, "lost": 1, "not_a_fit": 1, "no_response": 1,
    }  # fmt: skip
    assert team.won_amount == Decimal("12500.50")
    assert team.lost_reasons == (("No budget", 1),)
    assert outcomes_of(events, "U0ALICE").counts == {"meeting_booked": 1, "won": 1}
    text = outcomes_text(team.counts, team.won_amount, team.lost_reasons, "EUR")
    assert text == (
        "*Outcomes*: 🏆 2 won (EUR 12,500.50) · ❌ 1 lost (No budget 1) · 🚫 1 not a fit · "
        "📅 1 meeting booked · 🔕 1 no response after the last step"
    )


@given(typed=st.text(max_size=45) | st.sampled_from(AMOUNTS) | st.decimals().map(str))
def test_any_typed_amount_is_an_amount_leadbot_can_store_or_a_reason(typed: str) -> None:
    parsed = parse_amount(typed)
    if isinstance(parsed, str):
        assert parsed and len(parsed) <= 150  # a modal error's limit
    else:
        assert parsed.is_finite() and 0 <= parsed <= MAX_AMOUNT
        assert parsed == parsed.quantize(Decimal("0.01"))


def answer_to(bot: Harness, text: str, user_id: str) -> str:
    before = len(bot.fake.calls("response_url"))
    assert bot.command(text, user_id)[0] == 200
    return str(bot.fake.wait_for("response_url", count=before + 1)[-1].args["text"])


def test_won_and_lost_by_slash_command(timed_bot: Harness) -> None:
    claim_as_alice(timed_bot)
    assert answer_to(timed_bot, "won", "U0ALICE").startswith("usage: `/leads won <lead>")
    assert answer_to(timed_bot, "won 1 abc", "U0ALICE").startswith("'abc' is not a number.")
    assert answer_to(timed_bot, "lost 1 cheaper elsewhere", "U0ALICE") == (
        "Start the reason with one of: `No budget`, `Chose a competitor`, `No decision / went "
        "dark`, `Bad timing`, `Missing feature`, `Other`."
    )
    assert answer_to(timed_bot, "won #1 12500 annual plan", "U0BO") == (
        "Only the lead's owner (<@U0ALICE>) or a manager can close lead #1."
    )
    assert lead_row(timed_bot).status == "claimed"
    assert answer_to(timed_bot, "won #1 12500 annual plan", "U0ALICE") == (
        "🏆 Lead #1 is won: USD 12,500."
    )
    lead = lead_row(timed_bot)
    assert (lead.outcome, lead.outcome_amount, lead.outcome_note) == (
        "won", Decimal("12500"), "annual plan",
    )  # fmt: skip
    assert answer_to(timed_bot, "lost 1 no budget", "U0MAYA").startswith(
        "Lead #1 is already closed"
    )


def test_a_lost_reason_is_read_from_the_start_of_the_words() -> None:
    reasons = ["No budget", "No decision / went dark", "Other"]
    args = parse_lost(["42", "NO", "decision", "/", "went", "dark", "CFO", "left"], reasons)
    assert (args.lead_id, args.closing.reason, args.closing.note) == (
        42, "No decision / went dark", "CFO left",
    )  # fmt: skip
    assert parse_lost(["42", "other"], reasons).closing.note is None


@given(words=st.lists(st.text(max_size=12) | st.sampled_from(["1", "#2", "no", "budget", "1e9"])))
def test_any_words_are_an_outcome_or_a_precise_refusal(words: list[str]) -> None:
    for parse in (parse_won, lambda w: parse_lost(w, ["No budget", "Other"])):
        try:
            args = parse(words)
        except CommandError as err:
            assert str(err)
        else:
            assert args.lead_id >= 1
