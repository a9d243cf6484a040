"""The fake workspace's people, user groups and channels (bot/fakeslack/world.py): users.info,
usergroups.list, usergroups.users.list, conversations.list and conversations.members.

Answers follow the shapes of Slack's method reference, trimmed to the fields a bot reads; lists
page with `cursor` and `limit` as Slack's do. Not thread-safe by itself: FakeSlack holds its lock.
Standard library only (the demo ships the fake).
"""

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TEAM_ID = "T0TEAM"
DEFAULT_TZ = "America/New_York"
CREATED = 1_700_000_000  # when the fake's groups and channels were made (any fixed time)
# Slack pages conversations.* with `limit` (default 100, at most 1,000).
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000

Args = dict[str, Any]
Answer = dict[str, Any]


class Directory:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.users: dict[str, Answer] = {}
        self.usergroups: dict[str, Answer] = {}
        self.channels: dict[str, Answer] = {}
        self.members: dict[str, list[str]] = {}  # channel id -> its members' ids

    def add_user(
        self, user_id: str, name: str, real_name: str, tz: str | None, **more: Any
    ) -> None:
        """`more`: email, display_name, is_bot, is_app_user (as users.info shows them)."""
        self.users[user_id] = user(user_id, name, real_name, tz, **more)

    def add_usergroup(self, handle: str, users: list[str], name: str | None = None) -> str:
        group_id = "S" + _digest(handle)
        self.usergroups[group_id] = {
            "id": group_id,
            "team_id": TEAM_ID,
            "is_usergroup": True,
            "is_subteam": True,
            "name": name or handle.title(),
            "description": "",
            "handle": handle,
            "is_external": False,
            "date_create": CREATED,
            "date_update": CREATED,
            "date_delete": 0,
            "auto_type": None,
            "created_by": "U0ADMIN",
            "updated_by": "U0ADMIN",
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "users": list(users),
        }
        return group_id

    def add_channel(self, name: str, members: list[str], *, private: bool = False) -> str:
        channel_id = "C" + _digest(name)
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "name_normalized": name,
            "is_channel": not private,
            "is_group": private,
            "is_im": False,
            "is_mpim": False,
            "is_private": private,
            "is_archived": False,
            "is_general": False,
            "is_member": True,
            "created": CREATED,
            "creator": "U0ADMIN",
            "context_team_id": TEAM_ID,
        }
        self.members[channel_id] = list(members)
        return channel_id

    # -- methods ---------------------------------------------------------------------------------
    def users_info(self, args: Args, deactivated: set[str]) -> Answer:
        user_id = args.get("user")
        if not isinstance(user_id, str) or len(user_id) < 2 or user_id[0] not in ("U", "W"):
            return {"ok": False, "error": "user_not_found"}
        default = user(user_id, user_id.lower(), f"User {user_id}", DEFAULT_TZ)
        found = copy.deepcopy(self.users.get(user_id, default))
        # A deactivated account stays in users.info, marked deleted.
        found["deleted"] = user_id in deactivated
        return {"ok": True, "user": found}

    def usergroups_list(self, args: Args) -> Answer:
        with_users = _flag(args.get("include_users"))
        with_count = _flag(args.get("include_count"))
        groups = []
        for group in self.usergroups.values():
            shown = {k: copy.deepcopy(v) for k, v in group.items() if k != "users" or with_users}
            if with_count:
                shown["user_count"] = len(group["users"])
            groups.append(shown)
        return {"ok": True, "usergroups": groups}

    def usergroups_users_list(self, args: Args) -> Answer:
        group = self.usergroups.get(str(args.get("usergroup") or ""))
        if group is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(group["users"])}

    def conversations_list(self, args: Args) -> Answer:
        types = str(args.get("types") or "public_channel").split(",")
        wanted = {"public_channel": False, "private_channel": True}
        allowed = {wanted[t.strip()] for t in types if t.strip() in wanted}
        found = [copy.deepcopy(c) for c in self.channels.values() if c["is_private"] in allowed]
        return _paged("channels", found, args)

    def conversations_members(self, args: Args) -> Answer:
        members = self.members.get(str(args.get("channel") or ""))
        if members is None:
            return {"ok": False, "error": "channel_not_found"}
        return _paged("members", members, args)


def user(user_id: str, name: str, real_name: str, tz: str | None, **more: Any) -> Answer:
    """A users.info `user` object with the fields a bot reads, shaped like Slack's (a user
    without a time zone, as some bots are, has no tz fields)."""
    profile = {
        "real_name": real_name,
        "display_name": more.get("display_name", name),
        "team": TEAM_ID,
    }
    if more.get("email"):
        profile["email"] = more["email"]
    found: Answer = {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "real_name": real_name,
        "deleted": False,
        "is_bot": bool(more.get("is_bot")),
        "is_app_user": bool(more.get("is_app_user")),
        "profile": profile,
    }
    if tz is not None:
        found.update({"tz": tz, "tz_label": tz, "tz_offset": _offset(tz)})
    return found


def _offset(tz: str) -> int:
    try:
        offset = ZoneInfo(tz).utcoffset(datetime.now(UTC))
    except (ZoneInfoNotFoundError, ValueError):
        offset = None
    return int(offset.total_seconds()) if offset else 0


def _paged(key: str, items: list[Any], args: Args) -> Answer:
    """One page under `key` and the cursor of the next ("" on the last), as Slack pages."""
    try:
        limit = int(args.get("limit") or DEFAULT_LIMIT)
        start = int(args.get("cursor") or 0)
    except (TypeError, ValueError):
        return {"ok": False, "error": "invalid_cursor"}
    limit = max(1, min(limit, MAX_LIMIT))
    more = start + limit < len(items)
    cursor = str(start + limit) if more else ""
    return {
        "ok": True,
        key: items[start : start + limit],
        "response_metadata": {"next_cursor": cursor},
    }


def _flag(value: object) -> bool:
    return str(value).lower() in ("1", "true")


def _digest(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:9].upper()
