"""The snooze modal through real Bolt dispatch with signed requests."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from blocks import ids
from bot.vocabulary import EventKind
from handlers.payloads import BadPayload
from handlers.snooze_modal import given_reason
from storage.models import Lead, LeadEvent
from tests.fakes.harness import Harness

LEAD = {"external_id": "s-1", "source": "website", "name": "Dana", "company": "Northwind"}


def snooze_values(choice: str) -> dict:
    return {
        ids.SNOOZE_CHOICE_BLOCK: {
            ids.SNOOZE_CHOICE: {
                "type": "radio_buttons",
                "selected_option": {
                    "value": choice,
                    "text": {"type": "plain_text", "text": choice},
                },
            }
        }
    }


def test_snooze_opens_a_modal_and_the_choice_updates_the_card(bot: Harness) -> None:
    bot.post_lead(LEAD)
    card = bot.dm_card("U0ALICE", 1)
    bot.click(ids.SNOOZE, 1, "U0ALICE", card)
    modal = bot.fake.wait_for("views.open")[0].args["view"]
    assert (modal["callback_id"], modal["private_metadata"]) == (ids.SNOOZE_MODAL, "1")
    choices = modal["blocks"][1]["element"]["options"]
    assert [c["value"] for c in choices] == ["15m", "1h", "4h", "tomorrow"]
    before = datetime.now(UTC)
    status, body = bot.submit_view(ids.SNOOZE_MODAL, "1", snooze_values("1h"), "U0ALICE")
    assert (status, body) == (200, "")
    update = bot.fake.wait_for("chat.update", where=lambda c: c.args["ts"] == card.response["ts"])
    assert "Snoozed by <@U0ALICE> until" in json.dumps(update[0].args["blocks"])
    with bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        assert lead is not None and lead.snoozed_by == "U0ALICE" and lead.status == "assigned"
        until = lead.snoozed_until.replace(tzinfo=UTC)  # type: ignore[union-attr]
    assert before + timedelta(hours=1) <= until <= datetime.now(UTC) + timedelta(hours=1)


def test_snooze_by_someone_else_keeps_the_modal_open_with_the_reason(bot: Harness) -> None:
    bot.post_lead(LEAD)
    status, body = bot.submit_view(ids.SNOOZE_MODAL, "1", snooze_values("15m"), "U0BO")
    assert status == 200
    assert json.loads(body) == {
        "response_action": "errors",
        "errors": {
            ids.SNOOZE_CHOICE_BLOCK: "Only the lead's owner (<@U0ALICE>) or a manager can "
            "snooze lead #1."
        },
    }
    with bot.app.services.db.read() as session:
        assert session.scalars(select(Lead.snoozed_until)).one() is None


def with_reason(choice: str, reason: str) -> dict:
    values = snooze_values(choice)
    values[ids.SNOOZE_REASON_BLOCK] = {
        ids.SNOOZE_REASON: {
            "type": "radio_buttons",
            "selected_option": {"value": reason, "text": {"type": "plain_text", "text": reason}},
        }
    }
    return values


def test_the_modal_asks_why_and_the_event_keeps_the_reason(bot: Harness) -> None:
    bot.post_lead(LEAD)
    card = bot.dm_card("U0ALICE", 1)
    bot.click(ids.SNOOZE, 1, "U0ALICE", card)
    modal = bot.fake.wait_for("views.open")[0].args["view"]
    why = modal["blocks"][2]
    assert (why["block_id"], why["label"]["text"]) == (ids.SNOOZE_REASON_BLOCK, "Why")
    assert [o["value"] for o in why["element"]["options"]] == [
        "In a meeting", "Waiting on info", "Prospect asked for later", "Other"]  # fmt: skip
    status, body = bot.submit_view(ids.SNOOZE_MODAL, "1", with_reason("1h", "Made up"), "U0ALICE")
    refused = {ids.SNOOZE_REASON_BLOCK: "Pick one of the reasons."}
    assert json.loads(body) == {"response_action": "errors", "errors": refused}
    status, body = bot.submit_view(
        ids.SNOOZE_MODAL, "1", with_reason("1h", "Waiting on info"), "U0ALICE"
    )
    assert (status, body) == (200, "")
    with bot.app.services.db.read() as session:
        details = session.scalars(
            select(LeadEvent.detail).where(LeadEvent.kind == EventKind.SNOOZED)
        ).all()
    assert [d["reason"] for d in details] == ["Waiting on info"]


@given(state=st.recursive(st.none() | st.text(max_size=20) | st.integers(),
                          lambda inner: st.dictionaries(st.text(max_size=20), inner, max_size=4)
                          | st.lists(inner, max_size=3), max_leaves=12))  # fmt: skip
def test_any_reason_state_is_a_reason_none_or_a_refusal(state: object) -> None:
    """Generated snooze-modal states: one of the reasons, no reason, or BadPayload: never
    another error (the handler turns BadPayload into a message on the reason's block)."""
    reasons = ["In a meeting", "Other"]
    for view in ({"state": {"values": {ids.SNOOZE_REASON_BLOCK: {ids.SNOOZE_REASON: state}}}},
                 {"state": state}):  # fmt: skip
        with contextlib.suppress(BadPayload):
            assert given_reason(view, reasons) in (None, *reasons)
