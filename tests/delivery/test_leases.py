"""bot/delivery/leases.py: a lease names its holder; a holder that stops beating its heartbeat
(a process killed mid-burst) holds its rows for STALE, not for the whole LEASE."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.delivery.leases import LEASE, STALE, Leases
from storage.db import Database
from storage.models import OutboxMessage

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    with database.write() as session:
        for _ in range(5):
            session.add(OutboxMessage(kind="message", created_at=NOW, next_attempt_at=NOW))
    yield database
    database.dispose()


def holder(db: Database, clock: FixedClock) -> Leases:
    leases = Leases(db, clock)
    leases.beat()  # as `start()` does, without the beating thread: the test moves time
    return leases


def test_a_live_holders_rows_are_not_taken(db: Database) -> None:
    clock = FixedClock(NOW)
    first, second = holder(db, clock), holder(db, clock)
    assert len(first.take(10)) == 5
    clock.advance(STALE / 2)
    first.beat()
    assert second.take(10) == []


def test_a_silent_holders_rows_are_free_after_stale_not_after_the_lease(db: Database) -> None:
    clock = FixedClock(NOW)
    dead, alive = holder(db, clock), holder(db, clock)
    assert len(dead.take(10)) == 5
    clock.advance(STALE / 2)
    alive.beat()
    assert alive.take(10) == []  # the dead one beat a moment ago: it may still be sending
    clock.advance(STALE)  # silent for 1.5 x STALE, well inside its 60 s leases
    alive.beat()
    assert STALE * 1.5 < LEASE
    assert len(alive.take(10)) == 5


def test_a_clean_stop_frees_its_rows_at_once(db: Database) -> None:
    clock = FixedClock(NOW)
    stopping, other = holder(db, clock), holder(db, clock)
    assert len(stopping.take(10)) == 5
    stopping.stop()
    assert len(other.take(10)) == 5


def test_a_busy_lane_open_to_urgent_cards_gives_only_those(db: Database) -> None:
    """`urgent_lanes`: a lane waiting out its pace whose booked posts include a less urgent one
    (bot/delivery/sending.py); only an urgent DM card may enter it. A `busy` lane gives none."""
    with db.write() as session:
        for lane, priority in (("U0ALICE", 1), ("U0ALICE", 0), ("U0BO", 0), ("U0CHEN", 1)):
            row = OutboxMessage(
                kind="post_card", lane=lane, priority=priority, created_at=NOW, next_attempt_at=NOW
            )
            session.add(row)
        session.flush()
    clock = FixedClock(NOW)
    leases = holder(db, clock)
    ids = leases.take(20, busy_lanes=["U0BO"], urgent_lanes=["U0ALICE"])
    with db.read() as session:
        query = select(OutboxMessage.lane, OutboxMessage.priority).where(OutboxMessage.id.in_(ids))
        taken = {(lane, priority) for lane, priority in session.execute(query)}
    assert taken == {(None, 5), ("U0ALICE", 0), ("U0CHEN", 1)}
    assert len(ids) == 5 + 2  # the fixture's five rows (no lane) and those two


def test_each_holder_counts_the_live_senders_it_shares_slacks_budgets_with(db: Database) -> None:
    clock = FixedClock(NOW)
    first, second = holder(db, clock), holder(db, clock)
    first.beat()
    if db.is_sqlite:  # one sender per SQLite file: another row there is a dead one's
        assert (first.senders, second.senders) == (1, 1)
        return
    assert first.senders == 2
    clock.advance(STALE * 1.5)  # the second went silent (killed)
    first.beat()
    assert first.senders == 1
    second.beat()  # back
    first.beat()
    assert first.senders == 2
    second.stop()  # a clean stop signs off at once
    first.beat()
    assert first.senders == 1
