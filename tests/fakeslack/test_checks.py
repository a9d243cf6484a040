"""Payload checks and request decoding of the fake (bot/fakeslack/checks.py), through the real
WebClient: bad Block Kit and views are refused as Slack would, and form bodies are decoded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock

from bot.fakeslack.server import FakeSlack
from tests.fakeslack.conftest import TOKEN, button, section


def test_sdk_models_are_accepted(fake: FakeSlack, client: WebClient) -> None:
    blocks = [
        SectionBlock(text="*Acme* wants a demo", block_id="lead"),
        ActionsBlock(elements=[ButtonElement(text="Claim", action_id="claim", value="7")]),
    ]
    client.chat_postMessage(channel="C1", text="Acme wants a demo", blocks=blocks)
    call = fake.wait_for("chat.postMessage")[0]
    assert call.args["blocks"][1]["elements"][0]["value"] == "7"
    assert fake.problems() == []


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([{"type": "actions", "elements": [button("x" * 80)]}], "button text is 80 chars"),
        ([section(f"{i}") for i in range(51)], "51 blocks exceed the limit of 50"),
        ([{"type": "section", "block_id": "b"}], "text or fields attribute must be specified"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "limit 150"),
        ([section("x" * 3001)], "limit 3000"),
        ([{**section("x"), "acessory": button("Claim")}], "/acessory dropped"),
        ([{"type": "no_such_block"}], "unknown block type"),
    ],
)
def test_invalid_blocks_are_rejected(
    fake: FakeSlack, client: WebClient, blocks: list[dict[str, Any]], expected: str
) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    assert err.value.response["error"] == "invalid_blocks"
    assert any(expected in problem for problem in fake.problems()), fake.problems()
    assert all(p.startswith("chat.postMessage: ") for p in fake.problems())
    assert fake.calls("chat.postMessage")[0].problems
    assert fake.messages() == []


def test_form_encoded_blocks_are_decoded(fake: FakeSlack, client: WebClient) -> None:
    # api_call with params= sends a form body with blocks as a JSON string, like older callers.
    blocks = [section("form")]
    client.api_call(
        "chat.postMessage", params={"channel": "C1", "text": "t", "blocks": json.dumps(blocks)}
    )
    call = fake.wait_for("chat.postMessage")[0]
    assert call.args["blocks"] == blocks
    assert call.token == TOKEN


def test_missing_fallback_text_is_a_problem_but_succeeds(
    fake: FakeSlack, client: WebClient
) -> None:
    with pytest.warns(UserWarning):  # slack_sdk warns too
        answer = client.chat_postMessage(channel="C1", blocks=[section("no fallback")])
    assert answer["ok"]
    assert fake.problems() == [
        "chat.postMessage: missing fallback text: send a non-empty `text` with `blocks`"
    ]


def test_invalid_view_is_rejected(fake: FakeSlack, client: WebClient) -> None:
    title = {"type": "plain_text", "text": "t" * 25}
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="t", view={"type": "modal", "title": title, "blocks": []})
    assert err.value.response["error"] == "invalid_arguments"
    assert fake.problems() == ["views.open: modal title is 25 chars, limit 24"]
