"""The CRM write-back's sender: a scheduler tick (bot/worker/) that writes the owners asked for
in `crm_writes` (bot/sources/writeback.py) with the rules of the Slack outbox.

- Leases: a pass takes a batch of due rows in one transaction (`FOR UPDATE SKIP LOCKED` on
  PostgreSQL), each lease naming its holder, the dispatcher's (bot/delivery/leases.py): a row
  held by a process that stopped beating is free within seconds, so two instances never write
  one row at once and a crash between the call and its record only means the call is made again.
  Setting an owner is idempotent, so at-least-once calls are exactly-once in effect.
- Fencing: right before the call the row is read again, and the owner written is the latest
  asked for (a reassignment meanwhile is written instead, never a stale owner over it); the
  result is recorded against the generation sent, so an owner asked for meanwhile goes next.
- Pacing: per CRM account, at most `api_calls_per_10s` (less headroom, shared among the live
  senders) in any 10 s, the vendors' rolling window; a 429 holds the account for `Retry-After`.
  A row whose account is busy goes back to the table until its moment.
- Retries: a 429, a 5xx, a locked record or no answer is tried again with exponential backoff
  (`WriteRetry`); a refusal waiting cannot fix (401, 403, 404, no such owner, a rep without an
  email), too many attempts or too old a request gives the row up: the lead's card and the
  admins say why (writeback.gave_up).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, exists, select, update
from sqlalchemy.orm import Session

from bot.clock import Clock, OncePerHour, as_utc
from bot.config.schema import Config
from bot.config.sources import Source
from bot.delivery.lease_statements import free_to_take
from bot.delivery.leases import STALE
from bot.delivery.outbox import enqueue_card_updates
from bot.durations import format_duration
from bot.leads.events import LEADBOT, add_event_for
from bot.sources.owners import GiveUp, Job, OwnerSetter, Retry, Window, WriteRetry, Written
from bot.sources.writeback import CRM_NAMES, gave_up
from bot.vocabulary import EventKind
from storage.crm import CrmWrite, CrmWriteStatus
from storage.db import Database
from storage.models import Lead, LeadEvent

log = logging.getLogger(__name__)

BATCH = 50
# Longer than a batch of calls that all time out: a live holder keeps its rows while it works
# through them, and a dead one's are free once its heartbeat is stale, whatever the lease says.
LEASE = timedelta(minutes=10)
HEADROOM = 0.9  # the account's budget is shared with intake's reads of contacts and owners
TICK_PASSES = 20  # batches a tick writes at most: a tick must end for the next to start
ARRIVED_WITH = {"hubspot": "hubspot_owner_id", "salesforce": "OwnerId"}
_ROW = CrmWrite.__table__.c


class CrmWriter:
    def __init__(self, db: Database, config: Config, clock: Clock, secrets: Mapping[str, str],
                 holder: str, *, wake: Callable[[], None] = lambda: None,
                 senders: Callable[[], int] = lambda: 1,
                 retry: WriteRetry | None = None) -> None:  # fmt: skip
        """`holder`: the lease holder (the dispatcher's, whose heartbeat keeps it alive);
        `wake`: the dispatcher's, after a commit that queued Slack messages; `senders`: live
        senders sharing each account's budget."""
        self.db, self.config, self.clock, self.holder = db, config, clock, holder
        self.wake, self.senders = wake, senders
        self.retry = retry or WriteRetry()
        self.setter = OwnerSetter(config, secrets)
        self.windows: dict[str, Window] = {}
        self.told = OncePerHour()  # per (source, problem)
        self._stopping = threading.Event()

    def start(self) -> None:
        self._stopping.clear()

    def stop(self) -> None:
        """A tick in flight hands back the rows it has not written and ends."""
        self._stopping.set()

    def tick(self) -> int:
        """Write what is due; returns the rows handled (paced ones included)."""
        handled = 0
        for _ in range(TICK_PASSES):
            jobs = [] if self._stopping.is_set() else self.lease(BATCH)
            later: dict[int, datetime] = {}
            for number, job in enumerate(jobs):
                if self._stopping.is_set():
                    self.release([j.id for j in jobs[number:]])
                    break
                moment = self.write(job)
                if moment is not None:
                    later[job.id] = moment
                handled += 1
            self._later(later)
            if len(jobs) < BATCH:
                break
        return handled

    # -- one row -------------------------------------------------------------------------------
    def write(self, job: Job) -> datetime | None:
        """Pace, fence, call, record; or the moment its account has room (not an attempt)."""
        source = self.config.sources.get(job.source)
        window = self.windows.setdefault(_account(job, source), Window())
        now = self.clock.now()
        budget = source.api_calls_per_10s if source is not None else 100
        calls = max(1, int(budget * HEADROOM / max(1, self.senders())))
        moment = window.free_at(now, calls)
        if moment > now:
            return moment
        current = self._current(job)
        if current is None:
            return None  # written, given up or taken over meanwhile
        window.book(now)
        try:
            outcome = self.setter.write(current)
        except Exception as err:  # a bug must not hold up every row behind this one
            log.exception("crm write %s for lead %s failed in leadbot", job.id, job.lead_id)
            outcome = Retry(f"leadbot failed writing it ({type(err).__name__})")
        if isinstance(outcome, Retry) and outcome.retry_after is not None:
            window.hold(self.clock.now() + timedelta(seconds=outcome.retry_after))
        self.record(current, outcome)
        return None

    def _current(self, job: Job) -> Job | None:
        """The row as it is now (the latest owner asked for), if it is still ours to write."""
        with self.db.read() as session:
            row = session.get(CrmWrite, job.id)
            if row is None or row.status != CrmWriteStatus.PENDING or row.locked_by != self.holder:
                return None
            return _job(row, job.arrived_with)

    def record(self, job: Job, outcome: Written | Retry | GiveUp) -> None:
        """The call's result, for the generation that was sent."""
        now = self.clock.now()
        queued = False  # Slack messages (a redraw, the admins): the dispatcher is woken
        with self.db.write() as session:
            row = session.get(CrmWrite, job.id, with_for_update=True)
            if row is None:
                return
            row.locked_until, row.locked_by = None, None
            latest = row.generation == job.generation
            if isinstance(outcome, Written):
                queued = self._written(session, row, job, outcome, now, latest)
            elif latest and isinstance(outcome, Retry):
                queued = self._retry(session, row, outcome, now)
            elif latest and isinstance(outcome, GiveUp):
                queued = self._give_up(session, row, outcome, now)
        if queued:
            self.wake()

    def _written(self, session: Session, row: CrmWrite, job: Job, outcome: Written,
                 now: datetime, latest: bool) -> bool:  # fmt: skip
        row.written_owner, row.crm_owner, row.written_at = job.owner, outcome.crm_owner, now
        if latest:
            row.status, row.attempts, row.last_error = CrmWriteStatus.WRITTEN, 0, None
        add_event_for(session, row.lead_id, LEADBOT, EventKind.CRM_OWNER_WRITTEN, now,
                      crm=CRM_NAMES.get(row.kind, row.kind), owner=job.owner,
                      crm_owner=outcome.crm_owner, called=outcome.called)  # fmt: skip
        # A warning on the card about this lead's owner is over: redraw it without.
        failed = exists().where(LeadEvent.lead_id == row.lead_id,
                                LeadEvent.kind == EventKind.CRM_OWNER_FAILED)  # fmt: skip
        if not session.scalar(select(failed)):
            return False
        lead = session.get(Lead, row.lead_id, with_for_update=True)
        if lead is not None:
            lead.version += 1
            session.flush()
            enqueue_card_updates(session, lead.id, now)
        return True

    def _retry(self, session: Session, row: CrmWrite, outcome: Retry, now: datetime) -> bool:
        if outcome.retry_after is None:
            row.attempts += 1  # a 429 is pacing, not a failed attempt
        row.last_error = outcome.error[:500]
        age = now - as_utc(row.asked_at)
        if row.attempts >= self.retry.attempts or age > self.retry.give_up_after:
            failure = GiveUp(f"{outcome.error}; given up after {row.attempts} failed attempts "
                             f"over {format_duration(age)}",
                             "check that the CRM is up and answers", "gave_up")  # fmt: skip
            return self._give_up(session, row, failure, now)
        row.next_attempt_at = now + self.retry.delay(row.attempts, outcome.retry_after)
        log.warning("crm write %s for lead %s: %s; retry %s at %s", row.id, row.lead_id,
                    outcome.error, row.attempts, row.next_attempt_at.isoformat())  # fmt: skip
        return False

    def _give_up(self, session: Session, row: CrmWrite, failure: GiveUp, now: datetime) -> bool:
        row.status, row.last_error = CrmWriteStatus.FAILED, failure.error[:500]
        log.warning("crm write %s for lead %s given up: %s", row.id, row.lead_id, failure.error)
        gave_up(session, self.config, self.told, row, failure, now)
        return not failure.quiet

    # -- leases --------------------------------------------------------------------------------
    def lease(self, limit: int) -> list[Job]:
        """Up to `limit` due rows, oldest due first: unleased, expired, or held by a holder gone
        silent."""
        now = self.clock.now()
        params = {"now": now, "alive_since": now - STALE, "holder": self.holder, "limit": limit}
        if self.db.is_sqlite:  # look before taking SQLite's one write lock: usually nothing
            with self.db.read() as session:
                if session.execute(_due(lock=False), {**params, "limit": 1}).first() is None:
                    return []
        with self.db.write() as session:
            rows = session.execute(_due(lock=not self.db.is_sqlite), params).all()
            if rows:
                session.execute(
                    update(CrmWrite)
                    .where(CrmWrite.id.in_([row.id for row, _fields in rows]))
                    .values(locked_until=now + LEASE, locked_by=self.holder)
                )
            return [_job(row, _arrived_with(row.kind, fields)) for row, fields in rows]

    def release(self, ids: list[int]) -> None:
        """Hand back leased rows not written (a stop): due again at once."""
        if ids:
            with self.db.write() as session:
                session.execute(
                    update(CrmWrite)
                    .where(CrmWrite.id.in_(ids), CrmWrite.locked_by == self.holder)
                    .values(locked_until=None, locked_by=None)
                )

    def _later(self, moments: dict[int, datetime]) -> None:
        """Back to the table until their accounts have room (not an attempt), in one
        transaction: a backlog paced to one account's budget is most of a batch."""
        if not moments:
            return
        with self.db.write() as session:
            session.execute(
                update(CrmWrite.__table__)
                .where(_ROW.id == bindparam("row"), _ROW.locked_by == self.holder)
                .values(locked_until=None, locked_by=None, next_attempt_at=bindparam("at")),
                [{"row": row, "at": at} for row, at in moments.items()],
            )


def _due(*, lock: bool) -> Select[tuple[CrmWrite, dict[str, object]]]:
    query = (
        select(CrmWrite, Lead.fields)
        .join(Lead, Lead.id == CrmWrite.lead_id)
        .where(CrmWrite.status == CrmWriteStatus.PENDING)
        .where(CrmWrite.next_attempt_at <= bindparam("now"))
        .where(free_to_take(CrmWrite.locked_until, CrmWrite.locked_by))
        .order_by(CrmWrite.next_attempt_at, CrmWrite.id)
        .limit(bindparam("limit"))
    )
    return query.with_for_update(of=CrmWrite, skip_locked=True) if lock else query


def _job(row: CrmWrite, arrived_with: str | None) -> Job:
    return Job(row.id, row.lead_id, row.generation, row.source, row.kind, row.object_type,
               row.record_id, row.owner, row.written_owner, row.attempts, as_utc(row.asked_at),
               arrived_with)  # fmt: skip


def _arrived_with(kind: str, fields: dict[str, object] | None) -> str | None:
    value = (fields or {}).get(ARRIVED_WITH.get(kind, ""))
    return str(value) if value not in (None, "") else None


def _account(job: Job, source: Source | None) -> str:
    """One budget per CRM account and token, whichever sources share them."""
    if source is None:
        return f"{job.kind} {job.source}"
    return f"{job.kind} {source.api_url} {source.token_env}"
