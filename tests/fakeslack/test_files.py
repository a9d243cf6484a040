"""The fake's file upload flow, driven by slack_sdk's own files_upload_v2 over real HTTP."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack.server import FakeSlack

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def test_upload_v2_shares_the_bytes_into_a_dm(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.url)
    answer = client.files_upload_v2(channel="D0123ABCD", content=PNG, filename="chart.png",
                                    title="This week", initial_comment="📊")  # fmt: skip
    file_id = answer["file"]["id"]
    stored = fake_slack.file(file_id)
    assert stored is not None and stored.data == PNG
    assert (stored.title, stored.channels, stored.initial_comment) == (
        "This week", ["D0123ABCD"], "📊")  # fmt: skip
    calls = [c.method for c in fake_slack.calls()]
    assert calls == ["files.getUploadURLExternal", "file.upload", "files.completeUploadExternal"]


def test_slacks_checks_on_the_flow(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.url)
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.files_getUploadURLExternal(filename="", length=10)
    got = client.files_getUploadURLExternal(filename="a.png", length=10)
    # Completing a file whose bytes never came is refused, as Slack does.
    with pytest.raises(SlackApiError, match="file_not_found"):
        client.files_completeUploadExternal(files=[{"id": got["file_id"]}], channel_id="C0LEADS")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.files_completeUploadExternal(files=[{"id": got["file_id"]}], channel_id="#x")
