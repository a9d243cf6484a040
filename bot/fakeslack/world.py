"""Slack's side of the fake Web API (bot/fakeslack/server.py): messages, DM channels, views, and
(bot/fakeslack/directory.py) users, user groups and channels.

Not thread-safe by itself: FakeSlack calls it with its lock held. Answers follow the shapes in
Slack's method reference, trimmed to the fields a bot reads.
"""

import copy
import hashlib
import time
from collections.abc import Callable
from typing import Any

from bot.fakeslack.directory import Directory
from bot.fakeslack.files import FileStore

TEAM_ID, TEAM, BOT_USER_ID, BOT_USER, BOT_ID, APP_ID = (
    "T0TEAM",
    "Acme",
    "UBOT",
    "leadbot",
    "B0BOT",
    "A0APP",
)
_CONTENT_KEYS = ("text", "blocks", "attachments", "metadata")

Args = dict[str, Any]
Answer = dict[str, Any]


class SlackWorld:
    def __init__(self) -> None:
        self._serial = 0  # never reset: ts and view ids stay unique across FakeSlack.reset()
        self._last_ts = 0
        self.files = FileStore()  # bot/fakeslack/files.py
        self.directory = Directory()  # bot/fakeslack/directory.py
        self.reset()

    def reset(self) -> None:
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._homes: dict[str, str] = {}  # user id -> their App Home view id
        self._deactivated: set[str] = set()  # users: conversations.open says user_disabled
        self._outside: set[str] = set()  # channels the bot is not in: not_in_channel
        self.files.reset()
        self.directory.reset()

    def call(self, method: str, args: Args) -> Answer:
        return METHODS[method](self, args)

    # -- inspection (deep copies: callers must not reach into live state) ----------------------
    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        found = self._messages.get((channel, ts))
        return copy.deepcopy(found) if found else None

    def messages(self, channel: str | None) -> list[dict[str, Any]]:
        # dicts keep insertion order, which is post order
        return [
            copy.deepcopy(m) for m in self._messages.values() if channel in (None, m["channel"])
        ]

    def home(self, user_id: str) -> dict[str, Any] | None:
        view_id = self._homes.get(user_id)
        return copy.deepcopy(self._views[view_id]) if view_id else None

    def add_user(
        self, user_id: str, name: str, real_name: str, tz: str | None, **more: Any
    ) -> None:
        self.directory.add_user(user_id, name, real_name, tz, **more)

    def deactivate(self, user_id: str) -> None:
        self._deactivated.add(user_id)

    def leave(self, channel: str) -> None:
        self._outside.add(channel)

    # -- methods ---------------------------------------------------------------------------------
    def auth_test(self, args: Args) -> Answer:
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": TEAM,
            "user": BOT_USER,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def conversations_open(self, args: Args) -> Answer:
        if isinstance(args.get("channel"), str) and args["channel"]:  # re-opening by id
            return {"ok": True, "channel": {"id": args["channel"]}}
        users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
        if not users:
            return _error("users_list_not_supplied")
        if not all(_is_user(u) for u in users):
            return _error("user_not_found")
        if any(u in self._deactivated for u in users):
            return _error("user_disabled")
        return {"ok": True, "channel": {"id": dm_channel_id(",".join(users))}}

    def complete_upload(self, args: Args) -> Answer:
        channel = args.get("channel_id")
        resolved = resolve_channel(channel) if channel else None
        if channel and (resolved is None or resolved in self._outside):
            return _error("channel_not_found" if resolved is None else "not_in_channel")
        return self.files.complete(args, resolved)

    def chat_post_message(self, args: Args) -> Answer:
        channel = resolve_channel(args.get("channel"))
        if channel is None:
            return _error("channel_not_found")
        if channel in self._outside:
            return _error("not_in_channel")
        if any(dm_channel_id(u) == channel for u in self._deactivated):
            return _error("user_disabled")
        if not _has_content(args):
            return _error("no_text")
        ts = self._next_ts()
        message = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": "",
            **{k: copy.deepcopy(args[k]) for k in (*_CONTENT_KEYS, "thread_ts") if k in args},
            "history": [],
        }
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": _public(message)}

    def chat_update(self, args: Args) -> Answer:
        channel, ts = args.get("channel"), args.get("ts")
        if not isinstance(channel, str) or channel[:1] not in ("C", "G", "D"):
            return _error("channel_not_found")  # chat.update needs the id postMessage returned
        message = self._messages.get((channel, str(ts)))
        if message is None:
            return _error("message_not_found")
        if not _has_content(args):
            return _error("no_text")
        message["history"].append(
            {k: copy.deepcopy(v) for k, v in message.items() if k != "history"}
        )
        # Slack keeps fields the update leaves out (an empty list clears blocks/attachments).
        message.update({k: copy.deepcopy(args[k]) for k in _CONTENT_KEYS if k in args})
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        answer = {"channel": channel, "ts": message["ts"], "text": message["text"]}
        return {"ok": True, **answer, "message": _public(message)}

    def conversations_history(self, args: Args) -> Answer:
        """Newest first, top-level messages only; `metadata` only with include_all_metadata."""
        channel = args.get("channel")
        if not isinstance(channel, str) or channel[:1] not in ("C", "G", "D"):
            return _error("channel_not_found")
        if channel in self._outside:
            return _error("not_in_channel")
        oldest, latest = _float(args.get("oldest"), 0.0), _float(args.get("latest"), 1e12)
        limit = max(1, min(int(_float(args.get("limit"), 100)), 999))
        start = int(_float(args.get("cursor"), 0))
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [
            m
            for (where, ts), m in reversed(self._messages.items())
            if where == channel and oldest < float(ts) < latest and "thread_ts" not in m
        ]
        page = found[start : start + limit]
        more = start + limit < len(found)
        answer: Answer = {
            "ok": True,
            "messages": [_public(m, with_metadata) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }
        return answer

    def chat_get_permalink(self, args: Args) -> Answer:
        """As Slack answers it (docs: chat.getPermalink), for a top-level message."""
        channel, ts = args.get("channel"), str(args.get("message_ts") or "")
        if not isinstance(channel, str) or channel[:1] not in ("C", "G", "D"):
            return _error("channel_not_found")
        if (channel, ts) not in self._messages:
            return _error("message_not_found")
        link = f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def chat_post_ephemeral(self, args: Args) -> Answer:
        # Ephemeral messages are not part of channel history: only the recorded call keeps them.
        if resolve_channel(args.get("channel")) is None:
            return _error("channel_not_found")
        if not _is_user(args.get("user")):
            return _error("user_not_found")
        if not _has_content(args):
            return _error("no_text")
        return {"ok": True, "message_ts": self._next_ts()}

    def views_publish(self, args: Args) -> Answer:
        user_id = args.get("user_id")
        if not _is_user(user_id):
            return _error("invalid_arguments")
        view_id = self._homes.get(user_id) or self._new_view_id()
        self._homes[user_id] = view_id
        return self._store_view(view_id, args["view"])

    def views_open(self, args: Args) -> Answer:
        if not args.get("trigger_id"):
            return _error("invalid_arguments")
        return self._store_view(self._new_view_id(), args["view"])

    def views_update(self, args: Args) -> Answer:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            wanted = args["external_id"]
            view_id = next((i for i, v in self._views.items() if v["external_id"] == wanted), None)
        if view_id not in self._views:
            return _error("not_found")
        if args.get("hash") and args["hash"] != self._views[view_id]["hash"]:
            return _error("hash_conflict")  # someone else updated the view in between
        return self._store_view(view_id, args["view"])

    def users_info(self, args: Args) -> Answer:
        return self.directory.users_info(args, self._deactivated)

    # -- helpers ---------------------------------------------------------------------------------
    def _next_ts(self) -> str:
        """The posting time, as Slack's ts is (conversations.history's `oldest` relies on it),
        and unique: never the same microsecond twice."""
        micros = max(time.time_ns() // 1000, self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_view_id(self) -> str:
        self._serial += 1
        return f"V{self._serial:09d}"

    def _store_view(self, view_id: str, view: dict[str, Any]) -> Answer:
        defaults = {"private_metadata": "", "callback_id": "", "external_id": "", "blocks": []}
        fixed = {
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "state": {"values": {}},
            "hash": self._next_ts(),
            "root_view_id": view_id,
        }
        stored = {**defaults, **copy.deepcopy(view), **fixed}
        self._views[view_id] = stored
        return {"ok": True, "view": copy.deepcopy(stored)}


METHODS: dict[str, Callable[[SlackWorld, Args], Answer]] = {
    "auth.test": SlackWorld.auth_test,
    "conversations.open": SlackWorld.conversations_open,
    "chat.postMessage": SlackWorld.chat_post_message,
    "chat.update": SlackWorld.chat_update,
    "chat.postEphemeral": SlackWorld.chat_post_ephemeral,
    "chat.getPermalink": SlackWorld.chat_get_permalink,
    "conversations.history": SlackWorld.conversations_history,
    "views.publish": SlackWorld.views_publish,
    "views.open": SlackWorld.views_open,
    "views.update": SlackWorld.views_update,
    "users.info": SlackWorld.users_info,
    "usergroups.list": lambda world, args: world.directory.usergroups_list(args),
    "usergroups.users.list": lambda world, args: world.directory.usergroups_users_list(args),
    "conversations.list": lambda world, args: world.directory.conversations_list(args),
    "conversations.members": lambda world, args: world.directory.conversations_members(args),
    "files.getUploadURLExternal": lambda world, args: world.files.get_upload_url(args),
    "files.completeUploadExternal": SlackWorld.complete_upload,
}


def dm_channel_id(users: str) -> str:
    """The stable DM id for "U1" (or group DM id for "U1,U2"), as conversations.open gives."""
    members = sorted(u.strip() for u in users.split(",") if u.strip())
    digest = hashlib.sha1(",".join(members).encode()).hexdigest()[:9].upper()
    return ("D" if len(members) == 1 else "G") + digest


def resolve_channel(channel: object) -> str | None:
    """chat.postMessage accepts a user id and posts to that user's DM with the bot."""
    if not isinstance(channel, str) or len(channel) < 2:
        return None
    if _is_user(channel):
        return dm_channel_id(channel)
    return channel if channel[0] in ("C", "G", "D") else None


def _is_user(user_id: object) -> bool:
    return isinstance(user_id, str) and len(user_id) > 1 and user_id[0] in ("U", "W")


def _has_content(args: Args) -> bool:
    return any(args.get(k) for k in ("text", "blocks", "attachments"))


def _public(message: dict[str, Any], with_metadata: bool = True) -> dict[str, Any]:
    """The `message` object Slack answers with (no channel, no history)."""
    hidden = ("channel", "history") if with_metadata else ("channel", "history", "metadata")
    return {k: copy.deepcopy(v) for k, v in message.items() if k not in hidden}


def _float(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _error(error: str) -> Answer:
    return {"ok": False, "error": error}
