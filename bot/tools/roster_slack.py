"""Who is in a Slack user group or channel, as `leadbot roster sync` writes them into `reps:`:
their ids, names, time zones and emails, read with the real WebClient and paced to Slack's
tiers (usergroups.* and conversations.list: Tier 2; conversations.members, users.info: Tier 4).
A 429 is retried after its Retry-After by slack_sdk's RateLimitErrorRetryHandler.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.config.errors import check_email, check_time_zone

# Slack's documented budgets per method, per minute; paced a little under them, with a few
# seconds' burst: a group of 8 is read at once, a group of 200 in about two minutes.
PER_MINUTE = {
    "usergroups.list": 20,
    "usergroups.users.list": 20,
    "conversations.list": 20,
    "conversations.members": 100,
    "users.info": 100,
}
HEADROOM = 0.95
BURST_SECONDS = 5.0
PAGE = 200  # Slack's advice for cursor pagination: no more than 200 a page
# The scope each method needs, for the one line that says what to add to manifest.yml.
SCOPE = {
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "conversations.list": "channels:read (and groups:read for private channels)",
    "conversations.members": "channels:read (and groups:read for private channels)",
    "users.info": "users:read",
}
# Ids as Slack writes them (S0614TZR7, C0123ABCD); a handle or name written so is taken as one.
GROUP_ID = re.compile(r"S(?=[A-Z]*[0-9])[A-Z0-9]{2,}")
CHANNEL_ID = re.compile(r"[CG](?=[A-Z]*[0-9])[A-Z0-9]{2,}")
SLACKBOT = "USLACKBOT"


class RosterError(Exception):
    """Slack refused, or could not be reached, or the group or channel is not there: one line."""


@dataclass(frozen=True)
class Member:
    """A person as `reps:` keeps them; timezone and email are None when Slack gave none usable."""

    id: str
    name: str
    timezone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Skipped:
    id: str
    name: str
    why: str  # "bot", "deactivated", "app user"


@dataclass
class Roster:
    source: str  # as the admin named it: "@sales", "#sales"
    members: list[Member] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Pacer:
    """Waits before each call so no method goes over its budget (a GCRA schedule per method)."""

    def __init__(
        self,
        per_minute: dict[str, float] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = PER_MINUTE if per_minute is None else per_minute
        self.monotonic, self.sleep = monotonic, sleep
        self._due: dict[str, float] = {}

    def wait(self, method: str) -> None:
        rate = self.per_minute.get(method)
        if rate is None:
            return
        interval = 60 / (rate * HEADROOM)
        tolerance = max(BURST_SECONDS - interval, 0.0)  # how far ahead of the pace it may run
        now = self.monotonic()
        due = self._due.get(method, now)
        at = max(now, due - tolerance)
        self._due[method] = max(due, at) + interval
        if at > now:
            self.sleep(at - now)


def make_client(token: str, base_url: str) -> WebClient:
    retries = [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=5)]
    return WebClient(token=token, base_url=base_url, timeout=30, retry_handlers=retries)


class SlackReader:
    def __init__(self, client: WebClient, pacer: Pacer | None = None, page: int = PAGE) -> None:
        self.client, self.pacer, self.page = client, pacer or Pacer(), page

    def usergroup(self, named: str) -> Roster:
        """`@sales`, `sales` or the group's id."""
        handle = named.strip().removeprefix("@")
        by_id = GROUP_ID.fullmatch(handle) is not None
        group_id = handle if by_id else self._group_id(handle)
        answer = self._call("usergroups.users.list", self.client.usergroups_users_list,
                            usergroup=group_id)  # fmt: skip
        members = [str(user) for user in answer.get("users") or []]
        return self._people(handle if by_id else f"@{handle}", members)

    def channel(self, named: str) -> Roster:
        """`#sales`, `sales` or the channel's id."""
        name = named.strip().removeprefix("#")
        by_id = CHANNEL_ID.fullmatch(name) is not None
        channel_id = name if by_id else self._channel_id(name)
        pages = self._pages("conversations.members", self.client.conversations_members,
                            "members", channel=channel_id)  # fmt: skip
        members = [str(member) for page in pages for member in page]
        return self._people(name if by_id else f"#{name}", members)

    def _group_id(self, handle: str) -> str:
        answer = self._call("usergroups.list", self.client.usergroups_list, include_users=False)
        groups = [g for g in answer.get("usergroups") or [] if isinstance(g, dict)]
        for group in groups:
            if str(group.get("handle", "")).casefold() == handle.casefold():
                return str(group["id"])
        known = ", ".join(sorted(f"@{g.get('handle')}" for g in groups)) or "none"
        raise RosterError(f"no user group @{handle} in this workspace (there are: {known})")

    def _channel_id(self, name: str) -> str:
        kinds = "public_channel,private_channel"
        pages = self._pages("conversations.list", self.client.conversations_list, "channels",
                            types=kinds, exclude_archived=True)  # fmt: skip
        for channel in (channel for page in pages for channel in page):
            if isinstance(channel, dict) and channel.get("name") == name.casefold():
                return str(channel["id"])
        raise RosterError(f"no channel #{name} that leadbot can see (private channels: invite "
                          "leadbot first, or pass the channel id)")  # fmt: skip

    def _pages(self, method: str, call: Callable[..., Any], key: str, **params: Any
               ) -> Iterator[list[Any]]:  # fmt: skip
        cursor = ""
        while True:
            answer = self._call(method, call, limit=self.page, cursor=cursor or None, **params)
            yield list(answer.get(key) or [])
            cursor = str((answer.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return

    def _people(self, source: str, ids: list[str]) -> Roster:
        roster = Roster(source)
        for user_id in dict.fromkeys(ids):  # once each, in Slack's order
            found = self._call("users.info", self.client.users_info, user=user_id).get("user")
            add_person(roster, {"id": user_id, **(found if isinstance(found, dict) else {})})
        if roster.members and not any(m.email for m in roster.members):
            roster.notes.append("Slack gave no emails: they need the users:read.email scope")
        return roster

    def _call(self, method: str, call: Callable[..., Any], **params: Any) -> Any:
        self.pacer.wait(method)
        try:
            return call(**params)
        except SlackApiError as err:
            raise RosterError(refusal(method, err.response)) from None
        except (SlackClientError, OSError) as err:
            reason = getattr(err, "reason", None) or err  # URLError: the socket's own words
            raise RosterError(f"cannot reach Slack at {self.client.base_url}: {reason}") from None


def refusal(method: str, response: Any) -> str:
    """Slack's error as one line that says what to do about it."""
    error = str(response.get("error") if hasattr(response, "get") else response)
    if error == "missing_scope":
        needed = (response.get("needed") if hasattr(response, "get") else None) or SCOPE[method]
        fix = f"add {needed} to the app's bot scopes in manifest.yml, then reinstall the app"
    elif error in ("not_authed", "invalid_auth", "account_inactive", "token_revoked"):
        fix = "check SLACK_BOT_TOKEN: the bot token, xoxb-…"
    elif error == "ratelimited":
        fix = "Slack kept answering 429: try again in a minute"
    elif error == "no_such_subteam":
        fix = "check the user group's id, S…"
    elif error == "channel_not_found":
        fix = "check the id; a private channel must have leadbot invited"
    else:
        return f"Slack refused {method}: {error}"
    return f"Slack refused {method}: {error} ({fix})"


def add_person(roster: Roster, user: dict[str, Any]) -> None:
    """One users.info `user` into the roster's members, or its skipped with the reason."""
    user_id = str(user.get("id") or "")
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    name = display_name(user, profile) or user_id
    why = _skip_reason(user, user_id)
    if why:
        roster.skipped.append(Skipped(user_id, name, why))
        return
    who = f"{name} ({user_id})"
    roster.members.append(Member(user_id, name, _time_zone(roster, who, user.get("tz")),
                                 _email(roster, who, profile.get("email"))))  # fmt: skip


def _skip_reason(user: dict[str, Any], user_id: str) -> str | None:
    if user.get("is_bot") or user_id == SLACKBOT:
        return "bot"
    if user.get("deleted"):
        return "deactivated"
    if user.get("is_app_user"):
        return "app user"
    return None


def display_name(user: dict[str, Any], profile: dict[str, Any]) -> str:
    """The name people know them by, on one line: real name, else display name, else handle."""
    for value in (profile.get("real_name"), user.get("real_name"), profile.get("display_name"),
                  user.get("name")):  # fmt: skip
        cleaned = one_line(value) if isinstance(value, str) else ""
        if cleaned:
            return cleaned
    return ""


def one_line(text: str) -> str:
    # Control characters, line and paragraph separators would split a card's line (or the
    # YAML's): each becomes a space, and runs of spaces one.
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _time_zone(roster: Roster, who: str, tz: object) -> str | None:
    if not isinstance(tz, str) or not tz:
        return None
    try:
        return check_time_zone(tz)
    except ValueError:
        shown = one_line(tz)
        roster.notes.append(f"{who}: Slack's time zone {shown!r} is not one leadbot knows; "
                            "written without one (the top-level timezone applies)")  # fmt: skip
        return None


def _email(roster: Roster, who: str, email: object) -> str | None:
    if not isinstance(email, str) or not email:
        return None
    try:
        return check_email(email.strip())
    except ValueError:
        roster.notes.append(f"{who}: Slack's email is not an address leadbot takes; left out")
        return None
