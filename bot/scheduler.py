"""APScheduler only ticks; the timers live in the database (DESIGN.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler


def create_scheduler(
    tick: timedelta, outbox_tick: Callable[[], None], sweep: Callable[[], object]
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    # The escalation sweep: due steps are found in the database, so a missed tick loses nothing.
    scheduler.add_job(
        sweep,
        "interval",
        seconds=tick.total_seconds(),
        id="sweep",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    # Retries and rows written by another process are picked up on this tick; rows written by
    # this process wake the dispatcher at once.
    scheduler.add_job(
        outbox_tick,
        "interval",
        seconds=tick.total_seconds(),
        id="outbox",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    return scheduler
