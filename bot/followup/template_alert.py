"""An outreach template that cannot be filled in for a lead: the card goes without its text
(the rep writes the touch), and the admins hear of it in Slack, with the file and line to fix.
The card is drawn when it is sent; the delivery log, recording it as posted, calls `tell` in
its transaction (`DeliveryLog.on_template_problem`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from blocks.mrkdwn import escape_truncated, literal_truncated, user
from bot.clock import OncePerHour
from bot.config.schema import Config
from bot.delivery.alerts import tell_admins
from storage.followup import Task
from storage.models import Lead


class TemplateAlerts:
    """Tells the admins once an hour per (template, problem), in this process (the delivery
    log records posted cards from several sender threads)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._told = OncePerHour()  # per (template, problem): not one alert per lead

    def tell(
        self, session: Session, lead_id: int, task_id: int, problem: str, now: datetime
    ) -> None:
        task, lead = session.get(Task, task_id), session.get(Lead, lead_id)
        if task is None or lead is None:
            return
        if not self._told.first((task.template or "", problem)):
            return
        who = literal_truncated(lead.name or lead.company or "a lead", 200)
        text = (
            f"⚠️ The outreach template `{escape_truncated(task.template or '', 64)}` could not be "
            f"filled in for *{who}* #{lead.id}: {escape_truncated(problem, 1500)}\n"
            f"The task card went to {user(task.owner_id)} without it. Fix the template, then "
            "check it with `leadbot templates check`."
        )
        tell_admins(session, self.config, lead.id, text, now)
