"""Build Slack's inbound requests the way Slack does: signed, form-encoded, shaped like the docs.

Used by the demo and the tests to click buttons and run commands through real Bolt dispatch.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


def _trigger_id() -> str:
    """Unique, as Slack's are: two requests never carry the same body, so never the same
    signature (leadbot ignores a signature it has seen, as a replay)."""
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:16]}"


def signed_headers(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }


def block_action(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str | None,
    message_ts: str,
    response_url: str = "https://hooks.slack.com/actions/T0TEAM/1/x",
    selected: str | None = None,
    element: str = "overflow",
    block_id: str = "lead_card",
) -> str:
    """A `block_actions` payload for a button click (or, with `selected`, a choice in an
    `element`: "overflow" or "static_select"), form-encoded as Slack sends it. With no
    `channel_id` the click comes from the App Home tab: no channel, no message, no response_url.
    """
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T0TEAM", "domain": "acme"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0LEADBOT",
        "token": "legacy-verification-token",
        "trigger_id": _trigger_id(),
        "actions": [{**_action(action_id, value, selected, element), "block_id": block_id}],
    }
    if channel_id is None:
        payload["container"] = {"type": "view", "view_id": "V0HOME"}
        payload["view"] = {"id": "V0HOME", "type": "home", "callback_id": "", "hash": "1.abc"}
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
        }
        payload["channel"] = {"id": channel_id, "name": "directmessage"}
        payload["message"] = {"type": "message", "ts": message_ts}
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)})


def _action(action_id: str, value: str, selected: str | None, element: str) -> dict[str, Any]:
    stamp = f"{time.time():.6f}"
    if selected is None:
        return {
            "type": "button",
            "action_id": action_id,
            "block_id": "lead_card",
            "value": value,
            "action_ts": stamp,
        }
    return {
        "type": element,
        "action_id": action_id,
        "block_id": "lead_card",
        "selected_option": {"text": {"type": "plain_text", "text": "…"}, "value": selected},
        "action_ts": stamp,
    }


def slash_command(text: str, *, user_id: str, channel_id: str, response_url: str) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": "T0TEAM",
            "channel_id": channel_id,
            "user_id": user_id,
            "command": "/leads",
            "text": text,
            "api_app_id": "A0LEADBOT",
            "response_url": response_url,
            "trigger_id": _trigger_id(),
        }
    )


def post_signed(url: str, secret: str, body: str, *, sign: bool = True) -> tuple[int, str]:
    headers = signed_headers(secret, body) if sign else {}
    is_json = body.startswith("{")
    headers["Content-Type"] = "application/json" if is_json else "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def view_submission(
    callback_id: str,
    private_metadata: str,
    values: dict[str, dict[str, Any]],
    *,
    user_id: str,
    view_id: str = "V0MODAL",
) -> str:
    """A modal's `view_submission`, with `values` as Slack nests them: block -> action -> state.

    `view_id` is the id `views.open` answered with; Slack sends the same one again when the
    same modal is submitted twice."""
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": "T0TEAM", "domain": "acme"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0LEADBOT",
        "token": "legacy-verification-token",
        "trigger_id": _trigger_id(),
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "1.abc",
        },
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


def event_callback(event: dict[str, Any]) -> str:
    """An Events API delivery (JSON body, as Slack sends events)."""
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": "T0TEAM",
            "api_app_id": "A0LEADBOT",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(time.time()),
        }
    )
