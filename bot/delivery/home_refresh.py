"""Keep each App Home tab current: republish it when a lead of theirs changes, at most once per
`throttle` per person.

The event log is the change feed: every state change writes a `lead_events` row, so reading the
rows added since the last pass says whose tab is stale without touching the hot transactions.
Only people who have opened the tab (`home_tabs`) are republished; managers see the team table
and the queue, so any change makes theirs stale.

`views.publish` is paced to `delivery.tier4_per_minute` (Slack's Tier 4, per workspace): after
a burst of changes every open tab is stale at once, and unpaced they would all be republished at
once, over Slack's budget. A 429 holds the method for exactly `Retry-After` and leaves the tab
stale, to be drawn after it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, or_, select, update

from bot.clock import Clock, as_utc
from bot.config.schema import Config
from bot.delivery.pacing import Pacer
from bot.delivery.slack import delivery_error
from storage.db import Database
from storage.models import HomeTab, Lead, LeadEvent
from storage.periodic import Periodic

log = logging.getLogger(__name__)

# Draws a user's App Home view (a dict ready for views.publish).
HomeRenderer = Callable[[str], dict[str, Any]]
# Event ids are handed out before commit: a transaction can commit after one with a higher id.
# Rereading this many ids behind the newest seen catches those late commits.
LATE_COMMIT_WINDOW = 100
DETAIL_PEOPLE = ("owner", "previous_owner")
PUBLISH = "views.publish"


class HomeRefresher:
    def __init__(
        self,
        db: Database,
        client: WebClient,
        clock: Clock,
        config: Config,
        render: HomeRenderer,
        *,
        throttle: timedelta = timedelta(seconds=3),
        poll_seconds: float = 1.0,
        pacer: Pacer | None = None,
    ) -> None:
        self.db, self.client, self.clock, self.config = db, client, clock, config
        self.pacer = pacer or Pacer(config.delivery)
        self.render = render
        self.throttle = throttle
        self.poll_seconds = poll_seconds
        self._stale: dict[str, datetime] = {}  # user -> when the change was noticed
        self._newest_seen: int | None = None  # read at the first pass: the schema exists by then
        self._seen_recently: set[int] = set()
        self._lock = threading.Lock()  # one pass at a time: the thread, or a test's run_once
        self._stop = threading.Event()  # a pass in progress stops drawing at once
        self._thread: Periodic | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = Periodic("leadbot-home", self.poll_seconds, self._pass, stopping=self._stop)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()  # a pass run without the thread stops drawing too
        if self._thread is not None:
            self._thread.stop()
            self._thread = None

    def _pass(self) -> None:
        try:
            self.run_once()
        except Exception:  # the refresher must outlive a bad moment in the database
            log.exception("App Home refresh pass failed; trying again next pass")

    # -- the work --------------------------------------------------------------------------
    def opened(self, user_id: str) -> None:
        """The user opened the tab: remember them, and draw it fresh now."""
        self._watch_from_now()
        now = self.clock.now()
        with self.db.write() as session:
            tab = session.get(HomeTab, user_id)
            if tab is None:
                session.add(HomeTab(user_id=user_id, opened_at=now, published_at=now))
            else:
                tab.opened_at = tab.published_at = now
        self._draw(user_id)

    def run_once(self) -> int:
        """Note whose tabs went stale since the last pass; redraw those not throttled."""
        self._watch_from_now()
        with self._lock:
            now = self.clock.now()
            for user_id in self._people_with_changes():
                self._stale.setdefault(user_id, now)
            if not self._stale:
                return 0
            tabs = self._tabs(set(self._stale))
            drawn = 0
            for user_id, noticed in list(self._stale.items()):
                if self._stop.is_set():  # the rest are redrawn at the next start's first change
                    break
                if user_id not in tabs or _drawn_since(tabs[user_id], noticed):
                    del self._stale[user_id]  # never opened, or redrawn elsewhere meanwhile
                elif self._take_turn(user_id, now):
                    if not self._draw(user_id):
                        self._unstamp(user_id, now)  # still stale: drawn when Slack allows
                        continue
                    del self._stale[user_id]
                    drawn += 1
            return drawn

    def stale_people(self) -> set[str]:
        """Whose tabs wait for a redraw (after their throttle)."""
        with self._lock:
            return set(self._stale)

    def _take_turn(self, user_id: str, now: datetime) -> bool:
        """Stamp the redraw unless one happened within the throttle: with several leadbot
        processes sharing a database, one of them draws, the others see the fresh stamp."""
        with self.db.write() as session:
            return bool(
                session.execute(
                    update(HomeTab)
                    .where(
                        HomeTab.user_id == user_id,
                        or_(
                            HomeTab.published_at.is_(None),
                            HomeTab.published_at <= now - self.throttle,
                        ),
                    )
                    .values(published_at=now)
                ).rowcount
            )

    def _draw(self, user_id: str) -> bool:
        """Publish the tab at its moment in Tier 4's pace. False: not drawn, and worth another
        try (Slack said 429, or the refresher is stopping); any other failure is drawn again at
        the next change (the stamp keeps it from looping)."""
        if self._stop.wait(self.pacer.reserve(PUBLISH, None)):
            return False
        try:
            self.client.views_publish(user_id=user_id, view=self.render(user_id))
        except SlackApiError as err:
            error = delivery_error(err)
            if error.retry_after is not None:
                self.pacer.hold(PUBLISH, None, error.retry_after)
            log.warning("views.publish for %s failed: %s", user_id, error.error)
            return error.retry_after is None
        return True

    def _unstamp(self, user_id: str, stamped: datetime) -> None:
        with self.db.write() as session:
            session.execute(
                update(HomeTab)
                .where(HomeTab.user_id == user_id, HomeTab.published_at == stamped)
                .values(published_at=None)
            )

    def _tabs(self, users: set[str]) -> dict[str, datetime | None]:
        with self.db.read() as session:
            rows = session.execute(
                select(HomeTab.user_id, HomeTab.published_at).where(HomeTab.user_id.in_(users))
            ).all()
        return {user: published for user, published in rows}

    def _people_with_changes(self) -> set[str]:
        newest = self._newest_seen or 0
        floor = max(newest - LATE_COMMIT_WINDOW, 0)
        with self.db.read() as session:
            rows = session.execute(
                select(LeadEvent.id, LeadEvent.detail, Lead.owner_id, Lead.claimed_by)
                .join(Lead, Lead.id == LeadEvent.lead_id)
                .where(LeadEvent.id > floor)
                .order_by(LeadEvent.id)
            ).all()
        people: set[str] = set()
        for event_id, detail, owner, claimer in rows:
            if event_id in self._seen_recently:
                continue
            self._seen_recently.add(event_id)
            people |= {owner, claimer, *((detail or {}).get(key) for key in DETAIL_PEOPLE)}
        if rows:
            self._newest_seen = newest = max(newest, rows[-1][0])
            floor = max(newest - LATE_COMMIT_WINDOW, 0)
            self._seen_recently = {i for i in self._seen_recently if i > floor}
            if people:
                people |= {*self.config.manager_ids(), *self.config.admins}
        return {p for p in people if isinstance(p, str) and p}

    def _watch_from_now(self) -> None:
        """Changes before the first pass are already in any tab drawn from now on."""
        with self._lock:
            if self._newest_seen is None:
                with self.db.read() as session:
                    self._newest_seen = session.scalar(select(func.max(LeadEvent.id))) or 0


def _drawn_since(published_at: datetime | None, noticed: datetime) -> bool:
    return published_at is not None and as_utc(published_at) > noticed
