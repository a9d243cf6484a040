"""The config model (bot/config/schema.py): defaults, shorthands, lookups, immutability."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config.errors import ConfigError
from bot.config.load import parse_config
from tests.config.conftest import base


def test_minimal_config_gets_defaults() -> None:
    config = parse_config(base())
    assert config.timezone == "UTC"
    assert config.business_hours is None
    assert config.channels.leads is None
    assert config.admins == []
    assert config.scheduler.tick == timedelta(seconds=5)


def test_business_hours_always_means_none_and_full_day_names_are_accepted() -> None:
    assert parse_config({**base(), "business_hours": "always"}).business_hours is None
    hours = {"days": ["Monday", "sat"], "start": "8:00", "end": "12:00"}
    config = parse_config({**base(), "business_hours": hours})
    assert config.business_hours is not None
    assert config.business_hours.days == ["mon", "sat"]
    assert config.business_hours.start == time(8, 0)


def test_helpers() -> None:
    config = parse_config(
        {
            **base(),
            "timezone": "America/Chicago",
            "managers": [{"id": "U0MAYA", "name": "Maya", "timezone": "Asia/Tokyo"}, "U0SAM"],
            "admins": ["U0SAM"],
        }
    )
    assert config.rep_ids() == ["U0ALICE", "U0BO"]
    alice = config.rep("U0ALICE")
    assert alice is not None and alice.name == "Alice"
    assert config.rep("U0MAYA") is None
    assert config.tz_for("U0ALICE") == ZoneInfo("Europe/Berlin")
    assert config.tz_for("U0BO") == ZoneInfo("America/Chicago")
    assert config.tz_for("U0MAYA") == ZoneInfo("Asia/Tokyo")
    assert config.tz_for("U0NOBODY") == ZoneInfo("America/Chicago")
    assert config.is_manager("U0SAM") and config.is_manager("U0MAYA")
    assert not config.is_manager("U0ALICE")
    assert config.is_admin("U0SAM") and not config.is_admin("U0MAYA")
    assert [config.display_name(u) for u in ("U0BO", "U0MAYA", "U0SAM")] == ["Bo", "Maya", "U0SAM"]


def test_config_is_frozen() -> None:
    config = parse_config(base())
    with pytest.raises(ValueError):
        config.timezone = "Europe/Paris"  # type: ignore[misc]


def test_intake_window_defaults_and_bounds() -> None:
    intake = parse_config(base()).intake
    assert (intake.max_age, intake.max_ahead) == (timedelta(days=365), timedelta(minutes=5))
    custom = parse_config({**base(), "intake": {"max_age": "30d", "max_ahead": "1m"}}).intake
    assert (custom.max_age, custom.max_ahead) == (timedelta(days=30), timedelta(minutes=1))
    with pytest.raises(ConfigError) as err:
        parse_config({**base(), "intake": {"max_age": "30s", "max_ahead": "2d"}})
    assert err.value.errors == [
        "intake.max_age: must be between 1h and 3650d, got 30s",
        "intake.max_ahead: must be at most 1d, got 2d",
    ]


def test_delivery_pacing_defaults_are_slacks_limits_and_each_error_is_named() -> None:
    delivery = parse_config(base()).delivery
    assert (delivery.post_per_channel, delivery.post_burst, delivery.post_per_minute) == (1, 3, 600)
    assert (delivery.tier3_per_minute, delivery.tier4_per_minute) == (50, 100)
    assert delivery.summarise_after == timedelta(seconds=30)
    with pytest.raises(ConfigError) as err:
        parse_config(
            {**base(), "delivery": {"post_per_channel": 0, "summarise_after": "2s", "burst": 3}}
        )
    assert err.value.errors == [
        "delivery.post_per_channel: Input should be greater than 0",
        "delivery.summarise_after: must be between 5s and 1h, got 2s",
        "delivery.burst: unknown key (did you mean 'post_burst'?)",
    ]
