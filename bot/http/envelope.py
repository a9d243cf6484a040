"""Whether a signed Slack payload has the envelope Slack gives it, before Bolt reads it.

Bolt trusts the envelope: it reads `actions[0]`, `"id" in user`, `event["type"]` and the like
before any listener runs, so a payload with `"actions": []` or `"user": 5` fails inside Bolt
with a traceback. Only the shapes leadbot handles pass: slash commands, block actions, view
submissions and closes, events and the URL check. Anything else is answered 200 and ignored.
A NUL character anywhere is refused too: Slack's own clients never send one, and PostgreSQL
refuses it in text, so a slash command's note would fail its transaction with a traceback.
"""

from __future__ import annotations

from typing import Any

from bot.config.errors import USER_ID

REFERENCES = ("user", "team", "channel", "enterprise", "container", "message", "view", "event")


def readable(body: Any) -> bool:
    if not isinstance(body, dict) or not _references_ok(body):
        return False
    if "command" in body:
        return _text(body["command"]) and _is_user(body.get("user_id"))
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        return (
            _person(body)
            and isinstance(actions, list)
            and bool(actions)
            and all(
                isinstance(action, dict) and _text(action.get("action_id")) for action in actions
            )
        )
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        return (
            _person(body)
            and isinstance(view, dict)
            and _text(view.get("callback_id"))
            and (_text(view.get("type")))
        )
    if kind == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and _text(event.get("type")) and _plain(event)
    return kind == "url_verification" and _text(body.get("challenge"))


def nul_in(value: Any) -> bool:
    """Whether a NUL character is in any text of a decoded payload, keys included."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(nul_in(key) or nul_in(item) for key, item in value.items())
    if isinstance(value, list):
        return any(nul_in(item) for item in value)
    return False


def _references_ok(body: dict[str, Any]) -> bool:
    """What Bolt's context reads: an id as text, or an object whose `id` is text."""
    for key in REFERENCES:
        value = body.get(key)
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, dict) or not isinstance(value.get("id", ""), str):
            return False
    authorizations = body.get("authorizations")
    return authorizations is None or (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    )


def _plain(event: dict[str, Any]) -> bool:
    return all(event.get(key) is None or isinstance(event[key], str) for key in ("user", "channel"))


def _person(body: dict[str, Any]) -> bool:
    user = body.get("user")
    return isinstance(user, dict) and _is_user(user.get("id"))


def _is_user(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 21 and USER_ID.fullmatch(value) is not None


def _text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 3000
