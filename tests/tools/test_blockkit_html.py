"""The README's pictures (`make pictures`): Block Kit drawn as Slack-like HTML from the blocks
leadbot really sends (bot/tools/blockkit_*.py), screenshotted in headless Chromium
(bot/tools/pictures.py), and shown in the README.

The screenshot test honours LEADBOT_TEST_BROWSER like tests/http/test_dashboard_browser.py:
auto (skip when Chromium, chromedriver or selenium is missing), required (fail instead), off.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from blocks.card import CardView, lead_card
from blocks.modals import reassign_modal, snooze_modal
from blocks.new_lead_modal import new_lead_modal
from blocks.outcome import lost_modal, won_modal
from blocks.task_modals import reschedule_modal, skip_modal
from bot.tools import pictures, screenshot
from bot.tools.blockkit_html import UNSUPPORTED, blocks_html
from bot.tools.blockkit_mrkdwn import Reader, mrkdwn_html
from bot.tools.blockkit_page import Message, conversation_page

ROOT = Path(__file__).resolve().parents[2]
BROWSER_MODE = os.environ.get("LEADBOT_TEST_BROWSER", "auto")  # auto | required | off
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script> & co"
CARD = CardView(
    lead_id=7, name=HOSTILE, company="Contoso & Sons", company_size=45, product="Starter",
    source="webinar", message="Pricing? <https://evil.test|click here> *now*", email=None,
    phone=None, crm_url="https://crm.example.com/7", tier="hot", status="assigned",
    owner_id="U0ALICE", claimed_by=None, routing_reason="round robin", received_at=NOW,
    claimed_at=None, sla_due_at=NOW + timedelta(hours=1), snoozed_until=None, snoozed_by=None,
    copy_kind="dm", recipient="U0ALICE",
)  # fmt: skip
NOT_DRAWN = f'class="{UNSUPPORTED}"'  # what a block or element it cannot draw becomes
ALICE = Reader(names={"U0ALICE": "Alice"}, tz=ZoneInfo("Europe/Berlin"), now=NOW)


@pytest.fixture(scope="module")
def recording() -> pictures.Recording:
    """The demo's story on its pinned clock, and two App Homes opened after it."""
    return pictures.record()


def _drawn(blocks: list[Any]) -> str:
    return blocks_html(blocks, ALICE)


def test_a_lead_supplied_name_and_message_are_shown_as_text() -> None:
    page = conversation_page([Message(lead_card(CARD, NOW), time="4:00 PM")], ALICE, where="x")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "Contoso &amp; Sons" in page
    # The lead's own link and stars are text: no anchor to evil.test, no bold "now".
    assert "evil.test" in page and 'href="https://evil.test"' not in page
    assert "*now*" in page and "<b>now</b>" not in page
    assert '<span class="mention">@Alice</span>' in page
    assert '<span class="button primary">Claim</span>' in page


def test_mrkdwn_is_drawn_like_slack() -> None:
    text = (
        "*bold* _it_ ~gone~ `x < y` <@U0ALICE> <#C0LEADS|leads> <!here> "
        '<https://crm.test/?a=1&amp;b=2|the "CRM">\n>quoted *line*\n```\na  *b*\n```\ntail'
    )
    html = mrkdwn_html(text, Reader(names={"U0ALICE": "Alice"}))
    for part in ("<b>bold</b>", "<i>it</i>", "<s>gone</s>", "<code>x &lt; y</code>",
                 '<span class="mention">@Alice</span>', '<span class="mention">#leads</span>',
                 '<span class="mention broadcast">@here</span>',
                 '<a class="link" href="https://crm.test/?a=1&amp;b=2">the &quot;CRM&quot;</a>',
                 '<div class="quote">quoted <b>line</b></div>', '<pre class="pre">a  *b*</pre>',
                 '<div class="p">tail</div>'):  # fmt: skip
        assert part in html
    assert "href" not in mrkdwn_html("<javascript:alert(1)|x>", Reader())


def test_dates_show_their_fallback_unless_the_reader_is_known() -> None:
    stamp = int((NOW - timedelta(minutes=3)).timestamp())
    text = f"Arrived <!date^{stamp}^{{ago}}|2026-11-23 14:57 UTC> · due <!date^x^{{time}}|soon>"
    assert (
        mrkdwn_html(text, Reader())
        == '<div class="p">Arrived 2026-11-23 14:57 UTC · due soon</div>'
    )
    assert "Arrived 3 minutes ago · due soon" in mrkdwn_html(text, ALICE)


