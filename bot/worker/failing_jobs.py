"""A scheduler job that keeps failing is told to the admins, not only logged.

The sweeps find their work in the database, so a tick that raises loses nothing and the next
one tries again; but one that raises every time (a sweep's `StaleTick`, a statement the
database refuses) stops reminders, task cards or owner write-backs for every lead while the
heartbeat still beats. After FAILURES ticks in a row have failed, the admins hear of it in
Slack, once an hour per job, through the outbox like any alert; a job that runs again resets
its count. If the database cannot take even the alert, the log says so (and /readyz already
reports the database).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.clock import OncePerHour
from bot.delivery.alerts import tell_admins
from bot.services import Services

log = logging.getLogger(__name__)

FAILURES = 3  # ticks in a row
WHAT = {
    "sweep": "the escalation sweep (reminders, manager alerts, the shared queue)",
    "tasks": "the follow-up task sweep (task cards, overdue reminders, agendas)",
    "digests": "the weekly digests",
    "crm": "the owner write-back to the CRM",
    "outbox": "the outbox wake-up",
}


class FailingJobs:
    """An APScheduler listener for EVENT_JOB_EXECUTED | EVENT_JOB_ERROR."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._failed: dict[str, int] = {}
        self._told = OncePerHour()

    def __call__(self, event: Any) -> None:
        job = str(event.job_id)
        if getattr(event, "exception", None) is None:
            self._failed.pop(job, None)
            return
        self._failed[job] = failed = self._failed.get(job, 0) + 1
        if failed >= FAILURES and self._told.first(job):
            self._tell(job, failed, event.exception)

    def _tell(self, job: str, failed: int, error: BaseException) -> None:
        text = (
            f"⚠️ leadbot: {WHAT.get(job, job)} has failed {failed} times in a row "
            f"({type(error).__name__}); it keeps trying every tick. See the server's log, and "
            "tell whoever runs leadbot."
        )
        services = self.services
        try:
            with services.db.write() as session:
                tell_admins(session, services.config, None, text, services.clock.now())
        except SQLAlchemyError as err:
            log.error("could not tell the admins that job %s keeps failing (%s)", job,
                      type(err).__name__)  # fmt: skip
            return
        services.dispatcher.wake()
