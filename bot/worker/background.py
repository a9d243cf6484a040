"""`Background`: the dispatcher, the App Home refresher and the scheduler's ticks, started and
stopped together, in the HTTP process or in the delivery worker (see bot/worker/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler

from bot.ops.heap import freeze_the_heap
from bot.ops.ticks import Ticks
from bot.services import Services
from bot.worker.failing_jobs import FailingJobs


class Background:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._scheduler: Any = None
        self.ticks = Ticks()  # when its jobs last ran: /readyz (bot/http/health.py)

    def start(self) -> None:
        freeze_the_heap()
        self.services.db.checkpoint_in_background()  # SQLite: not in the commits (storage/)
        self.services.dispatcher.start()
        self.services.homes.start()
        if self.services.crm_writer is not None:
            self.services.crm_writer.start()  # a writer stopped before writes again
        self._scheduler = create_scheduler(
            self.services.config.scheduler.tick,
            self.services.dispatcher.tick,
            self.services.escalator.sweep,
            self.services.task_sweeper.sweep,
            self.services.digest_sender.send_due,
            self.services.crm_writer.tick if self.services.crm_writer else None,
        )
        self.ticks.started()
        self._scheduler.add_listener(
            lambda _: self.ticks.beat(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
        )
        self._scheduler.add_listener(
            FailingJobs(self.services), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
        )
        self._scheduler.start()
        self.services.dispatcher.tick()  # rows left by a previous run, if any, go out now

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:  # stop() may come twice
            self._scheduler.shutdown(wait=False)
        if self.services.crm_writer is not None:
            self.services.crm_writer.stop()  # its tick hands back what it has not written
        self.services.dispatcher.stop()
        self.services.homes.stop()


def create_scheduler(
    tick: timedelta,
    outbox_tick: Callable[[], None],
    sweep: Callable[[], object],
    task_sweep: Callable[[], object],
    digests: Callable[[], object] | None = None,
    crm: Callable[[], object] | None = None,
) -> BackgroundScheduler:
    """Four ticks: the escalation sweep and the follow-up task sweep (due steps are found in
    the database, so a missed tick loses nothing; separate jobs, so one failing holds up
    nothing of the other), the weekly digests (reading a week of numbers per reader: never in
    a sweep's tick) and an outbox wake (retries, and rows written by another process; rows this
    process writes wake the dispatcher at once)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    jobs = [("sweep", sweep), ("tasks", task_sweep), ("outbox", outbox_tick)]
    if digests is not None:
        jobs.append(("digests", digests))
    if crm is not None:  # owners written back to CRMs (bot/sources/writer.py)
        jobs.append(("crm", crm))
    for job_id, job in jobs:
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
