"""bot/delivery/leases.py: a lease names its holder; a holder that stops beating its heartbeat
(a process killed mid-burst) holds its rows for STALE, not for the whole LEASE."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, text, update

from bot.clock import FixedClock
from bot.delivery.leases import FORGET, HEARTBEAT, LEASE, STALE, Leases
from bot.delivery.liveness import NAMESPACE, QUIET, lock_key
from storage.db import Database
from storage.models import Instance, OutboxMessage
from tests.conftest import _fresh_postgres

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


_MADE: list[Leases] = []


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    yield from _database(database_url)


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    """PostgreSQL only: the advisory lock a sender holds there (bot/delivery/liveness.py)."""
    yield from _database(_fresh_postgres(postgres_url))


def _database(url: str) -> Iterator[Database]:
    database = Database(url)
    database.upgrade()
    with database.write() as session:
        for _ in range(5):
            session.add(OutboxMessage(kind="message", created_at=NOW, next_attempt_at=NOW))
    yield database
    while _MADE:
        _MADE.pop().close()
    database.dispose()


def holder(db: Database, clock: FixedClock) -> Leases:
    leases = Leases(db, clock)
    leases.beat()  # as `start()` does, without the beating thread: the test moves time
    _MADE.append(leases)
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


def test_rows_taken_from_a_stopped_holder_are_unsure_since_the_first_taken_from_it(
    db: Database,
) -> None:
    """A history read that began after the first row was taken from a stopped holder answers
    for all of its rows, however many passes take them (the holder posts nothing after it
    stopped). A row from nobody: on SQLite, the lone sender's start (every earlier sender had
    stopped); on PostgreSQL another live sender may have tried it, so only its own lease."""
    clock = FixedClock(NOW)
    dead, alive = holder(db, clock), holder(db, clock)
    assert len(dead.take(3)) == 3
    clock.advance(STALE * 2)
    alive.beat()
    [first] = alive.take(1)
    [second, third] = alive.take(2)
    [fresh, other] = alive.take(2)
    since = {row: alive.unsure_since(row) for row in (first, second, third, fresh, other)}
    assert since[first] == since[second] == since[third] is not None
    assert since[first] > alive._started
    assert since[fresh] == since[other] == (alive._started if db.is_sqlite else None)
    assert alive.unsure_since(first) == since[fresh]  # asked once: the lease's own moment now


def test_a_clean_stop_frees_its_rows_at_once(db: Database) -> None:
    clock = FixedClock(NOW)
    stopping, other = holder(db, clock), holder(db, clock)
    assert len(stopping.take(10)) == 5
    stopping.stop()
    assert len(other.take(10)) == 5


def test_a_start_frees_a_dead_sqlite_senders_rows_and_forgets_old_holders_in_one_write(
    db: Database,
) -> None:
    """SQLite has one sender (bot/worker/), so at start every lease is a dead one's: free at
    once and marked maybe sent. On PostgreSQL another live sender may hold them. A holder gone
    for a day is forgotten on both, and the sign-on is one write: the first lease waits for it."""
    clock = FixedClock(NOW)
    dead = holder(db, clock)
    assert len(dead.take(3)) == 3
    with db.write() as session:
        session.add(Instance(id="gone-long-ago", seen_at=NOW - FORGET - HEARTBEAT))
    commits: list[object] = []
    count = commits.append  # one bound method: `event.remove` finds a listener by identity
    event.listen(db.engine, "commit", count)
    starting = Leases(db, clock)
    _MADE.append(starting)
    starting.start()
    event.remove(db.engine, "commit", count)
    starting.stop()
    with db.read() as session:
        leased = session.scalars(select(OutboxMessage).where(OutboxMessage.locked_by.is_not(None)))
        still_leased = [(row.locked_by, row.maybe_sent) for row in leased]
        holders = set(session.scalars(select(Instance.id)))
    assert len(commits) == 1
    assert still_leased == ([] if db.is_sqlite else [(dead.holder, False)] * 3)
    assert holders == {dead.holder}  # the one gone a day forgotten; the starting one signed off
    if db.is_sqlite:
        with db.read() as session:
            freed = session.scalars(select(OutboxMessage.maybe_sent))
            assert sorted(freed) == [False, False, True, True, True]


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


def kill_session_of(db: Database, leases: Leases) -> None:
    """What kill -9 does to a sender's database session: it ends, and its lock goes with it."""
    with db.engine.begin() as connection:
        ended = connection.execute(
            text(
                # Waits (up to 5 s) until it is gone: a terminated session lets go of its lock
                # some time after the call returns, and the next beat must find it gone.
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks"
                " WHERE locktype = 'advisory' "
                "AND classid = :namespace AND objid = :key AND objsubid = 2"
            ),
            {"namespace": NAMESPACE, "key": lock_key(leases.holder)},
        ).scalars()
        assert list(ended) == [True]


@pytest.mark.postgres
def test_a_killed_senders_rows_are_taken_two_beats_after_not_after_stale(pg: Database) -> None:
    db = pg
    clock = FixedClock(NOW)
    killed, alive = holder(db, clock), holder(db, clock)
    woken: list[bool] = []
    alive.on_takeover = lambda: woken.append(True)
    assert len(killed.take(10)) == 5
    alive.beat()
    clock.advance(QUIET + HEARTBEAT)  # silent for three beats, but its session holds the lock
    alive.beat()
    assert alive.take(10) == [] and woken == []  # a stall (a GC pause, a slow disk): alive
    kill_session_of(db, killed)
    alive.beat()
    assert woken == [True]
    assert QUIET + HEARTBEAT < STALE
    taken = alive.take(10)
    assert len(taken) == 5
    with db.read() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(taken))).all()
    assert all(row.maybe_sent and row.locked_by == alive.holder for row in rows)


@pytest.mark.postgres
def test_a_sender_whose_lock_connection_broke_but_still_beats_keeps_its_rows(
    pg: Database,
) -> None:
    db = pg
    clock = FixedClock(NOW)
    broken, other = holder(db, clock), holder(db, clock)
    assert len(broken.take(10)) == 5
    kill_session_of(db, broken)  # the database dropped its connection; the process lives on
    clock.advance(HEARTBEAT)
    other.beat()  # beat a second ago: not buried, though its lock is gone
    assert other.take(10) == []
    broken.beat()  # takes its lock again on a new connection
    clock.advance(QUIET + HEARTBEAT)
    other.beat()
    assert other.take(10) == []  # silent again, but holding its lock: alive
    with db.read() as session:
        keys = session.scalars(select(Instance.lock_key).order_by(Instance.id)).all()
    assert sorted(keys) == sorted([lock_key(broken.holder), lock_key(other.holder)])


@pytest.mark.postgres
def test_a_holder_without_a_lock_is_judged_by_its_heartbeat_alone(pg: Database) -> None:
    """An instance of an older version (no lock, no key): buried only after STALE."""
    db = pg
    clock = FixedClock(NOW)
    old, new = holder(db, clock), holder(db, clock)
    old.close()  # its lock gone, as if it never held one...
    with db.write() as session:  # ...and its row without a key, as an older version beats
        session.execute(update(Instance).where(Instance.id == old.holder).values(lock_key=None))
    assert len(old.take(10)) == 5
    clock.advance(QUIET + HEARTBEAT)
    new.beat()
    assert new.take(10) == []
    clock.advance(STALE)
    new.beat()
    assert len(new.take(10)) == 5
