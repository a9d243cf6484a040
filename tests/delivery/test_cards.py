"""The card composer and a CRM write-back that failed: the card says why while the failure is
about the lead's owner, escaped; a later success, or the lead moving on, takes it off."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from blocks.card import Nudge, lead_card
from bot.delivery.cards import card_view
from bot.vocabulary import EventKind
from storage.models import Lead

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def lead(owner: str | None = "U0BO") -> Lead:
    return Lead(id=5, source="hub", name="Ada", tier="warm", status="assigned", owner_id=owner,
                routing_reason="round robin", received_at=NOW - timedelta(minutes=2),
                contact_count=0, fields={})  # fmt: skip


def failed(owner: str, error: str) -> Nudge:
    return Nudge(kind=EventKind.CRM_OWNER_FAILED, at=NOW, to=(owner,),
                 note=f"Owner not written to HubSpot: {error}")  # fmt: skip


def drawn(view_lead: Lead, *nudges: Nudge) -> str:
    view = card_view(view_lead, nudges=nudges)
    return json.dumps([b.to_dict() for b in lead_card(view, NOW)], ensure_ascii=False)


def test_a_failed_write_back_about_the_owner_is_on_the_card_escaped() -> None:
    text = drawn(lead(), failed("U0BO", "HubSpot said <!channel> & more"))
    assert "⚠️ Owner not written to HubSpot: HubSpot said &lt;!channel&gt; &amp; more" in text
    assert "🔔" not in text  # not a nudge


def test_a_failure_about_an_earlier_owner_is_history() -> None:
    assert "Owner not written" not in drawn(lead("U0CHEN"), failed("U0BO", "no email"))
    assert "Owner not written" not in drawn(lead(None), failed("U0BO", "no email"))


def test_only_the_latest_failure_is_shown() -> None:
    text = drawn(lead(), failed("U0BO", "first"), failed("U0BO", "second"))
    assert "HubSpot: second" in text and "HubSpot: first" not in text
