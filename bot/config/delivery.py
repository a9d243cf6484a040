"""`delivery:` in leadbot.yml: how fast leadbot may call Slack, as Slack documents its limits
(shared/slack/LIMITS.md), and when a channel's backlog is summarised instead of posted card by
card. leadbot paces itself to these numbers instead of waiting for 429s."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.durations import Duration, format_duration

PerSecond = Annotated[float, Field(gt=0, le=1000)]
PerMinute = Annotated[float, Field(gt=0, le=60000)]


class DeliverySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    post_per_channel: PerSecond = 1.0  # chat.postMessage per second into one channel or DM
    post_burst: Annotated[int, Field(ge=1, le=100)] = 3
    post_per_minute: PerMinute = 600.0  # chat.postMessage across the workspace
    tier3_per_minute: PerMinute = 50.0  # chat.update, conversations.open, conversations.history
    tier4_per_minute: PerMinute = 100.0  # views.publish, views.open
    # A channel whose waiting copies would take longer than this at its pace gets one summary
    # post instead (a 2,000-lead import must not take half an hour to reach #leads).
    summarise_after: Duration = timedelta(seconds=30)
    in_flight: Annotated[int, Field(ge=1, le=256)] = 32  # Slack calls waiting for an answer

    @field_validator("summarise_after")
    @classmethod
    def _summary_range(cls, after: timedelta) -> timedelta:
        if not timedelta(seconds=5) <= after <= timedelta(hours=1):
            raise ValueError(f"must be between 5s and 1h, got {format_duration(after)}")
        return after
