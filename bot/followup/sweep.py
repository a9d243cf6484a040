"""The task sweep: tasks whose `next_action_at` is due -> the next entry of their chain, once.

A task's chain: a cadence task first has its card posted when it falls due; then, still open
`followup.task_overdue_after` later (business time), the `followup.overdue` steps run: a
reminder to the owner, then the manager. The first-contact task (step 0) has no card (the lead
card's Log contact is its button): its overdue steps count from the contact deadline.

Each entry runs under a guard: the tick reads its tasks locked (PostgreSQL: FOR UPDATE SKIP
LOCKED, so a second sweeper takes others; SQLite: one writer at a time), so a Done that
committed first has taken its task out of the due set, and one that comes later waits and then
finds the task moved on; the tick's single write of the timers bumps each task's version. One
entry per task per tick: after downtime the card still goes before the reminder about it, and
each reaches its person.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from blocks.mrkdwn import literal_truncated, user
from bot.clock import as_utc
from bot.delivery.outbox import enqueue_message
from bot.durations import format_duration
from bot.followup.agenda import Agenda
from bot.followup.tasks import post_task_card
from bot.hours import add_business_time, in_zone
from bot.leads.events import add_event
from bot.leads.quiet import quiet_until
from bot.services import Deps, WithDeps
from bot.vocabulary import Action, CopyKind, EventKind, FollowUpChannel, TaskStatus
from storage.bulk import collected
from storage.followup import Task
from storage.models import Lead

log = logging.getLogger(__name__)
BATCH = 500
CARD = "card"  # the chain entry that posts a cadence task's card

ChainEntry = tuple[datetime, tuple[str, ...]]


class TaskSweeper(WithDeps):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.agenda = Agenda(deps.db, deps.config, deps.calendar)
        # Per tick (cleared at its start): a zone's tasks fall due together, and a rep's quiet
        # hours and zone are the same for each of their tasks. Config looks people up by scan.
        self._chains: dict[tuple[bool, datetime, str, int | None], list[ChainEntry]] = {}
        self._zones: dict[str, ZoneInfo] = {}
        self._held: dict[tuple[str, str], datetime | None] = {}

    def sweep(self) -> int:
        """Run the due entry of every due task; queue the agendas whose morning came. Returns
        the entries run."""
        now = self.clock.now()
        with self.db.write() as session, session.no_autoflush:
            tasks = self._take(session, now)
            # Their leads in one query, held while the steps run: the identity map keeps objects
            # only weakly, so a session.get per task read each lead again (60 % of a tick).
            wanted = {t.lead_id for t in tasks}
            query = select(Lead).where(Lead.id.in_(wanted))
            leads = {lead.id: lead for lead in session.scalars(query)} if wanted else {}
            self._chains.clear()
            self._zones.clear()
            self._held.clear()
            with collected(session):  # the events and messages: one INSERT per table
                ran = sum(self._run_next(session, task, leads.get(task.lead_id), now)
                          for task in tasks)  # fmt: skip
            _write_timers(session, tasks)
            session.flush()  # the agenda reads the tasks as this tick left them
            agendas = self.agenda.send_due(session, now)
        if ran or agendas:
            self.wake()
        return ran

    def chain(self, task: Task, upto: int | None = None) -> list[ChainEntry]:
        """The task's chain; `upto`: only its first entries (each later one costs a business
        time computation). Tasks fall due together (a cadence day opens at 09:00 for a whole
        zone), so a tick computes each (kind, due, zone) once."""
        tz = self._zones.get(task.owner_id)
        if tz is None:
            tz = self._zones[task.owner_id] = self.config.tz_for(task.owner_id)
        key = (task.step == 0, as_utc(task.due_at), tz.key, upto)
        known = self._chains.get(key)
        if known is None:
            known = self._chains[key] = self._chain(task, tz, upto)
        return known

    def _chain(self, task: Task, tz: ZoneInfo, upto: int | None) -> list[ChainEntry]:
        due = as_utc(task.due_at)
        entries: list[ChainEntry] = [] if task.step == 0 else [(due, (CARD,))]
        settings = self.config.followup
        steps = settings.overdue
        if upto is not None:
            steps = steps[: max(upto - len(entries), 0)]
        if not steps:
            return entries
        calendar = in_zone(self.calendar, tz)
        grace = settings.task_overdue_after
        start = due if task.step == 0 else add_business_time(due, grace, calendar)
        for step in steps:
            moment = add_business_time(start, step.after, calendar)
            entries.append((moment, tuple(str(action) for action in step.do)))
        return entries

    def _take(self, session: Session, now: datetime) -> list[Task]:
        """The due tasks, oldest first, kept from every other writer until this tick commits:
        locked on PostgreSQL (another sweeper skips them; a Done waits, then finds them moved
        on), and SQLite has one writer at a time. `_write_timers` bumps their versions."""
        query = (
            select(Task)
            .where(Task.next_action_at <= now, Task.status == TaskStatus.OPEN)
            .order_by(Task.next_action_at, Task.id)
            .limit(BATCH)
        )
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        return list(session.scalars(query))

    def _run_next(self, session: Session, task: Task, lead: Lead | None, now: datetime) -> int:
        """Run the task's due chain entry; its new timer is set as committed and written by
        `_write_timers`, one statement for the tick (not a unit-of-work flush per task)."""
        chain = self.chain(task, upto=task.overdue_step + 2)  # this entry and the next
        if task.overdue_step >= len(chain):
            set_committed_value(task, "next_action_at", None)
            return 0
        _, actions = chain[task.overdue_step]
        if lead is None:
            set_committed_value(task, "next_action_at", None)
            return 0
        if lead.snoozed_until is not None and as_utc(lead.snoozed_until) > now:
            # The lead is snoozed ("call me after the 15th"): its follow-up waits with it.
            set_committed_value(task, "next_action_at", as_utc(lead.snoozed_until))
            return 0
        for action in actions:
            self._act(session, task, lead, action, now)
        step = task.overdue_step + 1
        set_committed_value(task, "overdue_step", step)
        set_committed_value(task, "next_action_at", chain[step][0] if step < len(chain) else None)
        return 1

    def _held_until(self, task: Task, lead: Lead, now: datetime) -> datetime | None:
        key = (task.owner_id, lead.tier)
        if key not in self._held:
            self._held[key] = quiet_until(self.config, task.owner_id, now, lead.tier)
        return self._held[key]

    def _act(self, session: Session, task: Task, lead: Lead, action: str, now: datetime) -> None:
        if action == CARD:
            post_task_card(session, self.deps, task, lead, now, self._held_until(task, lead, now))
        elif action == Action.REMIND_OWNER:
            self._remind(session, task, lead, task.owner_id, _owner_words(task, lead, now), now)
        elif action == Action.NOTIFY_MANAGER:
            rep = self.config.rep(task.owner_id)
            words = _manager_words(task, lead, now)
            if rep is not None and rep.manager:
                self._remind(session, task, lead, rep.manager, words, now)
            elif self.config.channels.managers:
                self._remind(session, task, lead, self.config.channels.managers, words, now)

    def _remind(
        self, session: Session, task: Task, lead: Lead, target: str, text: str, now: datetime
    ) -> None:
        person = target[:1] in ("U", "W")
        enqueue_message(
            session,
            lead.id,
            CopyKind.DM if person else CopyKind.CHANNEL,
            target,
            now,
            text=text,
            guard={"task": task.id},
            not_before=quiet_until(self.config, target, now, lead.tier) if person else None,
        )
        add_event(session, lead, "leadbot", EventKind.TASK_REMINDED, now,
                  task=task.id, step=task.step, to=target)  # fmt: skip


def _write_timers(session: Session, tasks: list[Task]) -> None:
    """Each task's overdue step and timer as `_run_next` left them, and its version bumped (a
    Done that read the task before this tick no longer matches): one executemany, guarded on
    the version read (under `_take`'s lock it always matches)."""
    if not tasks:
        return
    table = Task.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
        .values(
            overdue_step=bindparam("b_step"),
            next_action_at=bindparam("b_at"),
            version=table.c.version + 1,
        ),
        [
            {"b_id": t.id, "b_version": t.version, "b_step": t.overdue_step,
             "b_at": t.next_action_at}
            for t in tasks
        ],
    )  # fmt: skip
    for task in tasks:
        set_committed_value(task, "version", task.version + 1)


def _lead_label(lead: Lead) -> str:
    label = literal_truncated(lead.name or lead.email or lead.phone or "a lead", 200)
    company = f" ({literal_truncated(lead.company, 200)})" if lead.company else ""
    return f"*{label}*{company} #{lead.id}"


def _what(task: Task) -> str:
    if task.step == 0:
        return "the first contact"
    channels = " + ".join(FollowUpChannel(c).value for c in task.channels if c)
    return f"Day {task.day} of the cadence ({channels})"


def _owner_words(task: Task, lead: Lead, now: datetime) -> str:
    late = format_duration(now - as_utc(task.due_at))
    if task.step == 0:
        return (
            f"⏰ {user(task.owner_id)}, you claimed {_lead_label(lead)} and no contact is logged "
            f"yet ({late} past the goal). Reach out now, then log it on the card."
        )
    return f"⏰ {user(task.owner_id)}, {_what(task)} for {_lead_label(lead)} is {late} overdue."


def _manager_words(task: Task, lead: Lead, now: datetime) -> str:
    late = format_duration(now - as_utc(task.due_at))
    return (
        f"📣 {user(task.owner_id)} has not done {_what(task)} for {_lead_label(lead)}: "
        f"{late} overdue."
    )
