"""The morning agenda: at the start of each rep's working day (their zone, their business days;
never on a day off or while away), one DM with today's tasks and the overdue ones, oldest
first. `/leads today` shows the same on demand.

The sweep writes `agendas_sent (rep, local day)` in the same transaction as the message, with
`ON CONFLICT DO NOTHING`: a second sweeper, or a sweep run twice, sends nothing more. An agenda
missed while leadbot was down goes out when it is back, if that is still the rep's working day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from blocks.agenda import AgendaItem, agenda_blocks, agenda_text
from blocks.wire import wire
from bot.clock import as_utc
from bot.config.schema import Config
from bot.delivery.outbox import enqueue_message
from bot.followup.cards import task_view
from bot.hours import MORNING, BusinessCalendar, _wall_to_utc
from bot.leads.quiet import quiet_until
from bot.vocabulary import CopyKind, TaskStatus
from storage.db import Database
from storage.followup import AgendaSent, Task
from storage.models import Lead, RepAway

LATEST = time(23, 59)


class Agenda:
    def __init__(self, db: Database, config: Config, calendar: BusinessCalendar | None) -> None:
        self.db = db
        self.config = config
        self.calendar = calendar
        # (rep, local day) handled by this process: each tick would otherwise write a row per
        # rep all day long only to find it there already.
        self._done: set[tuple[str, date]] = set()

    def items(self, session: Session, user_id: str, now: datetime) -> tuple[date, list[AgendaItem]]:
        """The rep's tasks due by the end of their local day, oldest first."""
        tz = self.config.tz_for(user_id)
        today = now.astimezone(tz).date()
        day_end = _wall_to_utc(today + timedelta(days=1), time(0), tz)
        rows = session.execute(
            select(Task, Lead)
            .join(Lead, Lead.id == Task.lead_id)
            .where(
                Task.owner_id == user_id,
                Task.status == TaskStatus.OPEN,
                Task.due_at < day_end,
                # The first-contact task is on the agenda once it is late; cadence tasks, today.
                or_(Task.step > 0, Task.due_at <= now),
            )
            .order_by(Task.due_at, Task.id)
        ).all()
        start = _wall_to_utc(today, time(0), tz)
        return today, [
            AgendaItem(task_view(task, lead, ()), as_utc(task.due_at) < start or task.step == 0)
            for task, lead in rows
        ]

    def send_due(self, session: Session, now: datetime) -> int:
        """Queue the agendas whose morning has come; returns how many were queued."""
        away = _away_now(session, now)
        sent = 0
        for rep in self.config.reps:
            if rep.id in away:
                continue
            key = (rep.id, now.astimezone(self.config.tz_for(rep.id)).date())
            if key in self._done:
                continue
            opening = self._opening_today(rep.id, now)
            if opening is None or not opening[0] <= now < opening[1]:
                continue
            sent += self._send(session, rep.id, now)
            self._done.add(key)
        if len(self._done) > 10 * max(len(self.config.reps), 1):
            self._done.clear()  # old days: the table still answers for them
        return sent

    def _opening_today(self, rep_id: str, now: datetime) -> tuple[datetime, datetime] | None:
        """Today's working window on the rep's clock; None on a day off."""
        tz = self.config.tz_for(rep_id)
        today = now.astimezone(tz).date()
        rep = self.config.rep(rep_id)
        if rep is not None and rep.away_on(today):
            return None
        calendar = replace(self.calendar, tz=tz) if self.calendar else None
        if calendar is None:
            return _wall_to_utc(today, MORNING, tz), _wall_to_utc(today, LATEST, tz)
        if today.weekday() not in calendar.days or today in calendar.holidays:
            return None
        return _wall_to_utc(today, calendar.start, tz), _wall_to_utc(today, calendar.end, tz)

    def _send(self, session: Session, rep_id: str, now: datetime) -> int:
        day, items = self.items(session, rep_id, now)
        claimed = session.execute(
            self.db.insert(AgendaSent)
            .values(user_id=rep_id, day=day, sent_at=now, tasks=len(items))
            .on_conflict_do_nothing()
            .returning(AgendaSent.user_id)
        ).first()
        if claimed is None or not items:  # sent already, or nothing to say this morning
            return 0
        enqueue_message(
            session, None, CopyKind.DM, rep_id, now,
            text=agenda_text(day, items), prebuilt=wire(agenda_blocks(day, items)),
            not_before=quiet_until(self.config, rep_id, now, None),
        )  # fmt: skip
        return 1


def _away_now(session: Session, now: datetime) -> set[str]:
    rows = session.scalars(
        select(RepAway.user_id).where(or_(RepAway.until.is_(None), RepAway.until > now))
    )
    return set(rows)


def agenda_answer(agenda: Agenda, user_id: str, now: datetime) -> tuple[str, list[Any]]:
    """`/leads today`: the rep's agenda now, as text and Slack JSON blocks."""
    with agenda.db.read() as session:
        day, items = agenda.items(session, user_id, now)
    return agenda_text(day, items), wire(agenda_blocks(day, items))
