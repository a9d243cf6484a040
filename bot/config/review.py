"""`digest:` in leadbot.yml: when the weekly review goes out, and how the leaderboard shows.

```yaml
digest:
  day: mon            # the review covers the week that ended as this day began
  at: "09:00"         # each person's own clock
  leaderboard: on     # on | anonymised | off (names, "Rep 1…" with yours shown, or none)
  enabled: true
```
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict

from bot.config.errors import describe, to_clock_time

Leaderboard = Literal["on", "anonymised", "off"]
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _board(value: object) -> object:
    # YAML reads a bare `on`/`off` as true/false: take them as the words they were.
    if value is True:
        return "on"
    if value is False:
        return "off"
    if isinstance(value, str) and value.strip().lower() in ("anonymized", "anonymous"):
        return "anonymised"
    return value.strip().lower() if isinstance(value, str) else value


def _day(value: object) -> object:
    text = value.strip().lower()[:3] if isinstance(value, str) else value
    if text not in WEEKDAY_NAMES:
        raise ValueError(f"expected a weekday (mon … sun), got {describe(value)}")
    return text


class DigestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    day: Annotated[str, BeforeValidator(_day)] = "mon"
    at: Annotated[time, BeforeValidator(to_clock_time)] = time(9)
    leaderboard: Annotated[Leaderboard, BeforeValidator(_board)] = "on"
    enabled: bool = True

    @property
    def weekday(self) -> int:
        return WEEKDAY_NAMES.index(self.day)
