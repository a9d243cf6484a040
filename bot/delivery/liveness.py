"""A sender's life tied to its database connection, on PostgreSQL (#11: "leases tied to a process
id or heartbeat").

Each sender holds a session advisory lock, on a connection of its own, for as long as it runs. A
process killed with -9 loses that connection at once (the kernel closes its sockets, PostgreSQL
ends the session and drops the lock), so the other senders can see it is gone within a heartbeat
or two, not after STALE: its leased rows go to them in about two seconds instead of six.

A missing lock alone is not death: a live process whose lock connection broke (the database
restarted, a proxy cut it) takes the lock again at its next beat, and it keeps beating
meanwhile. So a holder is buried only when its lock is gone *and* it has not beaten for QUIET;
silence for STALE still frees a holder's rows whatever its lock (a frozen machine keeps its
connection open). A holder that never held a lock (an older version during a rolling upgrade)
is judged by its heartbeat alone. Rows taken from a buried holder are marked `maybe_sent` like
any other taken over, and looked up in Slack's history before they are posted again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# pg_advisory_lock(int4, int4): the first key says "leadbot sender" (the migrations' lock is a
# bigint of its own), the second is the holder's.
NAMESPACE = 0x6C62_7364
QUIET = timedelta(seconds=2)  # two missed heartbeats: a live holder beats every second

BURY = text(
    """
    UPDATE instances SET seen_at = :buried
    WHERE id <> :holder AND lock_key IS NOT NULL
      AND seen_at >= :alive_since AND seen_at < :quiet_since
      AND lock_key NOT IN (
        SELECT objid::bigint FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND classid = :namespace AND objsubid = 2
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      )
    RETURNING id
    """
)


def lock_key(holder: str) -> int:
    """The holder's second key: 28 bits of its random id (an int4 and an oid alike)."""
    return int(holder[:7], 16)


class ConnectionLock:
    """The advisory lock this holder keeps on a connection of its own (autocommit: an idle
    session, never a transaction left open)."""

    def __init__(self, engine: Engine, holder: str) -> None:
        self.engine = engine
        self.key = lock_key(holder)
        self._connection: Connection | None = None

    def hold(self) -> int | None:
        """The key while the lock is held (taken again if its connection broke); None when
        it cannot be had now (the database is away): the heartbeat alone speaks meanwhile."""
        if self._connection is not None:
            try:
                self._connection.exec_driver_sql("SELECT 1")
                return self.key
            except DBAPIError:
                log.warning("outbox: the sender's lock connection broke; taking it again")
                self.release()
        try:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError:
            return None
        try:
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:namespace, :key)"),
                {"namespace": NAMESPACE, "key": self.key},
            ).scalar()
        except DBAPIError:
            connection.close()
            return None
        if not taken:  # another holder with the same 28 bits: the heartbeat alone, then
            connection.close()
            return None
        self._connection = connection
        return self.key

    def release(self) -> None:
        """Drop the lock by ending its session: the connection is closed, not handed back to
        the pool, where the session (and so the lock) would live on."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.invalidate()
            connection.close()
