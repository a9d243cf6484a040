"""An outreach template that cannot be filled in for a lead: the card goes without its text
(the rep writes the touch), and the admins hear of it in Slack, with the file and line to fix.
The card is drawn when it is sent; the delivery log, recording it as posted, calls `tell` in
its transaction (`DeliveryLog.on_template_problem`)."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy.orm import Session

from blocks.mrkdwn import escape_truncated, literal_truncated, user
from bot.config.schema import Config
from bot.delivery.outbox import enqueue_message
from storage.followup import Task
from storage.models import Lead

AGAIN_AFTER = 3600.0  # seconds: one alert an hour per template and problem, not one per lead


class TemplateAlerts:
    """Tells the admins once an hour per (template, problem), in this process."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._told: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()  # two sweepers in one process tell once

    def tell(
        self, session: Session, lead_id: int, task_id: int, problem: str, now: datetime
    ) -> None:
        task, lead = session.get(Task, task_id), session.get(Lead, lead_id)
        if task is None or lead is None:
            return
        if not self._first_in_an_hour((task.template or "", problem)):
            return
        who = literal_truncated(lead.name or lead.company or "a lead", 200)
        text = (
            f"⚠️ The outreach template `{escape_truncated(task.template or '', 64)}` could not be "
            f"filled in for *{who}* #{lead.id}: {escape_truncated(problem, 1500)}\n"
            f"The task card went to {user(task.owner_id)} without it. Fix the template, then "
            "check it with `leadbot templates check`."
        )
        for kind, target in self.config.alert_targets():
            enqueue_message(session, lead.id, kind, target, now, text=text, alert=True)

    def _first_in_an_hour(self, key: tuple[str, str]) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._told.get(key, -AGAIN_AFTER) < AGAIN_AFTER:
                return False
            self._told[key] = now
            return True
