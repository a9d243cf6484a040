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

The tick reads and writes plain rows (`followup/due.py`, `storage/bulk.py`), not ORM objects:
at 100 due tasks the objects, not the SQL, were most of its time.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from blocks.mrkdwn import literal_truncated, user
from bot.delivery.outbox import enqueue_message, enqueue_task_card
from bot.durations import format_duration
from bot.followup.agenda import Agenda
from bot.followup.due import DueLead, DueTask, Timer, take_due, write_timers
from bot.hours import add_business_time, in_zone
from bot.leads.events import LEADBOT, add_event_for
from bot.leads.quiet import quiet_until
from bot.services import Deps, WithDeps
from bot.vocabulary import Action, CopyKind, EventKind, FollowUpChannel
from storage.bulk import collected

log = logging.getLogger(__name__)
CARD = "card"  # the chain entry that posts a cadence task's card

ChainEntry = tuple[datetime, tuple[str, ...]]


class TaskSweeper(WithDeps):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.agenda = Agenda(deps.db, deps.config, deps.calendar)
        # Per tick (cleared at its start): a zone's tasks fall due together, and a person's
        # quiet hours are the same for each of their tasks.
        self._chains: dict[tuple[bool, datetime, str, int | None], list[ChainEntry]] = {}
        self._quiet: dict[tuple[str, str], datetime | None] = {}

    def sweep(self) -> int:
        """Run the due entry of every due task; queue the agendas whose morning came. Returns
        the entries run."""
        now = self.clock.now()
        postgres = not self.db.is_sqlite
        with self.db.write() as session, session.no_autoflush:
            tasks = take_due(session, now, lock=postgres)
            self._chains.clear()
            self._quiet.clear()
            timers: list[Timer] = []
            ran = 0
            with collected(session):  # the events and messages: one INSERT per table
                for task in tasks:
                    done, timer = self._run_next(session, task, now)
                    ran += done
                    timers.append(timer)
            write_timers(session, timers, postgres=postgres)
            agendas = self.agenda.send_due(session, now)
        if ran or agendas:
            self.wake()
        return ran

    def chain(self, task: DueTask, upto: int | None = None) -> list[ChainEntry]:
        """The task's chain; `upto`: only its first entries (each later one costs a business
        time computation). Tasks fall due together (a cadence day opens at 09:00 for a whole
        zone), so a tick computes each (kind, due, zone) once."""
        tz = self.agenda.zone(task.owner_id)
        key = (task.step == 0, task.due_at, tz.key, upto)
        known = self._chains.get(key)
        if known is None:
            known = self._chains[key] = self._chain(task, tz, upto)
        return known

    def _chain(self, task: DueTask, tz: ZoneInfo, upto: int | None) -> list[ChainEntry]:
        due = task.due_at
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

    def _run_next(self, session: Session, task: DueTask, now: datetime) -> tuple[int, Timer]:
        """Run the task's due chain entry; returns whether it ran, and the task's new timer
        (written by `write_timers`, one statement for the tick)."""
        chain = self.chain(task, upto=task.overdue_step + 2)  # this entry and the next
        lead = task.lead
        if task.overdue_step >= len(chain) or lead is None:
            return 0, Timer(task.id, task.version, task.overdue_step, None)
        if lead.snoozed_until is not None and lead.snoozed_until > now:
            # The lead is snoozed ("call me after the 15th"): its follow-up waits with it.
            return 0, Timer(task.id, task.version, task.overdue_step, lead.snoozed_until)
        for action in chain[task.overdue_step][1]:
            self._act(session, task, lead, action, now)
        step = task.overdue_step + 1
        return 1, Timer(task.id, task.version, step, chain[step][0] if step < len(chain) else None)

    def _quiet_until(self, person: str, lead: DueLead, now: datetime) -> datetime | None:
        key = (person, lead.tier)
        if key not in self._quiet:
            self._quiet[key] = quiet_until(self.config, person, now, lead.tier)
        return self._quiet[key]

    def _act(
        self, session: Session, task: DueTask, lead: DueLead, action: str, now: datetime
    ) -> None:
        if action == CARD:
            post_task_card(session, task, lead, now, self._quiet_until(task.owner_id, lead, now))
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
        self, session: Session, task: DueTask, lead: DueLead, target: str, text: str,
        now: datetime,
    ) -> None:  # fmt: skip
        person = target[:1] in ("U", "W")
        enqueue_message(
            session,
            lead.id,
            CopyKind.DM if person else CopyKind.CHANNEL,
            target,
            now,
            text=text,
            guard={"task": task.id},
            not_before=self._quiet_until(target, lead, now) if person else None,
        )
        add_event_for(session, lead.id, LEADBOT, EventKind.TASK_REMINDED, now,
                      task=task.id, step=task.step, to=target)  # fmt: skip


def post_task_card(
    session: Session, task: DueTask, lead: DueLead, now: datetime, held: datetime | None
) -> None:
    """The task falls due: its card goes to the owner's DM, after their quiet hours (`held`:
    when they end, or None). The `task_due` event is written when the card is posted
    (bot/delivery/log.py), not here: a held card goes later, and a tick writes a row less. The
    card, its template filled in, is drawn when it is sent, never in the tick."""
    if task.card_ts is None:
        enqueue_task_card(session, task.lead_id, task.id, task.owner_id, now, not_before=held)
        return
    # Moved to today: its card is up the conversation already; say it is due now.
    label = literal_truncated(lead.name or "a lead", 200)
    enqueue_message(session, task.lead_id, CopyKind.DM, task.owner_id, now,
                    text=f"📌 Due now: Day {task.day} for *{label}* (the card is above).",
                    guard={"task": task.id}, not_before=held)  # fmt: skip
    add_event_for(session, lead.id, LEADBOT, EventKind.TASK_DUE, now, task=task.id, step=task.step)


def _lead_label(lead: DueLead) -> str:
    label = literal_truncated(lead.name or lead.email or lead.phone or "a lead", 200)
    company = f" ({literal_truncated(lead.company, 200)})" if lead.company else ""
    return f"*{label}*{company} #{lead.id}"


def _what(task: DueTask) -> str:
    if task.step == 0:
        return "the first contact"
    channels = " + ".join(FollowUpChannel(c).value for c in task.channels if c)
    return f"Day {task.day} of the cadence ({channels})"


def _owner_words(task: DueTask, lead: DueLead, now: datetime) -> str:
    late = format_duration(now - task.due_at)
    if task.step == 0:
        return (
            f"⏰ {user(task.owner_id)}, you claimed {_lead_label(lead)} and no contact is logged "
            f"yet ({late} past the goal). Reach out now, then log it on the card."
        )
    return f"⏰ {user(task.owner_id)}, {_what(task)} for {_lead_label(lead)} is {late} overdue."


def _manager_words(task: DueTask, lead: DueLead, now: datetime) -> str:
    late = format_duration(now - task.due_at)
    return (
        f"📣 {user(task.owner_id)} has not done {_what(task)} for {_lead_label(lead)}: "
        f"{late} overdue."
    )
