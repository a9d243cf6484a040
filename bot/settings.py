"""Environment settings: the public interface documented in docs/architecture.md and the README."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///leadbot.db"
SETUP_HINT = "see README.md, section 'Set up a Slack app'"
DELIVERY_PROCESSES = ("separate", "inline")
# Seconds between the dashboard's live updates. Under 2 s a floor of screens would be a load test.
DEFAULT_DASHBOARD_REFRESH, MIN_DASHBOARD_REFRESH, MAX_DASHBOARD_REFRESH = 15, 2, 3600


class SettingsError(Exception):
    """A missing or malformed environment variable; the message is one line for the user."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    config_path: str = "leadbot.yml"
    intake_token: str | None = None
    # `leadbot serve`: "separate" runs delivery in a worker process of its own (bot/worker/),
    # "inline" in the HTTP process (one process, half the memory, about half the throughput).
    delivery_process: str = "separate"
    # `GET /dashboard?token=…` for the sales floor's screen; unset, there is no dashboard.
    dashboard_token: str | None = None
    dashboard_refresh: int = DEFAULT_DASHBOARD_REFRESH
    # `sources:` in leadbot.yml name the variables that hold their secrets (never the secrets).
    source_secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    # The URL senders call, when a proxy stands in front: HubSpot signs the URI it called.
    public_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        # Blank (spaces, a stray "\r" from a Windows-edited .env) means unset, as for the others.
        delivery_process = (env.get("LEADBOT_DELIVERY_PROCESS") or "").strip().lower() or "separate"
        if delivery_process not in DELIVERY_PROCESSES:
            raise SettingsError(
                f"LEADBOT_DELIVERY_PROCESS must be separate or inline, not {delivery_process!r}"
            )
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            config_path=env.get("LEADBOT_CONFIG") or "leadbot.yml",
            intake_token=env.get("LEADBOT_INTAKE_TOKEN") or None,
            delivery_process=delivery_process,
            dashboard_token=(env.get("LEADBOT_DASHBOARD_TOKEN") or "").strip() or None,
            dashboard_refresh=_dashboard_refresh(env.get("LEADBOT_DASHBOARD_REFRESH") or ""),
            source_secrets=dict(env),
            public_url=(env.get("LEADBOT_PUBLIC_URL") or "").strip() or None,
        )

    def require_for_serve(self, socket_mode: bool) -> None:
        """Fail with one line naming the first missing variable (no traceback)."""
        needed = ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN" if socket_mode else "SLACK_SIGNING_SECRET"]
        values = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "SLACK_APP_TOKEN": self.slack_app_token,
        }
        for name in needed:
            if not values[name]:
                mode = "Socket Mode" if socket_mode else "HTTP mode"
                raise SettingsError(f"{name} is not set ({mode} needs it): {SETUP_HINT}")
            if name != "SLACK_SIGNING_SECRET" and not _fits_a_header(str(values[name])):
                raise SettingsError(
                    f"{name} holds a space, a line break or a character outside ASCII, so it "
                    f"cannot be sent to Slack: copy it again. {SETUP_HINT}"
                )
        if socket_mode and not (self.slack_app_token or "").startswith("xapp-"):
            raise SettingsError(
                f"SLACK_APP_TOKEN must be an app-level token (xapp-…): {SETUP_HINT}"
            )


def _fits_a_header(token: str) -> bool:
    """A token goes out as `Authorization: Bearer …`: a pasted line break or space (or a
    character outside ASCII) would fail every call with a traceback, not a message."""
    return token.isascii() and token.isprintable() and not any(c.isspace() for c in token)


def _dashboard_refresh(value: str) -> int:
    """LEADBOT_DASHBOARD_REFRESH: whole seconds in range; blank means the default."""
    text = value.strip()
    if not text:
        return DEFAULT_DASHBOARD_REFRESH
    seconds = int(text) if text.isascii() and text.isdigit() else None
    if seconds is None or not MIN_DASHBOARD_REFRESH <= seconds <= MAX_DASHBOARD_REFRESH:
        raise SettingsError(
            f"LEADBOT_DASHBOARD_REFRESH must be a whole number of seconds from "
            f"{MIN_DASHBOARD_REFRESH} to {MAX_DASHBOARD_REFRESH}, not {text!r}"
        )
    return seconds


def load_env_file(
    path: str | Path = ".env", env: MutableMapping[str, str] | None = None
) -> list[str]:
    """The `.env` file of the working directory, when there is one, into the environment (as
    Docker Compose and most hosts read it): `KEY=value` lines, `#` comments, quotes as in a
    shell, values taken literally (no `${VAR}`: a password may hold a `$`); an empty value is
    left out, as unset. A variable already set wins over the file. Returns the names it set;
    values are never printed."""
    file = Path(path)
    if not file.is_file():
        return []
    try:
        values = dotenv_values(file, interpolate=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        raise SettingsError(f"{file}: cannot be read ({reason})") from None
    target = os.environ if env is None else env
    added = {name: value for name, value in values.items() if value and name not in target}
    target.update(added)
    return list(added)
