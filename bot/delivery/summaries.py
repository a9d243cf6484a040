"""Bursts into one channel: when the copies waiting for a channel would take longer than
`delivery.summarise_after` at leadbot's pace (just under Slack's one post a second), they are
folded into summary posts ("14 new leads"), each lead with its owner or, in the queue, a Claim
button. A 2,000-lead import then reaches #leads in seconds, not half an hour. DM cards are never
folded: they are how a rep hears of a lead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from blocks.summary import MAX_LEADS
from bot.clock import Clock
from bot.config.delivery import DeliverySettings
from bot.delivery.lanes import CHANNEL_POST
from bot.delivery.lease_statements import free
from bot.delivery.outbox import MESSAGE, POST_CARD
from bot.delivery.pacing import HEADROOM
from bot.vocabulary import CopyKind
from storage.db import Database
from storage.models import Lead, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


class Summaries:
    def __init__(self, db: Database, clock: Clock, holder: str, settings: DeliverySettings):
        self.db = db
        self.clock = clock
        self.holder = holder
        self.settings = settings

    def defer(self, lane: str, row_ids: Sequence[int]) -> int:
        """Hand back `row_ids` (leased here, not sent: `lane` is waiting out its pace), or, when
        the lane's backlog is too long, fold all its waiting copies into summaries. Returns how
        many copies were folded."""
        with self.db.write() as session:
            waiting = self._waiting(session, lane, row_ids)
            seconds = len(waiting) / (self.settings.post_per_channel * HEADROOM)
            if seconds <= self.settings.summarise_after.total_seconds():
                free(session, row_ids)
                return 0
            # A copy an earlier attempt may have posted (its holder died, or no answer came) is
            # looked up in the channel's history when its turn comes, not folded: if it is
            # there, a summary would announce that lead a second time.
            folding = [row for row in waiting if not row.maybe_sent]
            if folding:
                self._fold(session, lane, folding, self.clock.now())
            folded = {row.id for row in folding}
            free(session, [row_id for row_id in row_ids if row_id not in folded])
        if not folding:
            return 0
        log.info("outbox: %d channel copies for %s folded into summaries", len(folding), lane)
        return len(folding)

    def _waiting(self, session: Session, lane: str, mine: Sequence[int]) -> list[OutboxMessage]:
        """The lane's card copies not yet posted and not in another sender's hands."""
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.kind == POST_CARD,
                    OutboxMessage.lane == lane,
                    OutboxMessage.copy_kind != CopyKind.DM,
                    or_(OutboxMessage.locked_by.is_(None), OutboxMessage.id.in_(list(mine))),
                )
                .order_by(OutboxMessage.id)
            )
        )

    def _fold(self, session: Session, lane: str, rows: list[OutboxMessage], now: datetime) -> None:
        lead_ids = [row.lead_id for row in rows if row.lead_id is not None]
        leads = {
            lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(lead_ids)))
        }
        items = [_item(leads[i]) for i in lead_ids if i in leads]
        for start in range(0, len(items), MAX_LEADS):
            chunk = items[start : start + MAX_LEADS]
            session.add(_summary_row(lane, chunk, len(items), now))
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row.id for row in rows]))
            .values(status=OutboxStatus.SUMMARISED, sent_at=now, locked_until=None, locked_by=None)
        )


def _item(lead: Lead) -> dict[str, object]:
    return {
        "lead_id": lead.id,
        "name": lead.name,
        "company": lead.company,
        "tier": lead.tier,
        "owner": lead.owner_id,
    }


def _summary_row(
    lane: str, chunk: list[dict[str, object]], total: int, now: datetime
) -> OutboxMessage:
    noun = "lead" if total == 1 else "leads"
    part = f" ({len(chunk)} here)" if len(chunk) < total else ""
    text = f"📥 *{total} new {noun}* arrived faster than Slack lets leadbot post cards{part}:"
    return OutboxMessage(
        lead_id=None,
        kind=MESSAGE,
        copy_kind=CopyKind.CHANNEL,
        target=lane,
        lane=lane,
        priority=CHANNEL_POST,
        created_at=now,
        next_attempt_at=now,
        payload={"text": text, "summary": chunk, "buttons": [], "lines": [], "guard": {}},
    )
