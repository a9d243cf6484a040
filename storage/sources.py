"""The quarantine: lead payloads that came from a real sender (signature verified) but could not
be taken as leads (no name, email or phone; a value of the wrong type; a shape leadbot does not
read). Each is kept whole, with why, until a person takes it in (`leadbot quarantine retry`,
after fixing `sources.<name>.map`) or dismisses it with a reason; no row is ever deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class QuarantineStatus:
    HELD = "held"  # waiting for a person
    TAKEN = "taken"  # a retry made it a lead (`lead_id`)
    DISMISSED = "dismissed"  # a person said it is no lead (`note` says why)


class Quarantined(Base):
    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # the `sources:` entry's name
    kind: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)  # the record's JSON, or the raw body if it was none
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=QuarantineStatus.HELD)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None]
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
