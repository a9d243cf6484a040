"""Telling the admins in Slack, the shared part: who hears it (`Config.alert_targets()`:
`channels.alerts`, else each admin, else each manager, in a DM). How often the same thing is
said is `bot.clock.OncePerHour`. Used for a message Slack refused for good
(delivery/failures.py), an escalation template that failed (escalation/context.py) and an
outreach template that failed (followup/template_alert.py)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config.schema import Config
from bot.delivery.outbox import enqueue_message

log = logging.getLogger(__name__)


def tell_admins(
    session: Session, config: Config, lead_id: int | None, text: str, now: datetime
) -> None:
    """Queue `text` (mrkdwn, escaped already) for whoever hears alerts, in `session`'s
    transaction. With nobody to tell, the log says so at ERROR, an operator reads that (not the
    text: it may name the lead)."""
    targets = config.alert_targets()
    if not targets:
        log.error("an alert about lead %s has nobody to go to: leadbot.yml names no admin or "
                  "manager", lead_id)  # fmt: skip
    for kind, target in targets:
        enqueue_message(session, lead_id, kind, target, now, text=text, alert=True)
