"""The weekly digest, on schedule: at `digest.at` on `digest.day`, each reader's own clock, the
team's digest to the managers' channel (or, without one, to each manager) and each rep's own to
their DM. A digest missed while leadbot was down goes out when it is back, within CATCH_UP of
its moment; later it would read as news about a week long gone, so it is not sent.

`digests_sent (target, week)` is written in the transaction that queues the message, with
`ON CONFLICT DO NOTHING … RETURNING`: a second instance, or a tick run twice, sends nothing more.
Building a digest reads the database (a few queries a reader), so it runs in a scheduler job of
its own, never in the sweeps' ticks.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from blocks.digest import digest_blocks, digest_text
from blocks.wire import wire
from bot.clock import Clock, OncePerHour
from bot.config.schema import Config
from bot.delivery.alerts import tell_admins
from bot.delivery.outbox import enqueue_message
from bot.durations import format_duration
from bot.leads.quiet import quiet_until
from bot.review.digest import DigestService
from bot.review.digest_chart import distribution_png
from bot.review.digest_report import Digest
from bot.vocabulary import CopyKind
from storage.db import Database
from storage.followup import DigestSent

CATCH_UP = timedelta(days=1)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reader:
    target: str  # a user id (a DM) or the managers' channel
    tz: ZoneInfo
    rep: str | None  # whose numbers: None for the team's


class DigestSender:
    def __init__(self, db: Database, config: Config, clock: Clock, digests: DigestService,
                 wake: Callable[[], None]) -> None:  # fmt: skip
        self.db, self.config, self.clock, self.digests, self.wake = db, config, clock, digests, wake
        self._done: set[tuple[str, date]] = set()  # (target, week) known sent: no query a tick
        self._told = OncePerHour()

    def readers(self) -> list[Reader]:
        config = self.config
        team: list[Reader]
        if config.channels.managers:
            team = [Reader(config.channels.managers, ZoneInfo(config.timezone), None)]
        else:
            team = [Reader(m.id, config.tz_for(m.id), None) for m in config.managers]
        return team + [Reader(rep.id, config.tz_for(rep.id), rep.id) for rep in config.reps]

    def send_due(self) -> int:
        """Queue every digest whose moment has come this week; returns how many."""
        if not self.config.digest.enabled:
            return 0
        now = self.clock.now()
        by_zone: dict[str, list[tuple[Reader, date]]] = {}
        for reader in self.readers():
            week = self._due_week(reader.tz, now)
            if week is not None and (reader.target, week) not in self._done:
                by_zone.setdefault(reader.tz.key, []).append((reader, week))
        # One set of reads per zone, whatever its number of reps; one zone failing holds up
        # no other.
        sent = sum(self._zone(due, now) for due in by_zone.values())
        if sent:
            self.wake()
        if len(self._done) > 20 * (len(self.config.reps) + len(self.config.managers) + 1):
            self._done.clear()  # old weeks: the table still answers for them
        return sent

    def _zone(self, due: list[tuple[Reader, date]], now: datetime) -> int:
        """Build and queue one zone's digests. A failure is tried again on the next tick while
        the digests are due (CATCH_UP, not for ever), and the admins hear of it once an hour."""
        zone = due[0][0].tz
        try:
            digests = self.digests.build_many(zone, [reader.rep for reader, _ in due])
            return sum(self._send(reader, week, digests[reader.rep], now) for reader, week in due)
        except Exception as exc:  # the scheduler job must go on for the other zones
            if self._told.first(zone.key):
                log.exception("weekly digests for %s could not be sent", zone.key)
                self._tell(f"⚠️ The weekly digests for {zone.key} could not be sent "
                           f"({type(exc).__name__}); leadbot tries again until "
                           f"{format_duration(CATCH_UP)} after their hour.", now)  # fmt: skip
            return 0

    def _tell(self, text: str, now: datetime) -> None:
        try:
            with self.db.write() as session:
                tell_admins(session, self.config, None, text, now)
            self.wake()
        except Exception:  # the database itself may be what failed: the log above stands
            log.exception("the admins could not be told about the weekly digests")

    def _due_week(self, tz: ZoneInfo, now: datetime) -> date | None:
        """The local date of this week's digest day while its digest is due (from its hour,
        for CATCH_UP); None otherwise."""
        settings = self.config.digest
        local = now.astimezone(tz)
        day = local.date() - timedelta(days=(local.weekday() - settings.weekday) % 7)
        moment = datetime.combine(day, settings.at, tz)
        return day if moment <= local < moment + CATCH_UP else None

    def _send(self, reader: Reader, week: date, digest: Digest, now: datetime) -> int:
        person = reader.target[:1] in ("U", "W")
        kind = CopyKind.DM if person else CopyKind.CHANNEL
        held = quiet_until(self.config, reader.target, now, None) if person else None
        with self.db.write() as session:
            claimed = session.scalars(
                self.db.insert(DigestSent)
                .values(target=reader.target, week=week, sent_at=now)
                .on_conflict_do_nothing()
                .returning(DigestSent.target)
            ).all()
            if claimed:
                enqueue_message(
                    session, None, kind, reader.target, now, text=digest_text(digest),
                    prebuilt=wire(digest_blocks(digest)), digest=True, not_before=held,
                )  # fmt: skip
                chart = _chart(digest)
                if chart is not None:  # after the digest, in its lane: shared right below it
                    enqueue_message(session, None, kind, reader.target, now, text=chart["title"],
                                    digest=True, not_before=held, file=chart)  # fmt: skip
        self._done.add((reader.target, week))
        return len(claimed)


def _chart(digest: Digest) -> dict[str, str] | None:
    """The week's time-to-claim distribution beside the week before, as a file to share."""
    week, last = digest.week, digest.last
    if digest.empty or not week.claim_shares:
        return None
    title = f"Time to claim, {digest.scope}: {week.period.label} beside the week before"
    png = distribution_png(week.claim_shares, last.claim_shares, title)
    return {"name": "time-to-claim.png", "title": title, "png": base64.b64encode(png).decode()}
