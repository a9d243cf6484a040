"""The environment as leadbot reads it (bot/settings.py): every value of a variable with a fixed
set of answers is either one of them or refused in one line that names the variable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.settings import DELIVERY_PROCESSES, Settings, SettingsError


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