def test_a_leads_own_formatting_marks_do_not_format() -> None:
    card = replace(CARD, name="*VIP* _Dana_", company="`x`")
    html = _drawn(lead_card(card, NOW))
    assert "<b>*VIP* _Dana_</b>" in html  # the card's bold, around the lead's literal stars
    assert "<i>" not in html and "<code>" not in html


def test_a_block_or_element_it_cannot_draw_says_so() -> None:
    assert NOT_DRAWN in _drawn([{"type": "rich_text", "elements": []}])
    assert NOT_DRAWN in _drawn([{"type": "actions", "elements": [{"type": "workflow_button"}]}])


def test_every_modal_leadbot_opens_is_drawn() -> None:
    views = [
        snooze_modal(7, HOSTILE, ["1h", "tomorrow"], reasons=["Waiting for a reply"]),
        reassign_modal(7, HOSTILE),
        new_lead_modal("C0LEADS", ["hot", "warm", "cold"]),
        won_modal(7, HOSTILE, "EUR"),
        lost_modal(7, HOSTILE, ["Price", "Timing"]),
        skip_modal(3, "📞 Call"),
        reschedule_modal(3, "📞 Call", date(2026, 11, 24)),
    ]
    for view in views:
        html = _drawn(view.to_dict()["blocks"])
        assert NOT_DRAWN not in html and "<script>" not in html
    assert '<div class="input-block">' in _drawn(views[0].to_dict()["blocks"])


def _recorded_blocks(recording: pictures.Recording) -> list[list[dict[str, Any]]]:
    """The blocks of every message, answer and view the demo's fake Slack was sent."""
    out = []
    for call in recording.fake.calls():
        view = call.args.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        blocks = call.args.get("blocks") or (view or {}).get("blocks")
        if blocks:
            out.append(json.loads(blocks) if isinstance(blocks, str) else blocks)
    return out


def test_every_block_the_demo_sends_is_drawn(recording: pictures.Recording) -> None:
    sent = _recorded_blocks(recording)
    kinds = {block["type"] for blocks in sent for block in blocks}
    elements = {
        el["type"]
        for blocks in sent
        for block in blocks
        for el in [*block.get("elements", []), *filter(None, [block.get("accessory")])]
    }
    assert {"header", "section", "context", "divider", "actions"} <= kinds
    assert {"button", "static_select", "overflow", "mrkdwn"} <= elements
    for blocks in sent:
        assert NOT_DRAWN not in _drawn(blocks), blocks


def test_the_pictures_pages_show_the_demo(recording: pictures.Recording) -> None:
    pages = pictures.pages(recording)
    assert list(pages) == list(pictures.PICTURES)
    for name, page in pages.items():
        assert page.startswith("<!DOCTYPE html>") and NOT_DRAWN not in page, name
        assert "<script" not in page.replace("&lt;script", ""), name
    card = pages["lead-card.png"]
    assert "Dana Whitfield" in card and '<span class="button primary">Claim</span>' in card
    assert "Arrived 3 minutes ago" in card and '<span class="time">10:00 AM</span>' in card
    assert "✅ Claimed by" in pages["lead-card-claimed.png"]
    assert pages["nudges.png"].count('<div class="avatar">L</div>') == 3  # the bar's, and two
    assert "Only visible to you" in pages["stats.png"] and "Speed to lead" in pages["stats.png"]
    assert "Shared queue" in pages["app-home-manager.png"]
    assert "Follow-ups today" in pages["app-home-rep.png"]


def _browser_unavailable() -> str | None:
    if BROWSER_MODE == "off":
        return "LEADBOT_TEST_BROWSER=off"
    return screenshot.unavailable()


@pytest.mark.browser
def test_make_pictures_draws_every_picture(tmp_path: Path) -> None:
    reason = _browser_unavailable()
    if reason:
        if BROWSER_MODE == "required":
            pytest.fail(f"LEADBOT_TEST_BROWSER=required but {reason}")
        pytest.skip(f"browser test skipped: {reason}")
    said: list[str] = []
    assert pictures.main([str(tmp_path)], out=said.append) == 0
    assert len(said) == len(pictures.PICTURES)
    for name in pictures.PICTURES:
        path = tmp_path / name
        assert 2_000 < path.stat().st_size < 150_000, name
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width == pictures.WIDTH, name
            assert image.height > 100
            low, high = image.convert("L").getextrema()
            assert high - low > 100, name  # drawn, not a blank page


def test_the_readme_shows_every_picture_and_each_one_it_shows_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"docs/images/([\w.-]+\.png)", readme))
    assert set(pictures.PICTURES) <= shown
    for name in shown:
        assert (ROOT / "docs" / "images" / name).is_file(), name
