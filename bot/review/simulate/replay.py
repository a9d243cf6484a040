"""The history through the real engine on a virtual clock: `LeadService` takes each lead,
claims and snoozes happen at their moments (history.py's behaviour model), and `Escalator.sweep`
runs at the exact moment each step falls due, on a scratch SQLite file of its own. Nothing is
sent: the outbox fills and nobody drains it; what leadbot did is read back from the events
(measures.py), the same way for the replay as for the real database.

The clock jumps from one moment to the next (an arrival, a claim, a snooze, a lead's
`next_action_at`, a held reminder's delivery), so four quiet nights cost nothing. At one moment
the arrivals go first, then the people, then the sweep: a claim that lands on a step's due time
wins, as the sweep's guard lets a committed claim win.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from bot.clock import FixedClock, as_utc
from bot.config.schema import Config
from bot.escalation.sweep import Escalator
from bot.leads.input import LeadInputError
from bot.leads.service import LeadService
from bot.review.simulate.history import Arrival, Snooze
from bot.services import Deps
from bot.vocabulary import LeadStatus
from storage.db import Database
from storage.models import HeldNudge, HeldNudgeStatus, Lead, OutboxMessage, OutboxStatus

ARRIVE, CLAIM, SNOOZE = 0, 1, 2  # the order of things at one moment
SWEEPS_AT_ONE_MOMENT = 1_000  # a sweep takes 500 leads a call; this is half a million
DRAIN_EVERY = 50  # moments


@dataclass
class Replayed:
    """One policy's replay: its scratch database, and which history lead each row is."""

    db: Database
    keys: dict[int, str] = field(default_factory=dict)  # lead id -> Arrival.key
    contacts: dict[int, datetime | None] = field(default_factory=dict)  # lead id -> first contact
    refused: list[tuple[str, str]] = field(default_factory=list)  # (key, why)
    not_claimed: list[tuple[str, str]] = field(default_factory=list)  # (key, why)


class Replay:
    def __init__(self, config: Config, db: Database, start: datetime) -> None:
        self.config, self.db = config, db
        self.clock = FixedClock(start)
        deps = Deps.create(db, config, self.clock)
        self.leads, self.escalator = LeadService(deps), Escalator(deps)
        self.moments: list[tuple[datetime, int, int, Any]] = []
        self.result = Replayed(db)
        self._order = self._moments_since_drain = 0

    def run(self, arrivals: Sequence[Arrival], end: datetime,
            progress: Callable[[int], None] = lambda _n: None) -> Replayed:  # fmt: skip
        for arrival in arrivals:
            self._at(arrival.at, ARRIVE, arrival)
        last, sweeps = None, 0
        while (moment := self._next()) is not None and moment < end:
            # The same moment again: timers still due after a full batch (BATCH leads a sweep).
            sweeps = sweeps + 1 if moment == last else 0
            if sweeps > SWEEPS_AT_ONE_MOMENT:
                raise RuntimeError(f"the replay stalled at {moment:%Y-%m-%d %H:%M:%S} UTC")
            last = moment
            self.clock.set(moment)
            while self.moments and self.moments[0][0] <= moment:
                _, kind, _, what = heapq.heappop(self.moments)
                if kind == ARRIVE:
                    self._arrive(what)
                    progress(1)
                elif kind == CLAIM:
                    self._claim(*what)
                else:
                    self._snooze(*what)
            self.escalator.sweep()
            self._drain()
        return self.result

    def _at(self, moment: datetime, kind: int, what: Any) -> None:
        self._order += 1
        heapq.heappush(self.moments, (moment, kind, self._order, what))

    def _next(self) -> datetime | None:
        """The earliest of the next planned moment and the next timer in the database (a lead's
        next step, a held reminder's delivery): one query."""
        held = select(func.min(HeldNudge.deliver_at)).where(
            HeldNudge.status == HeldNudgeStatus.HELD
        )
        with self.db.read() as session:
            due, release = session.execute(
                select(func.min(Lead.next_action_at), held.scalar_subquery())
            ).one()
        found = [as_utc(moment) for moment in (due, release) if moment is not None]
        if self.moments:
            found.append(self.moments[0][0])
        return max(min(found), self.clock.now()) if found else None

    def _drain(self) -> None:
        """Every so many moments, mark what the replay queued for Slack as sent: it stands for
        messages sent at once (the model), and an outbox that only grows makes each claim's
        search for nudges to drop slower and slower."""
        self._moments_since_drain += 1
        if self._moments_since_drain < DRAIN_EVERY:
            return
        self._moments_since_drain = 0
        with self.db.write() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.SENT)
            )

    def _arrive(self, arrival: Arrival) -> None:
        try:
            data = self.leads.parse(arrival.lead)
        except LeadInputError as err:
            self.result.refused.append((arrival.key, str(err)))
            return
        received = self.leads.receive(data, actor="simulate")
        lead_id = received.lead_id
        self.result.keys[lead_id] = arrival.key
        contact = arrival.at + arrival.contact_after if arrival.contact_after is not None else None
        self.result.contacts[lead_id] = contact
        if arrival.claim_after is not None:
            self._at(arrival.at + arrival.claim_after, CLAIM, (lead_id, arrival))
        for snooze in arrival.snoozes:
            self._at(arrival.at + snooze.after, SNOOZE, (lead_id, snooze))

    def _claim(self, lead_id: int, arrival: Arrival) -> None:
        with self.db.read() as session:
            lead = session.get(Lead, lead_id)
            status, owner = (lead.status, lead.owner_id) if lead else (None, None)
        if status not in LeadStatus.OPEN:
            return
        who = owner or self._from_queue(arrival.claimer)
        outcome = self.leads.claim(lead_id, who)
        if not outcome.ok:
            self.result.not_claimed.append((arrival.key, outcome.message))

    def _from_queue(self, claimer: str | None) -> str:
        """Who takes a lead from the shared queue: its real claimer if this policy knows them;
        else the first rep (a stand-in: an export's owner leadbot.yml does not name)."""
        if claimer and self.config.is_known(claimer):
            return claimer
        return claimer if claimer and self.config.queue.open_to_all else self.config.rep_ids()[0]

    def _snooze(self, lead_id: int, snooze: Snooze) -> None:
        # Refused when the lead is no longer theirs or no longer open: nothing to repeat.
        self.leads.snooze(lead_id, snooze.by, self.clock.now() + snooze.length)


def scratch_database(directory: Path, name: str) -> Database:
    """A fresh SQLite file for one replay, migrated as `leadbot serve` would."""
    path = directory / f"{name}.db"
    path.unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    return db


def replay(config: Config, arrivals: Sequence[Arrival], end: datetime, directory: Path,
           name: str, progress: Callable[[int], None] = lambda _n: None) -> Replayed:  # fmt: skip
    start = arrivals[0].at if arrivals else end
    return Replay(config, scratch_database(directory, name), start).run(arrivals, end, progress)
