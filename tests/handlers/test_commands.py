"""The `/leads` command (handlers/commands.py) through real Bolt dispatch with signed requests:
the ack, help, unknown subcommands, `/leads snooze` and `/leads away`."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from bot.clock import as_utc
from bot.fakeslack.requests import post_signed, slash_command
from bot.fakeslack.server import FakeSlack
from storage.models import RepAway
from tests.conftest import MakeBot
from tests.fakes.harness import PATIENCE, Harness
from tests.handlers.conftest import answer_to


def test_command_acks_with_an_empty_200_and_answers_through_response_url(bot: Harness) -> None:
    status, body = bot.command("mine", "U0BO")
    assert (status, body) == (200, "")
    assert answer_to(bot, "cmd-U0BO")["response_type"] == "ephemeral"


def test_help_lists_every_command_one_line_each(bot: Harness) -> None:
    bot.command("help", "U0BO")
    lines = answer_to(bot, "cmd-U0BO")["text"].splitlines()
    commands = [line.split("`")[1].split()[1] for line in lines[1:]]
    assert commands == [
        "today", "mine", "queue", "stats", "digest", "new", "snooze", "away", "back", "won", "lost",
        "help",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["frobnicate now", "", "   ", "MINE please?"])
def test_unknown_or_empty_subcommand_answers_with_help(bot: Harness, text: str) -> None:
    bot.command(text, "U0BO")
    answer = answer_to(bot, "cmd-U0BO")
    if text.strip().lower().startswith("mine"):
        assert answer["text"] == "No leads waiting for you."  # case does not matter
    else:
        assert answer["text"].startswith("*leadbot commands*")


def test_leads_snooze_command(make_bot: MakeBot, fake_slack: FakeSlack) -> None:
    bot = make_bot()
    bot.post_lead({"external_id": "c-1", "name": "Dana"})
    answers = []
    for text, user_id in [
        ("snooze #1 90m", "U0ALICE"),
        ("snooze 1 soon", "U0ALICE"),
        ("snooze 1", "U0ALICE"),
        ("snooze 1 1h", "U0BO"),
    ]:
        bot.command(text, user_id)
        answers.append(fake_slack.wait_for("response_url", count=len(answers) + 1)[-1])
    answers = [call.args["text"] for call in answers]
    assert answers[0].startswith("💤 Lead #1 snoozed until <!date^")
    assert answers[1] == (
        "'soon' is not a duration: use a number and a unit s, m, h or d, e.g. 90s, 15m, "
        "1h30m (usage: `/leads snooze <lead> <duration>`, e.g. `/leads snooze 42 1h` or "
        "`tomorrow`)"
    )
    assert answers[2].startswith("usage: `/leads snooze <lead> <duration>`")
    assert answers[3] == "Only the lead's owner (<@U0ALICE>) or a manager can snooze lead #1."


def test_leads_away_until_a_weekday_is_9_00_in_the_reps_zone(timed_bot: Harness) -> None:
    """On Mon 23 Nov (CLOCK_START): Bo (New York) is away until Friday 9:00 EST, Alice (Berlin)
    until Friday 9:00 CET, each told in their own time; Chen's past date is refused, and a date
    in another year says which."""
    answers = []
    for text, user_id in [
        ("away friday", "U0BO"),
        ("away until FRI", "U0ALICE"),
        ("away 2026-11-20", "U0CHEN"),
        ("away 2027-01-04", "U0CHEN"),
    ]:
        assert timed_bot.command(text, user_id)[0] == 200
        count = 1 + sum(earlier == user_id for _, earlier in answers)
        answers.append((answer_to(timed_bot, f"cmd-{user_id}", count)["text"], user_id))
    assert [text for text, _ in answers] == [
        "🏝️ You are away until Fri 27 Nov, 09:00 (America/New_York): new leads go to your "
        "teammates until then.",
        "🏝️ You are away until Fri 27 Nov, 09:00 (Europe/Berlin): new leads go to your "
        "teammates until then.",
        "2026-11-20 is in the past: give a later date, e.g. 2026-11-24",
        "🏝️ You are away until Mon 4 Jan 2027, 09:00 (Asia/Singapore): new leads go to your "
        "teammates until then.",
    ]
    with timed_bot.app.services.db.read() as session:
        bo, alice, chen = (session.get(RepAway, rep) for rep in ["U0BO", "U0ALICE", "U0CHEN"])
    assert bo and bo.until and as_utc(bo.until) == datetime(2026, 11, 27, 14, tzinfo=UTC)
    assert alice and alice.until and as_utc(alice.until) == datetime(2026, 11, 27, 8, tzinfo=UTC)
    assert chen and chen.until and as_utc(chen.until) == datetime(2027, 1, 4, 1, tzinfo=UTC)


def test_a_command_that_changes_something_is_answered_once_it_has(bot: Harness) -> None:
    """`/leads away` and `/leads back` are acknowledged after their commit, as clicks are: a
    crash after Slack's 200 must not undo what the person was told. (Their writes are small
    enough that this held before too, but only by the timing of Bolt's 10 ms ack poll.)"""
    for turn in range(3):
        assert bot.command("away 1h", "U0BO")[0] == 200
        with bot.app.services.db.read() as session:
            assert session.get(RepAway, "U0BO") is not None, f"turn {turn}: not away yet"
        assert bot.command("back", "U0BO")[0] == 200
        with bot.app.services.db.read() as session:
            assert session.get(RepAway, "U0BO") is None, f"turn {turn}: not back yet"
    # The answers follow the acks: all six arrive (and none lands in the next test's log).
    assert answer_to(bot, "cmd-U0BO", count=6)["text"].startswith("👋 Welcome back")


def test_a_change_is_acknowledged_even_when_its_answer_cannot_be_delivered(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The answer goes to the response_url after the ack: a response_url that fails must not
    turn a change that happened into an error Slack shows the person. The failed answer is
    logged (by the one error handler) once the listener gets to it, after the 200."""
    body = slash_command(
        "away 1h", user_id="U0BO", channel_id="C0LEADS", response_url="http://127.0.0.1:9/gone"
    )
    status, _ = post_signed(f"{bot.base}/slack/events", bot.signing_secret, body)
    assert status == 200
    with bot.app.services.db.read() as session:
        assert session.get(RepAway, "U0BO") is not None
    deadline = time.monotonic() + PATIENCE  # within this test, not in the next one's log
    while not [r for r in caplog.records if r.getMessage().startswith("listener failed")]:
        assert time.monotonic() < deadline, "the failed answer was never logged"
        time.sleep(0.01)
