"""The quarantine's service: hold a payload that could not be a lead (and tell the admins in
Slack, once an hour per source: a form gone wrong sends many), list, show, dismiss with a
reason; retrying lives in retry.py. Nothing is ever deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from blocks.mrkdwn import escape
from bot.clock import Clock, OncePerHour
from bot.config.schema import Config
from bot.delivery.alerts import tell_admins
from storage.db import Database
from storage.sources import Quarantined, QuarantineStatus

SHOWN_PROBLEMS = 3


@dataclass(frozen=True)
class Held:
    id: int
    source: str
    kind: str
    received_at: datetime
    status: str
    attempts: int
    problems: tuple[str, ...]  # "email: 'x' is not an email address"
    lead_id: int | None
    note: str | None
    body: str


class Quarantine:
    def __init__(self, db: Database, config: Config, clock: Clock,
                 wake: Callable[[], None] = lambda: None) -> None:  # fmt: skip
        self.db, self.config, self.clock, self.wake = db, config, clock, wake
        self.told = OncePerHour()

    def hold(self, source: str, kind: str, body: str, problems: list[dict[str, str]]) -> int:
        """Keep `body` with why, in one transaction with the admins' alert (when due). A NUL
        (which PostgreSQL refuses in text, and intake in any lead) is kept as U+FFFD."""
        body = body.replace("\x00", "\ufffd")
        now = self.clock.now()
        with self.db.write() as session:
            row = Quarantined(source=source, kind=kind, received_at=now, body=body,
                              problems=list(problems), status=QuarantineStatus.HELD,
                              attempts=0)  # fmt: skip
            session.add(row)
            session.flush()
            held = int(row.id)
            alerted = self.told.first(("quarantine", source))
            if alerted:
                waiting = session.scalar(
                    select(func.count()).where(
                        Quarantined.status == QuarantineStatus.HELD,
                        Quarantined.source == source,
                    )
                )
                text = _alert(source, kind, held, problems, int(waiting or 1))
                tell_admins(session, self.config, None, text, now)
        if alerted:
            self.wake()
        return held

    def list(self, status: str | None = QuarantineStatus.HELD, limit: int = 100) -> list[Held]:
        query = select(Quarantined).order_by(Quarantined.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Quarantined.status == status)
        with self.db.read() as session:
            return [_held(row) for row in session.scalars(query)]

    def get(self, held_id: int) -> Held | None:
        with self.db.read() as session:
            row = session.get(Quarantined, held_id)
            return None if row is None else _held(row)

    def dismiss(self, held_id: int, reason: str) -> str | None:
        """Mark a held payload as no lead, keeping it; None, or why not."""
        with self.db.write() as session:
            row = session.get(Quarantined, held_id)
            if row is None:
                return f"nothing in the quarantine has id {held_id}"
            if row.status != QuarantineStatus.HELD:
                return f"#{held_id} is {row.status} already"
            row.status, row.note, row.updated_at = (
                QuarantineStatus.DISMISSED, reason, self.clock.now())  # fmt: skip
        return None


def _held(row: Quarantined) -> Held:
    problems = tuple(f"{p.get('field', '?')}: {p.get('message', '')}" for p in row.problems or [])
    return Held(row.id, row.source, row.kind, row.received_at, row.status, row.attempts,
                problems, row.lead_id, row.note, row.body)  # fmt: skip


def _alert(source: str, kind: str, held: int, problems: Sequence[dict[str, str]],
           waiting: int) -> str:  # fmt: skip
    """The admins' message: what is wrong (escaped: the words quote the payload) and the fix."""
    said = "; ".join(f"{p.get('field', '?')}: {p.get('message', '')}"
                     for p in problems[:SHOWN_PROBLEMS])  # fmt: skip
    more = f" (and {len(problems) - SHOWN_PROBLEMS} more)" if len(problems) > SHOWN_PROBLEMS else ""
    others = f" {waiting} from this source wait there now." if waiting > 1 else ""
    return (
        f"⚠️ A lead from the source *{escape(source)}* ({kind}) could not be taken, so it is "
        f"held in the quarantine as #{held}: {escape(said)}{more}.{others}\n"
        f"If the mapping is wrong, fix `sources.{escape(source)}.map` in leadbot.yml and run "
        f"`leadbot quarantine retry {held}`; `leadbot quarantine list` shows what is held."
    )
