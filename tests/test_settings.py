"""The environment as leadbot reads it (bot/settings.py): every value of a variable with a fixed
set of answers is either one of them or refused in one line that names the variable."""

from __future__ import annotations

import http.client

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


@given(st.text(min_size=1))
def test_a_slack_token_that_cannot_go_in_a_header_is_refused_by_name(token: str) -> None:
    """A token is refused, in one line naming its variable, exactly when it holds what does
    not belong in a token (a space, a line break, a control or non-ASCII character); one
    accepted goes into the `Authorization` header (leadbot serve's first Slack call would
    otherwise end in a traceback)."""
    unfit = not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token)
    for socket_mode, name, sent in (
        (False, "SLACK_BOT_TOKEN", token),
        (True, "SLACK_APP_TOKEN", "xapp-" + token),
    ):
        settings = Settings(
            slack_bot_token="xoxb-1" if socket_mode else token,
            slack_signing_secret="s",
            slack_app_token=sent if socket_mode else None,
        )
        try:
            settings.require_for_serve(socket_mode)
        except SettingsError as err:
            assert unfit and str(err).startswith(f"{name} holds a space"), err
        else:
            assert not unfit
            request = http.client.HTTPConnection("localhost")
            request.putrequest("POST", "/api/auth.test")
            request.putheader("Authorization", f"Bearer {sent}")  # ValueError if it cannot
