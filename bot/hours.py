"""Pure time arithmetic in people's own time zones (zoneinfo; DST-correct wall-clock times)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.durations import parse_duration

TOMORROW_MORNING = "tomorrow"
MORNING = time(9, 0)
SNOOZE_CHOICES: tuple[tuple[str, str], ...] = (
    ("15m", "15 minutes"),
    ("1h", "1 hour"),
    ("4h", "4 hours"),
    (TOMORROW_MORNING, "Tomorrow 9:00 (my time)"),
)


def tomorrow_at(now: datetime, tz: ZoneInfo, at: time = MORNING) -> datetime:
    """The next day's wall-clock `at` in `tz`, as UTC: 9:00 stays 9:00 across a DST change."""
    local_day = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(local_day, at, tzinfo=tz).astimezone(UTC)


def snooze_until(choice: str, now: datetime, tz: ZoneInfo) -> datetime:
    """`choice` is a duration ("15m") or "tomorrow"; raises ValueError for anything else."""
    if choice == TOMORROW_MORNING:
        return tomorrow_at(now, tz)
    return now + parse_duration(choice)
