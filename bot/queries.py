"""Read-only questions the Slack surfaces ask about leads."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Lead, LeadStatus


class LeadQueries:
    """Read-only questions the Slack surfaces ask."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def lead_name(self, lead_id: int) -> str | None:
        with self.db.read() as session:
            lead = session.get(Lead, lead_id)
            return lead.name if lead else None

    def count_open_of(self, user_id: str) -> int:
        with self.db.read() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(Lead)
                    .where(Lead.owner_id == user_id, Lead.status == LeadStatus.ASSIGNED)
                )
                or 0
            )

    def open_leads_of(self, user_id: str, limit: int = 20) -> list[Lead]:
        """The user's leads still waiting for a claim, oldest first."""
        with self.db.read() as session:
            return list(
                session.scalars(
                    select(Lead)
                    .where(Lead.owner_id == user_id, Lead.status == LeadStatus.ASSIGNED)
                    .order_by(Lead.received_at, Lead.id)
                    .limit(limit)
                )
            )
