"""A lead's history as the event log holds it: the lead's facts and every event, in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.clock import FixedClock
from bot.leads.closing import Closing, LeadClosing
from bot.leads.history import lead_history
from bot.leads.input import parse_lead
from bot.leads.service import LeadService
from bot.services import Deps
from bot.vocabulary import EventKind, LeadOutcome
from storage.db import Database
from tests.conftest import make_config

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_the_history_is_the_lead_and_its_events_in_order(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    clock = FixedClock(START)
    deps = Deps.create(db, make_config(), clock)
    try:
        leads = LeadService(deps)
        got = leads.receive(parse_lead({"name": "Dana", "tier": "hot"}, ["hot", "warm", "cold"]))
        clock.advance(timedelta(minutes=3))
        assert leads.claim(got.lead_id, str(got.owner_id)).ok
        clock.advance(timedelta(hours=1))
        closing = Closing(LeadOutcome.WON, amount=Decimal("12500"))
        assert LeadClosing(deps).close(got.lead_id, str(got.owner_id), closing).ok
        history = lead_history(db, got.lead_id)
        assert lead_history(db, got.lead_id + 1000) is None
    finally:
        db.dispose()
    assert history is not None
    kinds = [event.kind for event in history.events]
    assert kinds[:3] == [EventKind.RECEIVED, EventKind.ASSIGNED, EventKind.CLAIMED]
    assert EventKind.CLOSED in kinds
    assert [event.at for event in history.events] == sorted(e.at for e in history.events)
    lead = history.lead
    assert (lead.name, lead.tier, lead.status, lead.outcome) == ("Dana", "hot", "closed", "won")
    assert lead.received_at == START and lead.received_at.tzinfo is not None
    assert lead.claimed_at == START + timedelta(minutes=3)
    assert lead.outcome_amount == Decimal("12500")
