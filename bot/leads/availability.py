"""Reps saying they are away (`/leads away [until]`) and back (`/leads back`): routing skips
away reps (bot/routing/state.py reads the same table)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from bot.clock import Clock
from bot.config.schema import Config
from bot.hours import snooze_until
from storage.db import Database
from storage.models import RepAway


class Availability:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    def set_away(self, user_id: str, choice: str | None) -> datetime | None:
        """Mark the rep away until `choice` ("2h", "tomorrow") or until they say they are back."""
        now = self.clock.now()
        until = snooze_until(choice, now, self.config.tz_for(user_id)) if choice else None
        with self.db.write() as session:
            session.merge(RepAway(user_id=user_id, since=now, until=until))
        return until

    def set_back(self, user_id: str) -> bool:
        with self.db.write() as session:
            return bool(session.execute(delete(RepAway).where(RepAway.user_id == user_id)).rowcount)
