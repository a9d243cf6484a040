"""The environment as leadbot reads it (bot/settings.py): every value of a variable with a fixed
set of answers is either one of them or refused in one line that names the variable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.settings import DEFAULT_DASHBOARD_REFRESH, DELIVERY_PROCESSES, Settings, SettingsError


@given(st.text(max_size=30))
def test_delivery_process_is_one_of_its_values_or_refused_by_name(value: str) -> None:
    env = {"LEADBOT_DELIVERY_PROCESS": value}
    chosen = value.strip().lower() or "separate"  # unset and empty mean the default
    if chosen in DELIVERY_PROCESSES:
        assert Settings.from_env(env).delivery_process == chosen
        return
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    message = str(refused.value)
    assert message.startswith("LEADBOT_DELIVERY_PROCESS must be separate or inline, not ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("value", "read"),
    [
        ("separate", "separate"),
        (" Inline ", "inline"),
        ("INLINE", "inline"),
        ("\r", "separate"),
        ("  ", "separate"),
    ],
)
def test_delivery_process_reads_its_values_in_any_case(value: str, read: str) -> None:
    assert Settings.from_env({"LEADBOT_DELIVERY_PROCESS": value}).delivery_process == read
    assert Settings.from_env({}).delivery_process == "separate"


@given(st.one_of(st.text(max_size=12), st.integers(-10, 5000).map(str)))
def test_dashboard_refresh_is_whole_seconds_in_range_or_refused_by_name(value: str) -> None:
    env = {"LEADBOT_DASHBOARD_REFRESH": value}
    text = value.strip()
    if not text:
        assert Settings.from_env(env).dashboard_refresh == DEFAULT_DASHBOARD_REFRESH
        return
    if text.isascii() and text.isdigit() and 2 <= int(text) <= 3600:
        assert Settings.from_env(env).dashboard_refresh == int(text)
        return
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    message = str(refused.value)
    assert message.startswith(
        "LEADBOT_DASHBOARD_REFRESH must be a whole number of seconds from 2 to 3600, not "
    )
    assert "\n" not in message


@pytest.mark.parametrize(
    ("value", "read"), [("2", 2), (" 30 ", 30), ("3600", 3600), ("\r", 15), ("", 15)]
)
def test_dashboard_refresh_reads_seconds(value: str, read: int) -> None:
    assert Settings.from_env({"LEADBOT_DASHBOARD_REFRESH": value}).dashboard_refresh == read
    assert Settings.from_env({}).dashboard_refresh == 15


@pytest.mark.parametrize("value", ["1", "0", "-5", "1.5", "15s", "3601", "٣"])
def test_dashboard_refresh_refuses_what_is_not_two_seconds_to_an_hour(value: str) -> None:
    with pytest.raises(SettingsError, match=f"not '{value}'$"):
        Settings.from_env({"LEADBOT_DASHBOARD_REFRESH": value})
