"""Outbox leases, tied to the process that holds them.

A row is leased before it is sent, so two senders (threads, or `leadbot serve` processes on one
PostgreSQL) never send it both. A lease names its holder, and each holder beats a heartbeat
every HEARTBEAT: a lease whose holder stopped beating for STALE is free, so a process killed
mid-burst holds its rows for seconds, not for the whole LEASE. On PostgreSQL a holder also
keeps an advisory lock on a connection of its own (bot/delivery/liveness.py): one killed loses
it at once, and is buried after QUIET (two missed beats) instead of STALE.

One process sends from a SQLite file (under `leadbot serve`, the delivery worker, which waits
for the file's sender lock before it starts: bot/worker/), so there every lease found at start
is a dead one's.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Row, delete, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.delivery.lease_statements import (
    DROP_SUPERSEDED,
    LEASE_ROWS,
    LIVE,
    Due,
    Shape,
    due_query,
    lease_due,
)
from bot.delivery.liveness import BURY, NAMESPACE, QUIET, ConnectionLock
from bot.delivery.outbox import UPDATE_CARD
from storage.db import Database
from storage.models import Instance, OutboxMessage, OutboxStatus
from storage.periodic import Periodic

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # the longest a live holder keeps a row without recording it
HEARTBEAT = timedelta(seconds=1)
# A holder silent this long is gone and its leases are free. Longer than a database hiccup a
# live holder may sit through (another holder would then send its rows too), short enough that
# a restart finds a dead holder's rows free within seconds.
STALE = timedelta(seconds=6)
FORGET = timedelta(days=1)


class Leases:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.holder = uuid.uuid4().hex
        # Live senders on this database, this one included (read at each heartbeat): each
        # paces itself to its share of Slack's budgets (bot/delivery/pacing.py).
        self.senders = 1
        # Called after a beat found another holder gone (its rows are free now): the
        # dispatcher's wake, so it takes them at once instead of at its idle wait.
        self.on_takeover: Callable[[], None] | None = None
        self._others: set[str] = set()  # the other live holders at the last beat
        # For `unsure_since` (time.monotonic() moments): when this holder started, and for each
        # holder whose rows it took, when it first took one; rows taken from one, by row.
        self._started = time.monotonic()
        self._first_taken_from: dict[str, float] = {}
        self._taken_from: dict[int, str] = {}
        self._lock = None if db.is_sqlite else ConnectionLock(db.engine, self.holder)
        self._thread: Periodic | None = None

    # -- the holder's life ----------------------------------------------------------------
    def start(self) -> None:
        self._started = time.monotonic()
        try:
            self._sign_on()
        except DBAPIError as err:  # start anyway: requests get 503 until the database is back
            log.warning("outbox: leases not set up yet (%s)", type(err.orig).__name__)
        self._thread = Periodic("leadbot-leases", HEARTBEAT.total_seconds(), self._beat_or_warn)
        self._thread.start()

    def _sign_on(self) -> None:
        """The first beat, with a dead SQLite sender's rows freed and long-gone holders
        forgotten: one write transaction, as the first lease after a restart waits for it."""
        now = self.clock.now()
        key = self._lock.hold() if self._lock is not None else None
        with self.db.write() as session:
            freed = self._free_all(session) if self.db.is_sqlite else 0
            session.execute(delete(Instance).where(Instance.seen_at < now - FORGET))
            seen = self._beat_in(session, now, key)
        if freed:
            log.info("outbox: %d row(s) leased by a stopped process are due again", freed)
        self._count(seen)

    def stop(self) -> None:
        """A clean stop frees this holder's leases at once: its rows go to the others."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        try:
            with self.db.write() as session:
                session.execute(delete(Instance).where(Instance.id == self.holder))
        except DBAPIError:  # its heartbeat goes stale instead
            log.warning("outbox: could not sign off; leases free in %s", STALE)
        self.close()

    def close(self) -> None:
        """Drop the sender's lock (PostgreSQL): part of `stop`, and for a holder that never
        started its heartbeat thread (tests)."""
        if self._lock is not None:
            self._lock.release()

    def beat(self) -> None:
        now = self.clock.now()
        key = self._lock.hold() if self._lock is not None else None
        with self.db.write() as session:
            seen = self._beat_in(session, now, key)
        self._count(seen)

    def _beat_in(
        self, session: Session, now: datetime, key: int | None
    ) -> tuple[set[str], list[str]] | None:
        """Records this holder as alive; on PostgreSQL, also the live holders and the buried."""
        upsert = self.db.insert(Instance).values(id=self.holder, seen_at=now, lock_key=key)
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=[Instance.id], set_={"seen_at": now, "lock_key": key}
            )
        )
        # One sender per SQLite file (bot/worker/); there a killed one's row, still
        # fresh for STALE after a quick restart, is no sender to share with.
        if self.db.is_sqlite:
            return None
        buried = self._bury_the_dead(session, now)
        return set(session.scalars(LIVE, {"alive_since": now - STALE})), buried

    def _count(self, seen: tuple[set[str], list[str]] | None) -> None:
        if seen is None:
            return
        live, buried = seen
        self.senders = max(1, len(live | {self.holder}))
        gone, self._others = self._others - live, live - {self.holder}
        if (gone or buried) and self.on_takeover is not None:
            self.on_takeover()

    def _bury_the_dead(self, session: Session, now: datetime) -> list[str]:
        """Holders whose lock is gone and who have not beaten for QUIET: killed, so their
        rows are free now rather than after STALE (bot/delivery/liveness.py)."""
        buried = list(session.scalars(BURY, {
            "buried": now - STALE - HEARTBEAT, "holder": self.holder, "namespace": NAMESPACE,
            "alive_since": now - STALE, "quiet_since": now - QUIET,
        }))  # fmt: skip
        for holder in buried:
            log.info("outbox: sender %s lost its database session and stopped beating: its "
                     "rows are taken over now", holder)  # fmt: skip
        return buried

    def _beat_or_warn(self) -> None:
        try:
            self.beat()
        except Exception:  # a database hiccup: the next beat tries again
            log.warning("outbox: heartbeat not recorded", exc_info=True)

    # -- taking rows --------------------------------------------------------------------------
    def take(
        self,
        limit: int,
        busy_lanes: Collection[str] = (),
        in_hand: Collection[int] = (),
        urgent_lanes: Collection[str] = (),
        *,
        look_first: bool = True,
    ) -> list[int]:
        """Lease up to `limit` due rows, most urgent first (`bot/delivery/lanes.py`), none in a
        lane that is waiting out its pace: unleased, expired, or held by a holder gone silent.
        A row taken from another holder may have been sent by it: it is marked `maybe_sent`.
        `in_hand`: rows this process leased and has not recorded yet (never taken twice, even
        when a test's clock jumps past their lease). `urgent_lanes`: lanes waiting out their
        pace that an urgent DM card may still enter, taking the moment booked there by a less
        urgent post (`bot/delivery/sending.py`). `look_first` False: a commit just wrote rows,
        so SQLite's look before the lease would only find them."""
        now = self.clock.now()
        params = {
            "now": now,
            "alive_since": now - STALE,
            "holder": self.holder,
            "busy": list(busy_lanes),
            "in_hand": list(in_hand),
            "urgent": list(urgent_lanes),
        }
        shape = (bool(busy_lanes), bool(in_hand), bool(urgent_lanes))
        # Look before taking SQLite's single write lock: most passes find nothing to do. (On
        # PostgreSQL the lease skips locked rows and blocks nobody: looking first is one more
        # round trip for nothing.)
        if self.db.is_sqlite and look_first:
            with self.db.read() as session:
                probe = due_query(*shape, lock=False)
                if session.scalar(probe, {**params, "limit": 1}) is None:
                    return []
        params.update(limit=limit, until=now + LEASE)
        lease = self._lease_sqlite if self.db.is_sqlite else self._lease_postgresql
        rows = lease(shape, params)
        self._note_taken_over(rows)
        return [row.id for row in rows]

    def _lease_sqlite(self, shape: Shape, params: dict[str, object]) -> Sequence[Row[Due]]:
        with self.db.write() as session:
            rows = session.execute(due_query(*shape, lock=False), params).all()
            ids = [row.id for row in rows]
            if ids:
                session.execute(LEASE_ROWS, {**params, "ids": ids})
            if any(row.kind == UPDATE_CARD for row in rows):
                session.execute(DROP_SUPERSEDED, {**params, "leased": ids})
        return rows

    def _lease_postgresql(self, shape: Shape, params: dict[str, object]) -> Sequence[Row[Due]]:
        """One statement on its own (autocommit): it locks, leases and answers in one round
        trip, where a transaction took four (BEGIN, the locking read, the lease, COMMIT) on
        the way of every card. Its rows come back in no order: sorted as the read had them.
        Superseded redraws are closed after, on their own: should that not happen (a crash in
        between), each is skipped when planned, its copy already showing the lead's version."""
        assert self.db.autocommit_engine is not None  # PostgreSQL
        with self.db.autocommit_engine.connect() as connection:
            rows = connection.execute(lease_due(*shape), params).all()
            if any(row.kind == UPDATE_CARD for row in rows):
                leased = [row.id for row in rows]
                connection.execute(DROP_SUPERSEDED, {**params, "leased": leased})
        return sorted(rows, key=lambda row: (row.priority, row.id))

    def _note_taken_over(self, rows: Sequence[Row[Due]]) -> None:
        taken = time.monotonic()
        for row in rows:
            if row.locked_until is not None and row.locked_by not in (None, self.holder):
                self._first_taken_from.setdefault(row.locked_by, taken)
                self._taken_from[row.id] = row.locked_by

    def unsure_since(self, row_id: int) -> float | None:
        """For a row just leased that an earlier attempt may have posted: the moment
        (time.monotonic()) after which no earlier attempt could still post it, when that is
        known to be before this lease; None when it is not. A history read of its channel that
        began after it tells whether one did (bot/delivery/history.py), so after a crash one
        read answers for all of a channel's rows, however many passes lease them.
        - Taken from another holder: it stopped (silent, or its lock gone) before the first
          row this holder took from it, so that first take.
        - A lone sender (SQLite: one per file, bot/worker/) that took it from nobody: every
          earlier attempt was a process that stopped before this one started. (The sending
          loop leaves out rows its own attempts may have posted.)"""
        holder = self._taken_from.pop(row_id, None)
        if holder is not None:
            return self._first_taken_from[holder]
        return self._started if self.db.is_sqlite else None

    def release(self, ids: Collection[int]) -> None:
        """Hand back rows this holder leased and did not record (calls cut off at stop): due
        again at once, and looked up in Slack before they are posted, as they may be there."""
        if not ids:
            return
        with self.db.write() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.locked_by == self.holder)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .values(locked_until=None, locked_by=None, maybe_sent=True)
            )

    def _free_all(self, session: Session) -> int:
        return session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .where(OutboxMessage.locked_until.is_not(None))
            .values(locked_until=None, locked_by=None, maybe_sent=True)
        ).rowcount
