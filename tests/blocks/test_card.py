"""The card builder is a pure function of state: buttons, words and escaping by state."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from slack_sdk.models.blocks import Block

from blocks import ids
from blocks.card import CardView, Nudge, fallback_text, lead_card, nudge_line
from blocks.mrkdwn import ZERO_WIDTH_SPACE

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
BASE = CardView(
    lead_id=7,
    name="Dana Whitfield",
    company="Northwind",
    company_size=1200,
    product="Analytics",
    source="website",
    message="Need a demo",
    email="dana@northwind.test",
    phone=None,
    crm_url="https://crm.example.com/7",
    tier="hot",
    status="assigned",
    owner_id="U0ALICE",
    claimed_by=None,
    routing_reason="round robin · Alice's turn",
    received_at=NOW - timedelta(minutes=3),
    claimed_at=None,
    sla_due_at=NOW + timedelta(minutes=2),
    snoozed_until=None,
    snoozed_by=None,
    copy_kind="dm",
    recipient="U0ALICE",
)


def render(card: CardView) -> list[dict]:
    blocks = [b.to_dict() for b in lead_card(card, NOW)]
    assert [b.to_dict() for b in Block.parse_all(blocks)] == blocks
    return blocks


def action_ids(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_open_lead_offers_claim_snooze_pass_and_crm_link() -> None:
    blocks = render(BASE)
    assert action_ids(blocks) == [
        ids.CLAIM,
        ids.LOG_CONTACT,
        ids.SNOOZE,
        ids.PASS,
        ids.OPEN_CRM,
        ids.LEAD_MENU,
    ]
    elements = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [o["value"] for o in elements[1]["options"]] == [
        "7:call",
        "7:email",
        "7:linkedin",
        "7:meeting",
        "7:not_a_fit",
    ]
    assert elements[4]["url"] == "https://crm.example.com/7"
    assert elements[5]["options"][0]["value"] == "reassign:7"


def test_card_shows_the_lead_and_the_sla() -> None:
    text = all_text(render(BASE))
    for expected in (
        "*Dana Whitfield* · Northwind",
        "1,200",
        "Analytics",
        "website",
        "Need a demo",
    ):
        assert expected in text
    assert "SLA: respond by <!date^" in text
    assert "(2m left)" in text
    assert "Waiting for <@U0ALICE> to claim" in text
    assert "Routing: round robin · Alice's turn" in text


def test_breached_sla_says_by_how_much() -> None:
    text = all_text(render(replace(BASE, sla_due_at=NOW - timedelta(minutes=12))))
    assert "SLA breached: overdue by 12m" in text


def test_no_crm_url_means_no_link_button() -> None:
    assert ids.OPEN_CRM not in action_ids(render(replace(BASE, crm_url=None)))


def test_claimed_card_says_who_and_after_how_long_and_offers_what_the_owner_does_next() -> None:
    claimed = replace(
        BASE,
        status="claimed",
        claimed_by="U0BO",
        owner_id="U0BO",
        claimed_at=BASE.received_at + timedelta(minutes=3, seconds=12),
        recipient="U0BO",
    )
    blocks = render(claimed)
    assert "✅ Claimed by <@U0BO> after 3m 12s" in all_text(blocks)
    assert "📞 No contact logged yet" in all_text(blocks)
    # Log contact, Snooze (pauses the follow-up), and ⋯ with Won… / Lost…
    assert action_ids(blocks) == [ids.LOG_CONTACT, ids.SNOOZE, ids.OPEN_CRM, ids.LEAD_MENU]
    # Alice's copy: Bo has it now, nothing for her to do there.
    assert action_ids(render(replace(claimed, recipient="U0ALICE"))) == [ids.OPEN_CRM]


def test_contacted_card_shows_the_first_contact_and_the_latest_outcome() -> None:
    contacted = replace(
        BASE,
        status="claimed",
        claimed_by="U0BO",
        owner_id="U0BO",
        claimed_at=BASE.received_at + timedelta(minutes=3),
        first_contact_at=BASE.received_at + timedelta(minutes=22),
        first_contact_by="U0BO",
        last_contact_outcome="call",
        contact_count=1,
    )
    assert "📞 First contact after 22m, <@U0BO> · 📞 Call" in all_text(render(contacted))
    again = replace(contacted, last_contact_outcome="meeting", contact_count=3)
    text = all_text(render(again))
    assert "📞 First contact after 22m, <@U0BO> · 3 logged, latest: 📅 Meeting booked" in text


def test_closed_card_says_why_and_has_no_buttons_but_the_crm_link() -> None:
    closed = replace(
        BASE,
        status="closed",
        claimed_by="U0BO",
        owner_id="U0BO",
        claimed_at=BASE.received_at + timedelta(minutes=3),
        first_contact_at=BASE.received_at + timedelta(minutes=3),
        first_contact_by="U0BO",
        last_contact_outcome="not_a_fit",
        contact_count=1,
    )
    blocks = render(closed)
    assert "Closed: 🚫 Not a fit" in all_text(blocks)
    assert action_ids(blocks) == [ids.OPEN_CRM]


def test_queued_card_has_no_pass_button() -> None:
    queued = replace(BASE, status="queued", owner_id=None, copy_kind="queue", recipient=None)
    blocks = render(queued)
    assert action_ids(blocks) == [
        ids.CLAIM,
        ids.LOG_CONTACT,
        ids.SNOOZE,
        ids.OPEN_CRM,
        ids.LEAD_MENU,
    ]
    assert "In the shared queue" in all_text(blocks)


def test_dm_copy_of_a_rep_who_passed_shows_the_new_owner_without_buttons() -> None:
    passed = replace(BASE, owner_id="U0BO", recipient="U0ALICE")
    blocks = render(passed)
    assert "Now with <@U0BO>" in all_text(blocks)
    assert action_ids(blocks) == [ids.OPEN_CRM]


def test_snoozed_card_says_until_when() -> None:
    snoozed = replace(BASE, snoozed_until=NOW + timedelta(hours=1), snoozed_by="U0ALICE")
    assert "Snoozed by <@U0ALICE> until <!date^" in all_text(render(snoozed))


def test_every_lead_supplied_string_is_escaped() -> None:
    hostile = "<!channel> <@U123> <https://x|y> & co"
    card = replace(
        BASE,
        name=hostile,
        company=hostile,
        product=hostile,
        source=hostile,
        message=hostile,
        email=hostile,
        phone=hostile,
        routing_reason=hostile,
    )
    text = all_text(render(card)) + fallback_text(card)
    assert "<!channel>" not in text
    assert "<@U123>" not in text
    assert "<https://x|y>" not in text
    assert "&lt;!channel&gt; &lt;@U123&gt; &lt;https://x|y&gt; &amp; co" in text


def test_huge_strings_stay_inside_block_kit_limits() -> None:
    card = replace(BASE, name="N" * 5000, message="<" * 5000, company="&" * 5000)
    blocks = render(card)
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000


def test_fallback_text_names_lead_and_tier() -> None:
    assert fallback_text(BASE) == "🔥 Hot lead #7: Dana Whitfield (Northwind)"


def test_card_says_who_was_nudged_and_when() -> None:
    nudges = (
        Nudge("reminded", NOW - timedelta(hours=2), ("U0ALICE",), "gentle"),
        Nudge(
            "reminded", NOW - timedelta(hours=1), ("U0ALICE",), "direct", NOW + timedelta(hours=9)
        ),
        Nudge("manager_notified", NOW, ("U0MAYA",)),
        Nudge("queued", NOW),
    )
    text = all_text(render(replace(BASE, nudges=nudges)))
    assert "🔔 reminded <@U0ALICE> <!date^1795438800^{time}|2026-11-23 13:00 UTC> (gentle)" in text
    assert "reminder for <@U0ALICE> (direct) held for quiet hours until <!date^" in text
    assert "manager <@U0MAYA> told <!date^1795446000^{time}|2026-11-23 15:00 UTC>" in text
    assert "moved to the queue" in text


def test_only_the_latest_nudges_are_listed() -> None:
    nudges = tuple(Nudge("queue_reminded", NOW - timedelta(hours=h)) for h in range(10, 0, -1))
    line = nudge_line(nudges)
    assert line.startswith("🔔 …4 earlier · queue reminded")
    assert line.count("queue reminded") == 6


def test_a_lead_that_writes_markup_or_reverses_text_changes_nothing_on_the_card() -> None:
    card = replace(
        BASE,
        name="*VIP* Dana_x",
        company="~Acme~ `Ltd`",
        message="*buy* now\u202eevil",
        product="\u202eProd",
    )
    blocks = render(card)
    headline = blocks[1]["text"]["text"]
    fence = ZERO_WIDTH_SPACE + "*" + ZERO_WIDTH_SPACE  # the lead's own stars, fenced
    assert headline.startswith("*") and headline.replace(fence, "").count("*") == 2
    text = all_text(blocks) + fallback_text(card)
    assert "\u202e" not in text
    for marked in ("*VIP*", "Dana_x", "~Acme~", "`Ltd`", "*buy*"):
        assert marked not in text  # each marker is fenced by zero-width spaces
