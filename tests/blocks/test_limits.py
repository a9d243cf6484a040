"""Every builder stays inside Slack's Block Kit limits for any lead data, measured on what is
sent (after escaping and quoting): long, many-line, markup, emoji, combining and right-to-left
text. The limits are the fake Slack's (`bot/fakeslack/limits.py`, from shared/slack/LIMITS.md).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from blocks.card import CardView, Nudge, fallback_text, lead_card
from blocks.home import HomeContent, home_view
from blocks.lists import ROWS_PER_MESSAGE, ListPage, list_blocks
from blocks.modals import reassign_modal, snooze_modal
from blocks.nudges import message_blocks
from blocks.summary import MAX_LEADS
from bot.fakeslack.checks import MESSAGE_BLOCK_LIMIT, VIEW_BLOCK_LIMIT, check_blocks
from bot.review.report import summarize
from bot.vocabulary import CopyKind, EventKind, LeadStatus

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FALLBACK_LIMIT = 4000
# Characters that change length when escaped or quoted, that Slack gives meaning to, or that a
# naive cut would break: markup, newlines, emoji with joiners and skin tones, combining marks,
# right-to-left text and overrides.
TRICKY = "&<>*_~`>|\n\r\t \u200d\u0301\u202e\u05d0\u0627👩🏽‍💻🇩🇪"
text = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(TRICKY))
lines = st.lists(st.text(alphabet=st.sampled_from("x&<\u0301👍"), max_size=4), max_size=1500)
messages = st.one_of(
    st.none(), text.map(lambda s: s[:10_000]), lines.map("\n".join), st.just("x\n" * 1100)
)
users = st.one_of(st.none(), st.from_regex(r"U[A-Z0-9]{2,12}", fullmatch=True), text)
moments = st.integers(-(10**6), 10**6).map(lambda s: NOW + timedelta(seconds=s))


def long(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(TRICKY), max_size=size)


nudges = st.builds(
    Nudge,
    kind=st.sampled_from(list(EventKind)),
    at=moments,
    to=st.lists(users.filter(bool), max_size=30).map(tuple),
    tone=st.one_of(st.none(), long(40)),
    held_until=st.one_of(st.none(), moments),
)
cards = st.builds(
    CardView,
    lead_id=st.integers(1, 10**12),
    name=st.one_of(st.none(), long(400)),
    company=st.one_of(st.none(), long(400)),
    company_size=st.one_of(st.none(), st.integers(0, 10**7)),
    product=st.one_of(st.none(), long(400)),
    source=long(128).filter(bool),
    message=messages,
    email=st.one_of(st.none(), long(640)),
    phone=st.one_of(st.none(), long(128)),
    crm_url=st.one_of(st.none(), st.just("https://crm.example.com/" + "a" * 1970)),
    tier=long(40).filter(bool),
    status=st.sampled_from(list(LeadStatus)),
    owner_id=users,
    claimed_by=users,
    routing_reason=long(1000),
    received_at=moments,
    claimed_at=st.one_of(st.none(), moments),
    sla_due_at=st.one_of(st.none(), moments),
    snoozed_until=st.one_of(st.none(), moments),
    snoozed_by=users,
    first_contact_at=st.one_of(st.none(), moments),
    first_contact_by=users,
    last_contact_outcome=st.one_of(st.none(), long(40)),
    contact_count=st.integers(0, 10**6),
    copy_kind=st.sampled_from(list(CopyKind)),
    recipient=users,
    nudges=st.lists(nudges, max_size=40).map(tuple),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def problems(blocks: list[Any], limit: int = MESSAGE_BLOCK_LIMIT) -> list[str]:
    sent = [b.to_dict() if isinstance(b, Block) else b for b in blocks]
    return check_blocks(sent, limit, "message")


@SETTINGS
@given(card=cards)
def test_a_card_fits_for_any_lead(card: CardView) -> None:
    assert problems(lead_card(card, NOW)) == []
    assert 0 < len(fallback_text(card)) <= FALLBACK_LIMIT


@SETTINGS
@given(rows=st.lists(cards, min_size=1, max_size=ROWS_PER_MESSAGE), more=st.integers(0, 10**6))
def test_a_list_page_fits_for_any_leads(rows: list[CardView], more: int) -> None:
    page = ListPage("mine", 1, ROWS_PER_MESSAGE, len(rows) + more)
    assert problems(list_blocks("Your leads", "empty", rows, page, NOW)) == []


@SETTINGS
@given(mine=st.lists(cards, max_size=10), queue=st.lists(cards, max_size=5))
def test_the_app_home_fits_for_any_leads(mine: list[CardView], queue: list[CardView]) -> None:
    content = HomeContent(NOW, mine, len(mine) + 3, summarize([]), None, queue, len(queue))
    view = home_view(content).to_dict()
    assert check_blocks(view["blocks"], VIEW_BLOCK_LIMIT, "view") == []


@SETTINGS
@given(words=long(6000), lead_id=st.one_of(st.none(), st.integers(1, 10**12)), card=cards)
def test_nudges_and_modals_fit_for_any_words(
    words: str, lead_id: int | None, card: CardView
) -> None:
    for payload in (
        {"text": words, "buttons": ["claim", "snooze"]},
        {"text": words, "lines": [words, words[:100]] * 30},
    ):
        assert problems(message_blocks(payload, lead_id)) == []
    for view in (
        snooze_modal(card.lead_id, card.name, ["15m", "1h", "tomorrow"]),
        reassign_modal(card.lead_id, card.name),
    ):
        assert check_blocks(view.to_dict()["blocks"], VIEW_BLOCK_LIMIT, "view") == []


def test_a_message_of_many_short_lines_fits() -> None:
    """Found in the wild: 1,100 short lines were cut at 2,900 characters and then quoted line by
    line, which pushed the section over 3,000: the card was never delivered."""
    card = replace(_plain_card(), message="x\n" * 1100)
    assert problems(lead_card(card, NOW)) == []


def _plain_card() -> CardView:
    return CardView(
        lead_id=1,
        name="Dana",
        company=None,
        company_size=None,
        product=None,
        source="website",
        message=None,
        email=None,
        phone=None,
        crm_url=None,
        tier="warm",
        status=LeadStatus.ASSIGNED,
        owner_id="U0ALICE",
        claimed_by=None,
        routing_reason="",
        received_at=NOW,
        claimed_at=None,
        sla_due_at=None,
        snoozed_until=None,
        snoozed_by=None,
    )


PERMALINK = re.compile(r"https://acme\.slack\.com/archives/D[A-Z0-9]{8}/p[0-9]{16}")
summary_items = st.fixed_dictionaries(
    {
        "lead_id": st.integers(1, 10**12),
        "name": st.one_of(st.none(), long(400)),
        "company": st.one_of(st.none(), long(400)),
        "tier": long(32),
        "owner": st.one_of(st.none(), st.from_regex(r"U[A-Z0-9]{2,12}", fullmatch=True)),
        # A link to the DM card: leadbot builds it from Slack's ids, but a stored payload is
        # input too: anything else must never reach the text.
        "card": st.one_of(
            st.none(),
            long(200),
            st.from_regex(PERMALINK, fullmatch=True),
        ),
    }
)


@SETTINGS
@given(items=st.lists(summary_items, min_size=1, max_size=60))
def test_a_burst_summary_fits_for_any_leads(items: list[dict[str, Any]]) -> None:
    blocks = message_blocks({"text": "📥 *60 new leads*", "summary": items}, None)
    assert problems(blocks) == []
    queue_leads = [i for i in items[:MAX_LEADS] if not i["owner"]]
    claims = [b["accessory"]["value"] for b in blocks if "accessory" in b]
    assert claims == [str(i["lead_id"]) for i in queue_leads]  # a Claim button for queue leads
    lines = [b["text"]["text"] for b in blocks[1:]]
    for item, line in zip(items, lines, strict=False):
        card, link = item["card"], re.search(r"<([^<>|]*)\|open card>", line)
        if link:  # only a plain https address, for the owner's card
            assert item["owner"] and link.group(1) == card
            assert re.fullmatch(r"https://[A-Za-z0-9./-]+", card)
        if item["owner"] and card and PERMALINK.fullmatch(card):
            assert link
        assert line.count("<") == line.count(">") == (1 if item["owner"] else 0) + bool(link)
