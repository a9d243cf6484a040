"""Outbox leases, tied to the process that holds them.

A row is leased before it is sent, so two senders (threads, or `leadbot serve` processes on one
PostgreSQL) never send it both. A lease names its holder, and each holder beats a heartbeat
every HEARTBEAT: a lease whose holder stopped beating for STALE is free, so a process killed
mid-burst holds its rows for seconds, not for the whole LEASE. One process owns a SQLite file
(its write lock is in-process), so there every lease found at start is a dead one's.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import DBAPIError

from bot.clock import Clock
from storage.db import Database
from storage.models import Instance, OutboxMessage, OutboxStatus

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
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the holder's life ----------------------------------------------------------------
    def start(self) -> None:
        try:
            if self.db.is_sqlite:
                self._free_all()
            self.beat()
            self._forget_long_gone()
        except DBAPIError as err:  # start anyway: requests get 503 until the database is back
            log.warning("outbox: leases not set up yet (%s)", type(err.orig).__name__)
        self._stop.clear()
        self._thread = threading.Thread(target=self._beating, name="leadbot-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """A clean stop frees this holder's leases at once: its rows go to the others."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        try:
            with self.db.write() as session:
                session.execute(delete(Instance).where(Instance.id == self.holder))
        except DBAPIError:  # its heartbeat goes stale instead
            log.warning("outbox: could not sign off; leases free in %s", STALE)

    def beat(self) -> None:
        now = self.clock.now()
        upsert = self.db.insert(Instance).values(id=self.holder, seen_at=now)
        with self.db.write() as session:
            session.execute(
                upsert.on_conflict_do_update(index_elements=[Instance.id], set_={"seen_at": now})
            )

    def _forget_long_gone(self) -> None:
        """Holders that died without signing off leave a row each: kept for a day, then gone."""
        with self.db.write() as session:
            session.execute(delete(Instance).where(Instance.seen_at < self.clock.now() - FORGET))

    def _beating(self) -> None:
        while not self._stop.wait(HEARTBEAT.total_seconds()):
            try:
                self.beat()
            except Exception:  # a database hiccup: the next beat tries again
                log.warning("outbox: heartbeat not recorded", exc_info=True)

    # -- taking rows --------------------------------------------------------------------------
    def take(self, limit: int) -> list[int]:
        """Lease up to `limit` due rows: unleased, expired, or held by a holder gone silent."""
        now = self.clock.now()
        alive = select(Instance.id).where(Instance.seen_at >= now - STALE)
        held = OutboxMessage.locked_by
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .where(OutboxMessage.next_attempt_at <= now)
            .where(
                or_(
                    OutboxMessage.locked_until.is_(None),
                    OutboxMessage.locked_until < now,
                    held.is_(None),
                    # Another holder gone silent (never this one: a clock that jumps in tests
                    # must not make a process take rows from its own other sender).
                    and_(held != self.holder, held.not_in(alive)),
                )
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        # Look before taking SQLite's single write lock: most passes find nothing to do.
        with self.db.read() as session:
            if session.scalar(due.limit(1)) is None:
                return []
        with self.db.write() as session:
            if not self.db.is_sqlite:
                due = due.with_for_update(of=OutboxMessage, skip_locked=True)
            ids = list(session.scalars(due))
            if ids:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids))
                    .values(locked_until=now + LEASE, locked_by=self.holder)
                )
        return ids

    def _free_all(self) -> None:
        with self.db.write() as session:
            freed = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .where(OutboxMessage.locked_until.is_not(None))
                .values(locked_until=None, locked_by=None)
            ).rowcount
        if freed:
            log.info("outbox: %d row(s) leased by a stopped process are due again", freed)
