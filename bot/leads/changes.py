"""Every change of a lead, told once it has committed: one INFO line (lead id, what, who: a Slack
user id or "leadbot"), and the app's observer of changes (its metrics), found in the session.

The event log (bot/leads/events.py) is the one place a change is written, so noting it there
covers every surface (a click, a command, the sweep, the delivery log) without a line in each.
Told after the commit, not when written: a claim that lost its race or a transaction rolled
back (a savepoint of grouped intake included) never happened, so it is neither logged nor
counted. What is told is the lead's id, the kind of change, who made it and a few details that
are ids, names from leadbot.yml or leadbot's own words; never the lead's name, email, phone or
company, nor free text someone typed (a note, a reason).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from bot.clock import as_utc

__all__ = ["ESCALATION_STEP", "OBSERVER", "Change", "ChangeObserver", "note"]

log = logging.getLogger(__name__)
ESCALATION_STEP = "escalation_step"  # a Change's kind for each action a step runs
OBSERVER = "leadbot.change_observer"  # the key of `Session.info` holding the observer
_PENDING = "leadbot.changes"
_MARKS = "leadbot.change_marks"
# Details that are ids, counts, names from leadbot.yml or leadbot's own words.
_SAFE = frozenset((
    "owner", "to", "previous_owner", "step", "tone", "task", "outcome", "cadence", "result",
    "until", "held_until", "first", "error", "action", "source",
))  # fmt: skip
_SHOWN = 64  # characters of a detail's value, at most


class ChangeObserver(Protocol):
    def changed(self, change: Change) -> None: ...


@dataclass(frozen=True)
class Change:
    lead_id: int
    actor: str
    kind: str  # an EventKind, or ESCALATION_STEP
    tier: str | None = None
    waited: float | None = None  # seconds since the lead arrived (a claim, a first contact)
    detail: dict[str, Any] = field(default_factory=dict)
    logged: bool = True  # an escalation step is logged as the events its actions write


def note(
    session: Session,
    lead_id: int,
    actor: str,
    kind: str,
    detail: dict[str, object],
    *,
    tier: str | None = None,
    since: datetime | None = None,
    at: datetime | None = None,
    logged: bool = True,
) -> None:
    """Hold a change until `session` commits. `since` and `at`: when the lead arrived and when
    this happened, for the waits (`Change.waited`)."""
    waited = (as_utc(at) - as_utc(since)).total_seconds() if since and at else None
    # From the detail's own few keys (in their order), not a look-up of every safe name: a
    # sweep tick notes hundreds of changes.
    safe = {
        key: _shown(value) for key, value in detail.items() if key in _SAFE and value is not None
    }
    change = Change(lead_id, actor, str(kind), tier, waited, safe, logged)
    session.info.setdefault(_PENDING, []).append(change)


def _shown(value: object) -> object:
    if isinstance(value, bool | int | float):
        return value
    return str(value)[:_SHOWN]


def _tell(change: Change, observer: ChangeObserver | None) -> None:
    if change.logged and log.isEnabledFor(logging.INFO):
        shown = " ".join(f"{key}={value}" for key, value in change.detail.items())
        extra = {"lead_id": change.lead_id, "actor": change.actor, "event": change.kind}
        log.info(
            "lead %s %s by %s%s",
            change.lead_id,
            change.kind,
            change.actor,
            f" ({shown})" if shown else "",
            extra={**extra, **{f"detail_{key}": value for key, value in change.detail.items()}},
        )
    if observer is not None:
        try:
            observer.changed(change)
        except Exception:  # a metric must never fail what has committed
            log.exception("lead %s: counting the change %s failed", change.lead_id, change.kind)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: its changes wait for the rest
        return
    changes = session.info.pop(_PENDING, [])
    session.info.pop(_MARKS, None)
    observer = session.info.get(OBSERVER)
    for change in changes:
        _tell(change, observer)


@event.listens_for(Session, "after_transaction_create")
def _began(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[id(transaction)] = len(session.info.get(_PENDING, []))


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    """What the rolled-back transaction held is forgotten: all of it, or since its savepoint."""
    pending = session.info.get(_PENDING)
    if previous.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)
        return
    if not previous.nested:
        return  # a flush's own: the savepoint or transaction around it is rolled back next
    mark = session.info.get(_MARKS, {}).pop(id(previous), None)
    if pending is not None and mark is not None:
        del pending[mark:]
