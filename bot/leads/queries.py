"""Read-only questions the Slack surfaces ask about leads; lists come back as the card builder's
plain values (`CardView`), so the surfaces never handle a database row."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select

from blocks.card import CardView
from bot.delivery.cards import card_view
from bot.vocabulary import CopyKind, LeadStatus
from storage.db import Database
from storage.models import Lead


def needs_me(user_id: str) -> ColumnElement[bool]:
    """A rep's to-do: leads offered to them, and leads they claimed but have not contacted.
    (An offered lead never has a contact: logging one claims it.)

    Shaped for the partial index ix_leads_todo: SQLite uses it only when the query states its
    condition as is, and without ANALYZE statistics it prefers any index with more equalities,
    so the status is excluded with NOT IN, which ix_leads_status_owner cannot serve: with
    `status IN (...)` SQLite reads every claimed lead the rep ever had."""
    return and_(
        Lead.owner_id == user_id,
        Lead.first_contact_at.is_(None),
        Lead.status.not_in((LeadStatus.QUEUED, LeadStatus.CLOSED)),
    )


IN_QUEUE = Lead.status == LeadStatus.QUEUED


class LeadQueries:
    """Read-only questions the Slack surfaces ask."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def lead_name(self, lead_id: int) -> str | None:
        with self.db.read() as session:
            lead = session.get(Lead, lead_id)
            return lead.name if lead else None

    def count_open_of(self, user_id: str) -> int:
        return self._count(needs_me(user_id))

    def open_leads_of(self, user_id: str, limit: int = 20, offset: int = 0) -> list[CardView]:
        """The user's to-do (see `needs_me`), oldest first, each drawn as their own DM copy."""
        leads = self._oldest_first(needs_me(user_id), limit, offset)
        return [card_view(lead, CopyKind.DM, user_id) for lead in leads]

    def count_queued(self) -> int:
        return self._count(IN_QUEUE)

    def queued_leads(self, limit: int = 20, offset: int = 0) -> list[CardView]:
        """The shared queue, oldest first, drawn as list rows: offered to whoever may claim."""
        return [
            card_view(lead, CopyKind.LIST) for lead in self._oldest_first(IN_QUEUE, limit, offset)
        ]

    def _count(self, where: ColumnElement[bool]) -> int:
        with self.db.read() as session:
            return session.scalar(select(func.count()).select_from(Lead).where(where)) or 0

    def _oldest_first(self, where: ColumnElement[bool], limit: int, offset: int) -> list[Lead]:
        query = select(Lead).where(where).order_by(Lead.received_at, Lead.id)
        with self.db.read() as session:
            return list(session.scalars(query.limit(limit).offset(offset)))
