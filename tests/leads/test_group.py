"""Grouped intake on SQLite (bot/leads/group.py): leads arriving together share a transaction,
each in its own savepoint; a bad lead affects only itself; duplicates and fairness hold as they
do one lead at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.leads.group import GROUP, GroupedIntake
from bot.leads.input import LeadIn, parse_lead
from bot.leads.service import LeadService, Received
from bot.services import Deps
from storage.db import Database
from storage.models import Lead, LeadEvent, OutboxMessage
from tests.conftest import make_config
from tests.fakes.concurrency import all_at_once

TIERS = ["hot", "warm", "cold"]


class BadLeadFails(LeadService):
    """Fails after a lead named "Bad" has been written: only its savepoint must roll back."""

    def receive_in(  # type: ignore[no-untyped-def]
        self, session, data: LeadIn, actor: str, *, pointer_apart: bool = True
    ) -> Received:
        result = super().receive_in(session, data, actor, pointer_apart=pointer_apart)
        if data.name == "Bad":
            raise ValueError("a bug met by this lead alone")
        return result


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    database.upgrade()
    yield database
    database.dispose()


def _intake(db: Database, clock: FixedClock, service: type[LeadService] = LeadService):
    woken: list[int] = []
    deps = Deps.create(db, make_config(), clock, wake=lambda: woken.append(1))
    return GroupedIntake(service(deps)), woken


def test_many_at_once_are_all_stored_and_shared_fairly(db: Database, clock: FixedClock) -> None:
    intake, woken = _intake(db, clock)
    count = 2 * GROUP + 6  # more than one group waits: the lead role passes on
    results = all_at_once(count, lambda i: intake.receive(parse_lead({"name": f"L{i}"}, TIERS)))
    assert len({r.lead_id for r in results}) == count and all(r.created for r in results)
    owners = Counter(r.owner_id for r in results)
    assert max(owners.values()) - min(owners.values()) <= 1, owners  # round robin holds
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == count
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2 * count
    assert 1 <= len(woken) <= count


def test_the_same_lead_sent_at_once_is_stored_once(db: Database, clock: FixedClock) -> None:
    intake, _ = _intake(db, clock)
    lead = {"name": "Dana", "source": "web", "external_id": "crm-7"}
    results = all_at_once(12, lambda _: intake.receive(parse_lead(lead, TIERS)))
    assert len({r.lead_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len({r.owner_id for r in results}) == 1


def test_a_lead_that_fails_rolls_back_alone(db: Database, clock: FixedClock) -> None:
    intake, _ = _intake(db, clock, BadLeadFails)
    names = ["Ann", "Bad", "Cy", "Dee", "Bad", "Eve"]

    def send(i: int) -> Received | Exception:
        try:
            return intake.receive(parse_lead({"name": names[i]}, TIERS))
        except ValueError as err:
            return err

    results = all_at_once(len(names), send)
    failed = [r for r in results if isinstance(r, Exception)]
    stored = [r for r in results if isinstance(r, Received)]
    assert len(failed) == 2 and len(stored) == 4
    with db.read() as session:
        assert sorted(session.scalars(select(Lead.name))) == ["Ann", "Cy", "Dee", "Eve"]
        events = session.scalars(select(LeadEvent.lead_id).distinct()).all()
        assert sorted(events) == sorted(r.lead_id for r in stored)
        cards = session.scalars(select(OutboxMessage.lead_id).distinct()).all()
        assert sorted(cards) == sorted(r.lead_id for r in stored)
