"""A running leadbot plus the fake Slack, with the verbs tests use: post a lead, click a button."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from blocks import ids
from bot.app import LeadbotApp
from bot.fakeslack.requests import (
    block_action,
    event_callback,
    post_signed,
    slash_command,
    view_submission,
)
from bot.fakeslack.server import FakeSlack, RecordedCall
from storage.models import Lead

# The ceiling on every wait for something that should happen: waits return as soon as it does,
# so only a failing test pays it, and a loaded machine does not fail a healthy one.
PATIENCE = 30.0


@dataclass
class Harness:
    app: LeadbotApp
    fake: FakeSlack
    signing_secret: str
    intake_token: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.app.port}"

    def post_lead(
        self,
        lead: Any,
        *,
        token: str | None = None,
        raw: bytes | None = None,
        content_type: str | None = "application/json",
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": content_type} if content_type else {}
        if token != "":
            headers["Authorization"] = f"Bearer {token or self.intake_token}"
        data = raw if raw is not None else json.dumps(lead).encode()
        request = urllib.request.Request(
            f"{self.base}/api/leads", data=data, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=PATIENCE) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"{self.base}{path}", timeout=PATIENCE) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def click(
        self,
        action_id: str,
        lead_id: int,
        user_id: str,
        card: RecordedCall,
        *,
        sign: bool = True,
        selected: str | None = None,
    ) -> tuple[int, str]:
        """Click a button (or pick `selected` in a menu) on a posted card (`card` is its
        chat.postMessage call)."""
        body = block_action(
            action_id,
            str(lead_id),
            user_id=user_id,
            channel_id=card.response["channel"],
            message_ts=card.response["ts"],
            response_url=self.fake.response_url(f"{user_id}-{action_id}"),
            selected=selected,
            element="static_select" if action_id == ids.LOG_CONTACT else "overflow",
        )
        return post_signed(f"{self.base}/slack/events", self.signing_secret, body, sign=sign)

    def click_in(
        self,
        action_id: str,
        value: str,
        user_id: str,
        *,
        where: str | None = "C0LEADS",
        selected: str | None = None,
        block_id: str = "lead_card",
    ) -> tuple[int, str]:
        """Click in an ephemeral answer (`where` is its channel; its response_url is named
        "<user>-<action>"), or with `where=None` on the App Home tab."""
        body = block_action(
            action_id,
            value,
            user_id=user_id,
            channel_id=where,
            message_ts="1700000000.000100",
            response_url=self.fake.response_url(f"{user_id}-{action_id}"),
            selected=selected,
            element="static_select" if action_id == ids.LOG_CONTACT else "overflow",
            block_id=block_id,
        )
        return post_signed(f"{self.base}/slack/events", self.signing_secret, body)

    def command(self, text: str, user_id: str, channel_id: str = "C0LEADS") -> tuple[int, str]:
        body = slash_command(
            text,
            user_id=user_id,
            channel_id=channel_id,
            response_url=self.fake.response_url(f"cmd-{user_id}"),
        )
        return post_signed(f"{self.base}/slack/events", self.signing_secret, body)

    def submit_view(
        self, callback_id: str, metadata: str, values: dict[str, Any], user_id: str
    ) -> tuple[int, str]:
        body = view_submission(callback_id, metadata, values, user_id=user_id)
        return post_signed(f"{self.base}/slack/events", self.signing_secret, body)

    def send_event(self, event: dict[str, Any]) -> tuple[int, str]:
        body = event_callback(event)
        return post_signed(f"{self.base}/slack/events", self.signing_secret, body)

    def settle(self, timeout: float = PATIENCE) -> None:
        """Wait until the outbox has nothing pending (every Slack call made and recorded)."""
        if not self.app.services.dispatcher.wait_until_idle(timeout):
            raise AssertionError(f"outbox rows still pending after {timeout}s")

    def lead_status(self, lead_id: int, expected: str, timeout: float = PATIENCE) -> None:
        """Wait until the lead is in `expected` state: a click is acked before it is handled."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.app.services.db.read() as session:
                lead = session.get(Lead, lead_id)
                if lead is not None and lead.status == expected:
                    return
            time.sleep(0.01)
        raise AssertionError(f"lead #{lead_id} not {expected} after {timeout}s")

    def card_posts(self, count: int, timeout: float = PATIENCE) -> list[RecordedCall]:
        return self.fake.wait_for("chat.postMessage", count=count, timeout=timeout)

    def dm_card(self, user_id: str, lead_id: int) -> RecordedCall:
        """The chat.postMessage that delivered `lead_id` to `user_id`'s DM."""
        channel = self.dm_channel(user_id)
        matches = [
            call
            for call in self.fake.wait_for(
                "chat.postMessage",
                where=lambda c: c.response.get("channel") == channel and _lead_of(c) == lead_id,
            )
        ]
        return matches[0]

    def dm_channel(self, user_id: str) -> str:
        opened = self.fake.wait_for(
            "conversations.open", where=lambda c: c.args.get("users") == user_id
        )
        return str(opened[0].response["channel"]["id"])


def _lead_of(call: RecordedCall) -> int | None:
    for block in call.args.get("blocks") or []:
        if block.get("type") == "actions" and block.get("block_id", "").startswith("lead_card:"):
            return int(block["block_id"].split(":")[1])
    text = str(call.args.get("text", ""))
    if "#" in text:
        digits = text.split("#", 1)[1].split(":", 1)[0]
        return int(digits) if digits.isdigit() else None
    return None
