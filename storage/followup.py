"""The follow-up tables: a lead's planned touches (`tasks`) and the touches made (`touches`).

A task is one cadence step (or the first contact after a claim, step 0) for one lead: unique per
(lead, step), so a sweep run twice, or two instances, create it once. Its timer is
`next_action_at`, like a lead's: the task sweep posts the card when it falls due, then follows
the overdue chain, each step fenced by `overdue_step` and `version` as the lead sweep is.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("lead_id", "step", name="uq_tasks_lead_step"),
        Index("ix_tasks_owner_status_due", "owner_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    owner_id: Mapped[str] = mapped_column(String(32))
    cadence: Mapped[str | None] = mapped_column(String(32))  # None: the first-contact task
    step: Mapped[int] = mapped_column(Integer)  # 0: first contact; else the cadence step, 1..N
    steps: Mapped[int] = mapped_column(Integer, default=0)  # how many the cadence has
    day: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    template: Mapped[str | None] = mapped_column(String(64))
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)  # why it was skipped or moved
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(32))
    # When the task sweep must look at it: its due moment (the card), then each overdue step.
    next_action_at: Mapped[datetime | None] = mapped_column(index=True)
    overdue_step: Mapped[int] = mapped_column(Integer, default=0)  # the fencing value
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every change
    created_at: Mapped[datetime]
    # The task card in the owner's DM once posted, and the task version it shows.
    card_channel: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    shown_version: Mapped[int] = mapped_column(Integer, default=0)


class Touch(Base):
    """One attempt to reach a prospect, as the rep reported it: the log the task cards' context,
    the follow-up numbers and the template ranking are read from."""

    __tablename__ = "touches"
    __table_args__ = (
        Index("ix_touches_lead_at", "lead_id", "at"),
        Index("ix_touches_template_at", "template", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(16))
    template: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AgendaSent(Base):
    """The morning agenda a rep got, one per local day: written with the agenda's message, so
    two sweepers (or a sweep run twice) send it once."""

    __tablename__ = "agendas_sent"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the rep's local date
    sent_at: Mapped[datetime]
    tasks: Mapped[int] = mapped_column(Integer, default=0)


class DigestSent(Base):
    """The weekly digest a person or channel got, one per reviewed week (the local date the
    week ended): written with the digest's message, so two instances send it once."""

    __tablename__ = "digests_sent"

    target: Mapped[str] = mapped_column(String(32), primary_key=True)  # a user or channel id
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime]
