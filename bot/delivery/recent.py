"""What each channel saw in the last seconds, read from the outbox when a sender starts: Slack's
per-channel bucket is Slack's, not the process's, so a sender that starts (a deploy, a restart
after a crash mid-burst) paces each channel from the posts it finds there, instead of guessing
that every channel has just spent its burst (pacing.WARM_UP, the guess when this read fails).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import DBAPIError

from bot.clock import Clock, as_utc
from bot.config.delivery import DeliverySettings
from bot.delivery.outbox import MESSAGE, POST_CARD, TASK_CARD
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

POSTS = (POST_CARD, MESSAGE, TASK_CARD)  # chat.postMessage (redraws are chat.update)
# Rows sent in the window are found through the (status, next_attempt_at) index: a post that was
# due longer ago than this and went out only now (a backlog over a minute deep) is not seen, and
# costs at most one 429 on its channel.
LOOKBACK = timedelta(minutes=1)
RECORDING = 1.0  # seconds: a post is recorded sent a little after Slack counted it


def recent_posts(
    db: Database, clock: Clock, settings: DeliverySettings
) -> dict[str, list[float]] | None:
    """Per lane, the ages in seconds of its posts within the time Slack's bucket takes to fill
    again. A row that may be out there now (leased by a sender, or marked maybe sent) counts as
    a post this moment: when it went is not known. None when the database cannot say."""
    now = clock.now()
    window = timedelta(seconds=settings.post_burst / settings.post_per_channel + RECORDING)
    rows = OutboxMessage
    sent = (
        select(rows.lane, rows.sent_at)
        .where(rows.status == OutboxStatus.SENT, rows.next_attempt_at >= now - LOOKBACK)
        .where(rows.sent_at >= now - window, rows.kind.in_(POSTS), rows.lane.is_not(None))
    )
    out_there = (
        select(rows.lane)
        .where(rows.status == OutboxStatus.PENDING, rows.kind.in_(POSTS), rows.lane.is_not(None))
        .where(or_(rows.maybe_sent, rows.locked_until.is_not(None)))
    )
    ages: dict[str, list[float]] = defaultdict(list)
    try:
        with db.read() as session:
            for lane, sent_at in session.execute(sent):
                ages[lane].append(max(0.0, (now - as_utc(sent_at)).total_seconds()))
            for (lane,) in session.execute(out_there):
                ages[lane].append(0.0)
    except DBAPIError as err:
        log.warning("outbox: recent posts not read (%s); channels start warming up", err.orig)
        return None
    return dict(ages)
