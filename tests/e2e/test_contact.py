"""Log contact from the card: the speed-to-lead clock, the outcome on the card, who may log."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from blocks import ids
from bot.clock import FixedClock, as_utc
from bot.fakeslack.server import RecordedCall
from storage.models import Lead, LeadEvent, OutboxMessage
from tests.conftest import CLOCK_START
from tests.fakes.harness import Harness

T0 = CLOCK_START  # where the shared `clock` starts
LEAD = {"external_id": "c-1", "source": "website", "name": "Dana", "company": "Northwind"}


def log_from_card(bot: Harness, card: RecordedCall, user_id: str, outcome: str) -> None:
    status, _ = bot.click(ids.LOG_CONTACT, 1, user_id, card, selected=f"1:{outcome}")
    assert status == 200


def card_shows(bot: Harness, card: RecordedCall, expected: str) -> str:
    """Wait for a redraw of `card` that shows `expected`; the redrawn blocks as JSON."""

    def shows(call: RecordedCall) -> bool:
        return call.args["ts"] == card.response["ts"] and expected in _text(call)

    return _text(bot.fake.wait_for("chat.update", where=shows)[0])


def _text(call: RecordedCall) -> str:
    return json.dumps(call.args["blocks"], ensure_ascii=False)


def stored(bot: Harness) -> Lead:
    with bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        assert lead is not None
        return lead


def test_first_contact_on_an_unclaimed_lead_claims_it_and_stops_the_clock(
    timed_bot: Harness, clock: FixedClock
) -> None:
    timed_bot.post_lead(LEAD)
    card = timed_bot.dm_card("U0ALICE", 1)
    clock.advance(timedelta(minutes=22))
    log_from_card(timed_bot, card, "U0ALICE", "call")
    shown = card_shows(timed_bot, card, "📞 First contact after 22m, <@U0ALICE> · 📞 Call")
    assert "✅ Claimed by <@U0ALICE> after 22m" in shown
    lead = stored(timed_bot)
    assert (lead.status, lead.claimed_by, lead.first_contact_by) == (
        "claimed",
        "U0ALICE",
        "U0ALICE",
    )
    assert as_utc(lead.first_contact_at) == T0 + timedelta(minutes=22)  # type: ignore[arg-type]
    assert lead.first_contact_wait_seconds == lead.claim_wait_seconds == 22 * 60
    assert lead.next_action_at is None  # no more nudges
    with timed_bot.app.services.db.read() as session:
        kinds = session.scalars(select(LeadEvent.kind).order_by(LeadEvent.id)).all()
        pending = session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.kind == "message", OutboxMessage.status == "pending"
            )
        ).all()
    # The claim starts the default cadence (its Day 1 task is planned, not yet sent).
    assert kinds[-3:] == ["claimed", "cadence_started", "contacted"] and pending == []


def test_later_contacts_keep_the_first_time_and_show_the_latest_outcome(
    timed_bot: Harness, clock: FixedClock
) -> None:
    timed_bot.post_lead(LEAD)
    card = timed_bot.dm_card("U0ALICE", 1)
    clock.advance(timedelta(minutes=3))
    timed_bot.click(ids.CLAIM, 1, "U0ALICE", card)
    card_shows(timed_bot, card, "No contact logged yet")
    clock.advance(timedelta(minutes=40))
    log_from_card(timed_bot, card, "U0ALICE", "email")
    # The menu lists every outcome ("✉️ Email" included): wait for the logged contact itself.
    card_shows(timed_bot, card, "First contact after 43m, <@U0ALICE> · ✉️ Email")
    clock.advance(timedelta(hours=2))
    log_from_card(timed_bot, card, "U0ALICE", "meeting")
    card_shows(
        timed_bot, card, "First contact after 43m, <@U0ALICE> · 2 logged, latest: 📅 Meeting"
    )
    lead = stored(timed_bot)
    assert (lead.claim_wait_seconds, lead.first_contact_wait_seconds) == (180, 43 * 60)
    assert (lead.contact_count, lead.last_contact_outcome) == (2, "meeting")


def test_not_a_fit_closes_the_lead_and_nothing_more_can_be_logged(timed_bot: Harness) -> None:
    timed_bot.post_lead(LEAD)
    card = timed_bot.dm_card("U0ALICE", 1)
    log_from_card(timed_bot, card, "U0ALICE", "not_a_fit")
    shown = card_shows(timed_bot, card, "Closed: 🚫 Not a fit")
    assert ids.LOG_CONTACT not in shown
    assert stored(timed_bot).status == "closed" and stored(timed_bot).closed_at is not None
    log_from_card(timed_bot, card, "U0ALICE", "call")
    told = timed_bot.fake.wait_for("chat.postEphemeral")[0].args
    assert told["text"] == "Lead #1 is closed (🚫 Not a fit): nothing more to log."
    assert stored(timed_bot).contact_count == 1


def test_only_the_owner_or_a_manager_may_log(timed_bot: Harness) -> None:
    timed_bot.post_lead(LEAD)
    card = timed_bot.dm_card("U0ALICE", 1)
    log_from_card(timed_bot, card, "U0BO", "call")
    told = timed_bot.fake.wait_for("chat.postEphemeral")[0].args
    assert (told["user"], told["text"]) == (
        "U0BO",
        "Only the lead's owner (<@U0ALICE>) or a manager can log a contact for lead #1.",
    )
    assert stored(timed_bot).contact_count == 0
    log_from_card(timed_bot, card, "U0MAYA", "linkedin")  # the manager, e.g. reached them herself
    card_shows(timed_bot, card, "<@U0MAYA> · 💼 LinkedIn")
    lead = stored(timed_bot)
    assert (lead.claimed_by, lead.first_contact_by, lead.last_contact_outcome) == (
        "U0MAYA",
        "U0MAYA",
        "linkedin",
    )


def test_an_outcome_leadbot_never_offered_is_refused_precisely(timed_bot: Harness) -> None:
    timed_bot.post_lead(LEAD)
    card = timed_bot.dm_card("U0ALICE", 1)
    log_from_card(timed_bot, card, "U0ALICE", "carrier-pigeon")
    told = timed_bot.fake.wait_for("chat.postEphemeral")[0].args["text"]
    assert told.startswith("'carrier-pigeon' is not a contact outcome (known: call, email,")
    assert stored(timed_bot).status == "assigned"
