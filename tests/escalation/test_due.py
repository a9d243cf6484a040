"""The sweep's rows (bot/escalation/due.py): the write of a tick's leads is guarded on the
version each was read at, and a lead that changed under the tick stops the whole tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.clock import FixedClock
from bot.escalation.due import StaleTick, take_due, write_advanced
from storage.db import Database
from storage.models import Lead
from tests.conftest import MakeBot
from tests.escalation.conftest import lead

MONDAY_9_NY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def db(make_bot: MakeBot, database_url: str) -> Database:
    """Two leads, both due an hour after they came: the database they are in, once their
    cards are out (recording a card's delivery locks its lead's row for a moment, and the
    tick's read skips a locked lead: the tests would race the bot's own dispatcher)."""
    bot = make_bot(url=database_url, clock=FixedClock(MONDAY_9_NY))
    for n in (1, 2):
        bot.app.services.leads.receive(lead(n))
    assert bot.app.services.dispatcher.wait_until_idle()
    return bot.app.services.db


def test_a_lead_changed_under_the_tick_rolls_the_whole_tick_back(db: Database) -> None:
    later = MONDAY_9_NY + timedelta(hours=1)
    with pytest.raises(StaleTick, match="1 of 2 due leads changed"), db.write() as session:
        due = take_due(session, later, lock=not db.is_sqlite)
        assert [row.id for row in due] == [1, 2]
        for row in due:
            row.escalation_step, row.next_action_at, row.bump = 1, None, True
        # What the tick's lock keeps out: another writer bumping lead 2 after the read.
        session.execute(update(Lead).where(Lead.id == 2).values(version=Lead.version + 1))
        write_advanced(session, due, postgres=not db.is_sqlite)
    with db.read() as session:
        steps = session.execute(select(Lead.id, Lead.escalation_step).order_by(Lead.id)).all()
    assert [tuple(row) for row in steps] == [(1, 0), (2, 0)]  # nothing of the tick kept


def test_the_write_moves_each_lead_once_and_bumps_only_those_that_ran(db: Database) -> None:
    with db.read() as session:
        before = dict(session.execute(select(Lead.id, Lead.version)).all())
    with db.write() as session:
        due = take_due(session, MONDAY_9_NY + timedelta(hours=1), lock=not db.is_sqlite)
        due[0].escalation_step, due[0].bump = 1, True
        due[1].next_action_at = None  # a timer cleared: no version change
        write_advanced(session, due, postgres=not db.is_sqlite)
    with db.read() as session:
        after = session.execute(
            select(Lead.id, Lead.version, Lead.escalation_step, Lead.next_action_at)
        ).all()
    by_id = {row.id: row for row in after}
    assert (by_id[1].version, by_id[1].escalation_step) == (before[1] + 1, 1)
    assert (by_id[2].version, by_id[2].next_action_at) == (before[2], None)
