"""Interactions leadbot did not draw, through signed Bolt dispatch: each is acknowledged, a
person who clicked is told in a sentence, nothing changes state, nothing is logged as an ERROR.
Named cases first (each used to answer 500 or log a traceback), then generated junk."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings

from blocks import ids
from bot.fakeslack.requests import post_signed
from storage.models import Lead
from tests.fakes.harness import Harness
from tests.strategies import interactions, slack_body, snooze_choice

LEAD = {"source": "website", "name": "Dana", "external_id": "p-1"}


def send(bot: Harness, payload: dict[str, Any]) -> tuple[int, str]:
    body = urlencode({"payload": json.dumps(payload)})
    return post_signed(f"{bot.base}/slack/events", bot.signing_secret, body)


def click(action: dict[str, Any], user: object = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": "U0ALICE"} if user is None else user,
        "actions": [action],
        "channel": {"id": "C0LEADS"},
        "trigger_id": "1.2.abc",
        **extra,
    }


def submit(callback_id: str, metadata: object, values: object) -> dict[str, Any]:
    view = {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": metadata}
    return {"type": "view_submission", "user": {"id": "U0ALICE"}, "view": {**view, **values}}


def lead_state(bot: Harness) -> tuple[str, int, int]:
    with bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        assert lead is not None
        return lead.status, lead.version, lead.contact_count


@pytest.fixture
def with_lead(bot: Harness) -> Harness:
    assert bot.post_lead(LEAD)[0] == 201
    bot.settle()
    return bot


def errors_in(answer: tuple[int, str]) -> dict[str, str]:
    status, text = answer
    assert status == 200
    return dict(json.loads(text)["errors"])


@pytest.mark.parametrize(
    ("payload", "told"),
    [
        ({**click({"action_id": ids.CLAIM, "value": "1"}), "actions": []}, None),
        (click({"action_id": ids.CLAIM, "value": "abc"}), "out of date"),
        (click({"action_id": ids.CLAIM, "value": str(10**23)}), "out of date"),
        (click({"action_id": ids.PASS, "value": 10**23}), "out of date"),
        (click({"action_id": ids.SNOOZE, "value": "1"}, trigger_id=None), "out of date"),
        (click({"action_id": ids.LOG_CONTACT, "selected_option": None}), None),
        (click({"action_id": ids.LOG_CONTACT, "selected_option": {"value": "x:call"}}), "out of"),
        (click({"action_id": ids.LEAD_MENU, "selected_option": None}), None),
        (click({"action_id": "not_ours", "value": "1"}), None),
        (click({"action_id": ids.CLAIM, "value": "1"}, user={"id": "not a user"}), None),
    ],
)
def test_a_click_leadbot_did_not_draw_is_acknowledged_and_explained(
    with_lead: Harness, payload: dict[str, Any], told: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    before = lead_state(with_lead)
    assert send(with_lead, payload)[0] == 200
    with_lead.settle()
    if told is not None:
        answer = with_lead.fake.wait_for("chat.postEphemeral")[0].args
        assert answer["user"] == "U0ALICE" and told in answer["text"]
    else:
        assert with_lead.fake.calls("chat.postEphemeral") == []
    assert lead_state(with_lead) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


SNOOZE_VALUES = {"state": {"values": {ids.SNOOZE_CHOICE_BLOCK: {ids.SNOOZE_CHOICE: {}}}}}


@pytest.mark.parametrize(
    ("payload", "block", "says"),
    [
        (submit(ids.SNOOZE_MODAL, "abc", snooze_choice("1h")), ids.SNOOZE_CHOICE_BLOCK, "date"),
        (submit(ids.SNOOZE_MODAL, "", snooze_choice("1h")), ids.SNOOZE_CHOICE_BLOCK, "date"),
        (
            submit(ids.SNOOZE_MODAL, "9" * 5000, snooze_choice("1h")),
            ids.SNOOZE_CHOICE_BLOCK,
            "date",
        ),
        (submit(ids.SNOOZE_MODAL, "1", snooze_choice("9999999d")), ids.SNOOZE_CHOICE_BLOCK, "Pick"),
        (submit(ids.SNOOZE_MODAL, "1", SNOOZE_VALUES), ids.SNOOZE_CHOICE_BLOCK, "Pick"),
        (submit(ids.SNOOZE_MODAL, "1", {"state": []}), ids.SNOOZE_CHOICE_BLOCK, "out of date"),
        (submit(ids.REASSIGN_MODAL, "abc", {}), ids.REASSIGN_USER_BLOCK, "out of date"),
        (submit(ids.REASSIGN_MODAL, "1", {}), ids.REASSIGN_USER_BLOCK, "out of date"),
    ],
)
def test_a_form_leadbot_did_not_draw_stays_open_with_a_reason(
    with_lead: Harness, payload: dict[str, Any], block: str, says: str
) -> None:
    before = lead_state(with_lead)
    errors = errors_in(send(with_lead, payload))
    assert list(errors) == [block] and says in errors[block]
    assert lead_state(with_lead) == before


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=interactions)
def test_any_signed_junk_gets_an_ack_and_changes_nothing(
    with_lead: Harness, request: tuple[str, dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    body = slack_body(*request, response_url=with_lead.fake.response_url())
    status, _ = post_signed(f"{with_lead.base}/slack/events", with_lead.signing_secret, body)
    assert status == 200
    with_lead.settle()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_command_leadbot_does_not_own_is_answered_not_404(
    with_lead: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The app's command renamed in Slack's settings (`/lead`) used to get Bolt's 404, which
    Slack shows as "dispatch_failed", and a multi-line WARNING."""
    command = {"command": "/lead", "text": "mine", "user_id": "U0ALICE", "channel_id": "C0LEADS"}
    body = slack_body("command", command, with_lead.fake.response_url())
    status, answer = post_signed(f"{with_lead.base}/slack/events", with_lead.signing_secret, body)
    assert status == 200
    assert answer.startswith("leadbot answers `/leads`"), answer
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("kind", ["message", "reaction_added", "x"])
def test_an_event_leadbot_has_no_listener_for_is_acknowledged(
    with_lead: Harness, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by bench/fuzz_bench.py: Bolt answered 404 (Slack retries, then turns off the
    subscription) and logged a multi-line "Unhandled request" WARNING."""
    event = {"type": "event_callback", "event": {"type": kind, "user": "U0ALICE"}}
    status, _ = post_signed(
        f"{with_lead.base}/slack/events", with_lead.signing_secret, json.dumps(event)
    )
    assert status == 200
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_nul_in_a_commands_text_is_told_and_changes_nothing(
    with_lead: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the generated junk above on PostgreSQL: `/leads lost 1 no budget` with a NUL in
    the note failed its UPDATE (PostgreSQL refuses NUL in text) with an ERROR traceback."""
    before = lead_state(with_lead)
    command = {
        "command": "/leads",
        "text": "lost 1 no budget went\x00quiet",
        "user_id": "U0ALICE",
        "channel_id": "C0LEADS",
    }
    body = slack_body("command", command, with_lead.fake.response_url())
    status, answer = post_signed(f"{with_lead.base}/slack/events", with_lead.signing_secret, body)
    assert status == 200
    assert "NUL character (U+0000)" in answer and "nothing was changed" in answer
    assert lead_state(with_lead) == before
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("note", ["went quiet", "went\x00quiet"])
def test_a_nul_in_a_forms_text_is_acknowledged_and_changes_nothing(
    with_lead: Harness, note: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The same note without the NUL closes the lead, so the refusal is the NUL's doing."""
    before = lead_state(with_lead)
    reason = {"type": "static_select", "selected_option": {"value": "No budget"}}
    values = {
        ids.OUTCOME_REASON_BLOCK: {ids.OUTCOME_REASON: reason},
        ids.OUTCOME_NOTE_BLOCK: {ids.OUTCOME_NOTE: {"type": "plain_text_input", "value": note}},
    }
    status, answer = send(with_lead, submit(ids.LOST_MODAL, "1", {"state": {"values": values}}))
    assert status == 200, answer
    if "\x00" in note:
        assert lead_state(with_lead) == before
    else:
        assert lead_state(with_lead)[0] == "closed"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
