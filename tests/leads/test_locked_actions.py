"""A person's change to a lead (pass, snooze, reassign, log a contact, close) reads the lead
locked (`records.locked_lead`), so leadbot's own change landing meanwhile (a dropped reminder's
redraw bumps the version: `delivery/log.py`) makes it wait, not fail as "someone else changed
this lead", and neither change is lost. PostgreSQL only: SQLite's one writer cannot interleave
two transactions, and this test needs to see the action waiting on the row."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, select, text, update

from bot.clock import FixedClock
from bot.leads.closing import Closing, LeadClosing
from bot.leads.contact import ContactLog
from bot.leads.input import parse_lead
from bot.leads.service import LeadService, Outcome
from bot.services import Deps
from bot.vocabulary import LeadOutcome
from storage.db import Database
from storage.models import Lead
from tests.conftest import _fresh_postgres, make_config

pytestmark = pytest.mark.postgres

Action = Callable[[Deps, int, str], Outcome]
ACTIONS: dict[str, Action] = {
    "pass": lambda deps, lead, owner: LeadService(deps).pass_lead(lead, owner),
    "snooze": lambda deps, lead, owner: LeadService(deps).snooze(
        lead, owner, deps.clock.now() + timedelta(minutes=15)
    ),
    "reassign": lambda deps, lead, owner: LeadService(deps).reassign(
        lead, "U0MAYA", "U0CHEN" if owner != "U0CHEN" else "U0BO"
    ),
    "contact": lambda deps, lead, owner: ContactLog(deps).log(lead, owner, "call"),
    "close": lambda deps, lead, owner: LeadClosing(deps).close(
        lead, owner, Closing(LeadOutcome.WON, amount=Decimal("100"))
    ),
}


@pytest.fixture
def deps(postgres_url: str, clock: FixedClock) -> Iterator[Deps]:
    db = Database(_fresh_postgres(postgres_url))
    db.upgrade()
    try:
        yield Deps.create(db, make_config(), clock)
    finally:
        db.dispose()


def wait_until_a_session_waits_on_a_lock(watcher: Connection) -> None:
    deadline = time.monotonic() + 20
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while watcher.execute(waiting).scalar_one() == 0:
        watcher.rollback()  # pg_stat_activity is read once per transaction
        assert time.monotonic() < deadline, "the action never reached the lead's row"
        time.sleep(0.01)


@pytest.mark.parametrize("name", list(ACTIONS))
def test_an_action_waits_for_leadbots_own_change_instead_of_failing(deps: Deps, name: str) -> None:
    received = LeadService(deps).receive(parse_lead({"name": "Dana"}, ["hot", "warm", "cold"]))
    lead_id, owner = received.lead_id, received.owner_id
    assert owner is not None
    answers: list[Outcome] = []
    acting = threading.Thread(target=lambda: answers.append(ACTIONS[name](deps, lead_id, owner)))
    with deps.db.engine.connect() as leadbot, deps.db.engine.connect() as watcher:
        # What recording a dropped reminder does: the lead's version bumped, not committed yet.
        leadbot.execute(update(Lead).where(Lead.id == lead_id).values(version=Lead.version + 1))
        acting.start()
        wait_until_a_session_waits_on_a_lock(watcher)
        leadbot.commit()
    acting.join()
    assert [(answer.ok, answer.message) for answer in answers] == [(True, "")]
    with deps.db.read() as session:  # both changes kept: the received 1, the bump, the action
        assert session.scalar(select(Lead.version).where(Lead.id == lead_id)) == 3
