"""A pool's `daily_cap` counts the leads handed to a rep since the rep's own midnight, whatever
became of them since (bot/routing/state.py): a lead moved to the queue, passed or reassigned
still took its slot. Intake, passes, the chain and managers run for real on a SQLite file; the
clock is a FixedClock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.clock import FixedClock
from bot.config.schema import Config
from bot.escalation.sweep import Escalator
from bot.leads.input import parse_lead
from bot.leads.service import LeadService, Received
from bot.services import Deps
from bot.vocabulary import EventKind
from storage.db import Database
from storage.models import Lead, LeadEvent, RepAway
from tests.conftest import make_config

BO, KIRI, CHEN, MAYA = "U0BO", "U0KIRI", "U0CHEN", "U0MAYA"  # Maya manages, as in BASE_CONFIG
REPS = [  # config order is pass order: Bo passes to Kiri, Kiri to Chen
    {"id": BO, "name": "Bo", "timezone": "America/New_York"},
    {"id": KIRI, "name": "Kiri", "timezone": "Pacific/Auckland"},  # UTC+13 in November
    {"id": CHEN, "name": "Chen", "timezone": "Asia/Singapore"},
]
# Every lead goes to Kiri, two a day at most, then the queue; a partner lead goes to Bo.
ROUTING = {
    "default": {"reps": [KIRI], "daily_cap": 2},
    "rules": [{"name": "Partners", "when": {"field": "source", "equals": "partner"}, "pool": [BO]}],
}
CAPPED = "default pool · nobody eligible · Kiri skipped (cap 2/2) · shared queue"


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    database.upgrade()
    yield database
    database.dispose()


def deps(db: Database, clock: FixedClock, config: Config | None = None) -> Deps:
    return Deps.create(db, config or make_config(reps=REPS, routing=ROUTING), clock)


def receive(service: LeadService, name: str, **extra: Any) -> Received:
    # No email: owner memory must not decide these leads.
    return service.receive(parse_lead({"name": name, **extra}, ["hot", "warm", "cold"]))


def owners(db: Database) -> dict[int, str | None]:
    with db.read() as session:
        rows = session.execute(select(Lead.id, Lead.owner_id))
        return {lead_id: owner for lead_id, owner in rows}


def test_a_lead_passed_on_still_takes_its_slot(db: Database, clock: FixedClock) -> None:
    service = LeadService(deps(db, clock))
    a, b = receive(service, "A"), receive(service, "B")
    assert (a.owner_id, b.owner_id) == (KIRI, KIRI)
    assert service.pass_lead(a.lead_id, KIRI).ok
    c = receive(service, "C")
    assert (c.owner_id, c.reason) == (None, CAPPED)  # Kiri now owns only B, but had two today


def test_a_lead_the_chain_moved_to_the_queue_still_takes_its_slot(
    db: Database, clock: FixedClock, clock_start: datetime
) -> None:
    # The default chain: reminders at 30m and 2h, the queue at 4h after the lead arrived.
    wiring = deps(db, clock)
    service = LeadService(wiring)
    a = receive(service, "A")
    clock.set(clock_start + timedelta(hours=1))
    b = receive(service, "B")
    assert (a.owner_id, b.owner_id) == (KIRI, KIRI)
    for hours in (0.5, 2, 4):  # A's steps, each on time; B's queue step (at +5h) is not due
        clock.set(clock_start + timedelta(hours=hours))
        Escalator(wiring).sweep()
    assert owners(db) == {a.lead_id: None, b.lead_id: KIRI}
    c = receive(service, "C")
    assert (c.owner_id, c.reason) == (None, CAPPED)


def test_yesterday_in_the_reps_own_zone_does_not_count(db: Database, clock: FixedClock) -> None:
    # Both moments are on Monday 23 November in UTC and in New York (the company's zone, 05:59
    # and 06:00): only Kiri's own day tells yesterday from today.
    service = LeadService(deps(db, clock))
    clock.set(datetime(2026, 11, 23, 10, 59, 59, tzinfo=UTC))  # 23:59:59 in Auckland
    first = [receive(service, name).owner_id for name in ("A", "B", "C")]
    assert first == [KIRI, KIRI, None]
    clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))  # midnight in Auckland: a new day
    second = [receive(service, name).owner_id for name in ("D", "E", "F")]
    assert second == [KIRI, KIRI, None]


def test_a_lead_passed_to_the_rep_counts_and_a_claim_does_not(
    db: Database, clock: FixedClock
) -> None:
    service = LeadService(deps(db, clock))
    passed = receive(service, "P1", source="partner")
    assert passed.owner_id == BO
    assert service.pass_lead(passed.lead_id, BO).ok  # Bo passes: next in order is Kiri
    claimed = receive(service, "P2", source="partner")
    assert service.claim(claimed.lead_id, KIRI).ok  # Kiri takes Bo's lead herself
    # Kiri: P1 (passed to her) counts, P2 (her own claim) does not; one slot left.
    a, b = receive(service, "A"), receive(service, "B")
    assert (a.owner_id, b.owner_id, b.reason) == (KIRI, None, CAPPED)


def test_a_managers_reassign_counts_once_per_lead(db: Database, clock: FixedClock) -> None:
    service = LeadService(deps(db, clock))
    p = receive(service, "P", source="partner")
    for owner in (KIRI, BO, KIRI):  # handed to Kiri twice today: still one lead
        assert service.reassign(p.lead_id, MAYA, owner).ok
    a, b = receive(service, "A"), receive(service, "B")
    assert (a.owner_id, b.owner_id, b.reason) == (KIRI, None, CAPPED)


def test_backups_in_one_sweep_count_each_other(db: Database, clock: FixedClock) -> None:
    """The sweep writes a tick's events at its end: the second backup must see the first."""
    teams = {"duo": {"reps": [BO, KIRI], "daily_cap": 2}}
    config = make_config(reps=REPS, teams=teams, routing={"ack_timeout": "15m", "default": "duo"})
    wiring = deps(db, clock, config)
    service = LeadService(wiring)
    with db.write() as session:
        session.add(RepAway(user_id=KIRI, since=clock.now(), until=None))
    l1, l2 = receive(service, "L1"), receive(service, "L2")  # both to Bo: Kiri is away
    with db.write() as session:
        session.execute(delete(RepAway))
    l3 = receive(service, "L3")  # Bo is at 2/2: Kiri, who has one slot left
    assert (l1.owner_id, l2.owner_id, l3.owner_id) == (BO, BO, KIRI)
    clock.advance(timedelta(minutes=15))
    Escalator(wiring).sweep()  # all three unclaimed: Kiri may back up one of L1, L2, not both
    now = owners(db)
    with db.read() as session:
        skipped = session.scalars(
            select(LeadEvent.lead_id).where(LeadEvent.kind == EventKind.BACKUP_SKIPPED)
        ).all()
    assert now[l3.lead_id] == KIRI  # Bo, its backup, is capped
    assert sorted([now[l1.lead_id], now[l2.lead_id]]) == [BO, KIRI]
    stayed = l1.lead_id if now[l1.lead_id] == BO else l2.lead_id
    assert sorted(skipped) == sorted([stayed, l3.lead_id])
