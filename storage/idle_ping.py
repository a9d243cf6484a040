"""PostgreSQL connections are checked before use only when they sat idle in the pool.

SQLAlchemy's `pool_pre_ping` pings on every checkout: one more round trip each, and an
intake's card takes five checkouts between the lead arriving and the card leaving (the lead,
its pointer's move, then the worker's lease, plan and record). A connection handed back a
moment ago was alive a moment ago; one idle for IDLE may have been cut (a server restart, a
proxy's idle timeout) and is pinged, and replaced if dead, before a transaction trusts it. A
connection cut within IDLE of its last use fails its transaction, as one cut mid-transaction
always could: SQLAlchemy then refreshes the whole pool, and the callers' own handling (503 with
Retry-After for requests, the next pass for the background work) covers that one.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

IDLE = 1.0  # seconds in the pool after which a connection is pinged before use
_USED = "leadbot_used_at"


def ping_when_idle(engine: Engine, idle: float = IDLE) -> None:
    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        used = record.info.get(_USED)
        if used is None or time.monotonic() - used < idle:
            return  # new (just connected), or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:  # whatever a dead socket raises: the pool connects anew
            raise DisconnectionError(f"connection idle {idle:g}+ s did not answer") from err
