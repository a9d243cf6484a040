"""The CRM write-back outbox: the owner a lead's HubSpot contact or Salesforce Lead/Contact
should show, one row per lead. Written in the transaction that assigns the lead; a later
assignment overwrites the row's owner and bumps `generation` (an upsert on `lead_id`), so only
the latest owner is ever written and a send of an older generation is recognised as stale.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class CrmWriteStatus:
    PENDING = "pending"  # the owner is to be written (again, after a failure or a new owner)
    WRITTEN = "written"  # the CRM shows `written_owner`
    FAILED = "failed"  # given up: the lead's card and the admins say why (`last_error`)


class CrmWrite(Base):
    __tablename__ = "crm_writes"
    __table_args__ = (
        UniqueConstraint("lead_id", name="uq_crm_writes_lead"),
        Index("ix_crm_writes_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))  # the `sources:` entry's name
    kind: Mapped[str] = mapped_column(String(16))  # hubspot | salesforce
    object_type: Mapped[str] = mapped_column(String(16))  # contacts (HubSpot), Lead, Contact
    record_id: Mapped[str] = mapped_column(String(200))  # the CRM's id of the record
    owner: Mapped[str] = mapped_column(String(32))  # the rep (Slack user id) to write
    # Bumped by every new owner asked for: the fencing value of a send.
    generation: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=CrmWriteStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    asked_at: Mapped[datetime]  # when this generation was asked for: its age gives up
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(32))  # the Instance holding the lease
    # What the CRM was last told: the rep, their id in the CRM, when.
    written_owner: Mapped[str | None] = mapped_column(String(32))
    crm_owner: Mapped[str | None] = mapped_column(String(64))
    written_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
