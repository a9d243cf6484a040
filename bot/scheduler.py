"""APScheduler only ticks; the timers live in the database (docs/architecture.md, 'Choices')."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler


def create_scheduler(
    tick: timedelta, outbox_tick: Callable[[], None], sweep: Callable[[], object]
) -> BackgroundScheduler:
    """Two ticks: the escalation sweep (due steps are found in the database, so a missed tick
    loses nothing) and an outbox wake (retries, and rows written by another process; rows this
    process writes wake the dispatcher at once)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    for job_id, job in (("sweep", sweep), ("outbox", outbox_tick)):
        scheduler.add_job(
            job,
            "interval",
            seconds=tick.total_seconds(),
            id=job_id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    return scheduler
