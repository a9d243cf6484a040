"""`blocks.wire` writes exactly what slack_sdk's `to_dict()` writes, for every card leadbot
draws (generated: every status, copy, optional field and hostile text)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from blocks.card import Nudge, lead_card
from blocks.nudges import nudge_blocks
from blocks.wire import wire
from bot.vocabulary import EventKind
from tests.blocks.test_card import BASE, NOW

texts = st.text(max_size=300) | st.none()
moments = st.integers(-3 * 86400, 3 * 86400).map(lambda s: NOW + timedelta(seconds=s))
nudges = st.builds(
    Nudge,
    kind=st.sampled_from([EventKind.REMINDED, EventKind.MANAGER_NOTIFIED, EventKind.QUEUED]),
    at=moments,
    to=st.tuples(st.sampled_from(["U0ALICE", "U0BO", "C0QUEUE"])),
    tone=st.sampled_from(["gentle", "direct", None]),
)
cards = st.builds(
    replace,
    st.just(BASE),
    name=texts,
    company=texts,
    company_size=st.integers(1, 10**6) | st.none(),
    product=texts,
    message=texts,
    email=texts,
    phone=texts,
    crm_url=st.sampled_from([None, "https://crm.example.com/7"]),
    tier=st.sampled_from(["hot", "warm", "cold"]),
    status=st.sampled_from(["assigned", "queued", "claimed", "contacted", "closed"]),
    owner_id=st.sampled_from([None, "U0ALICE", "U0BO"]),
    claimed_by=st.sampled_from([None, "U0ALICE", "U0BO"]),
    claimed_at=moments | st.none(),
    sla_due_at=moments | st.none(),
    snoozed_until=moments | st.none(),
    snoozed_by=st.sampled_from([None, "U0ALICE"]),
    copy_kind=st.sampled_from(["dm", "channel", "queue"]),
    recipient=st.sampled_from([None, "U0ALICE", "U0BO"]),
    nudges=st.lists(nudges, max_size=4).map(tuple),
)


@given(cards)
def test_a_card_on_the_wire_is_what_to_dict_writes(card) -> None:
    blocks = lead_card(card, NOW)
    assert wire(blocks) == [block.to_dict() for block in blocks]


def test_objects_that_write_their_own_json_keep_it() -> None:
    """Option and ConfirmObject override to_dict; empty lists are left out as slack_sdk does."""
    blocks = [
        SectionBlock(
            text="pick",
            accessory=StaticSelectElement(
                action_id="a", options=[Option(value="1", text="One")], placeholder="p"
            ),
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Go",
                    action_id="b",
                    confirm=ConfirmObject(title="Sure?", text="Really", confirm="Yes", deny="No"),
                )
            ]
        ),
        ContextBlock(elements=[], block_id="empty"),
    ]
    assert wire(blocks) == [{**block.to_dict()} for block in blocks[:2]] + [
        {"block_id": "empty", "type": "context"}
    ]


@given(st.text(max_size=3000), st.booleans(), st.booleans())
def test_a_nudge_on_the_wire_is_what_to_dict_writes(text: str, claim: bool, snooze: bool) -> None:
    blocks = nudge_blocks(text or "x", 7, offer_claim=claim, offer_snooze=snooze)
    assert wire(blocks) == [block.to_dict() for block in blocks]
