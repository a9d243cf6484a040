"""Every lead change logged once, at INFO, after it commits (bot/leads/changes.py): the lead's
id, what happened and who did it (a Slack user id or "leadbot"), never the lead's name, email,
phone or company, nor what someone typed; a change rolled back is neither logged nor counted."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from blocks import ids
from bot.clock import FixedClock
from bot.leads.changes import OBSERVER, Change, note
from bot.leads.closing import Closing
from bot.ops.logs import JsonFormatter
from bot.vocabulary import LeadOutcome
from storage.followup import Task
from tests.fakes.harness import Harness

SECRETS = ("Dana Secretname", "dana.secret@northwind.test", "+1 555 0199", "Secretco Ltd",
           "a note only the team may read")  # fmt: skip
LEAD = {"external_id": "x-1", "source": "website", "name": SECRETS[0], "email": SECRETS[1],
        "phone": SECRETS[2], "company": SECRETS[3]}  # fmt: skip


def changes(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str, str]]:
    return [
        (r.lead_id, r.event, r.actor)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "bot.leads.changes"
    ]


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    lines = [JsonFormatter().format(record) for record in caplog.records]
    return "\n".join(lines + [r.getMessage() for r in caplog.records])


def test_every_change_is_logged_once_with_its_lead_and_actor_and_no_pii(
    timed_bot: Harness, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot, services = timed_bot, timed_bot.app.services
    assert bot.post_lead(LEAD)[0] == 201
    card = bot.dm_card("U0ALICE", 1)
    # Each change waits for the deliveries the one before queued: on PostgreSQL the sweep skips
    # a lead the recorder holds locked (a person's change waits for it instead: see
    # tests/leads/test_locked_actions.py), and the logged order is then the order of the calls.
    bot.settle()
    clock.advance(timedelta(minutes=30))
    services.escalator.sweep()  # step 1: a reminder to Alice
    bot.settle()
    assert services.leads.pass_lead(1, "U0ALICE").ok  # to Bo
    bot.settle()
    assert services.leads.snooze(1, "U0BO", clock.now() + timedelta(minutes=15)).ok
    bot.settle()
    assert services.leads.reassign(1, "U0MAYA", "U0CHEN").ok
    bot.settle()
    clock.advance(timedelta(minutes=5))
    assert bot.click(ids.CLAIM, 1, "U0CHEN", card)[0] == 200  # through Slack's HTTP request
    with services.db.read() as session:
        first, day_one = session.scalars(select(Task.id).order_by(Task.step)).all()[:2]
    assert services.tasks.done(first, "U0CHEN", "call_connected").ok
    assert services.tasks.skip(day_one, "U0CHEN", SECRETS[4]).ok
    closing = Closing(LeadOutcome.WON, amount=Decimal("12500"), note=SECRETS[4])
    assert services.closing.close(1, "U0CHEN", closing).ok
    # The reminder to Alice, dropped when Slack would have it (the dispatcher's timing), if at all.
    logged = [change for change in changes(caplog) if change[1] != "nudge_dropped"]
    assert logged == [
        (1, "received", "intake"),
        (1, "assigned", "leadbot"),
        (1, "reminded", "leadbot"),  # an escalation step
        (1, "passed", "U0ALICE"),
        (1, "assigned", "leadbot"),
        (1, "snoozed", "U0BO"),
        (1, "reassigned", "U0MAYA"),
        (1, "assigned", "leadbot"),
        (1, "claimed", "U0CHEN"),
        (1, "cadence_started", "leadbot"),
        (1, "contacted", "U0CHEN"),
        (1, "task_done", "U0CHEN"),
        (1, "task_skipped", "U0CHEN"),
        (1, "closed", "U0CHEN"),
        (1, "cadence_stopped", "U0CHEN"),
    ]
    assert {r.levelno for r in caplog.records if r.name == "bot.leads.changes"} == {logging.INFO}
    text = everything_logged(caplog)
    assert not [secret for secret in SECRETS if secret in text]
    [claimed] = [r for r in caplog.records if getattr(r, "event", None) == "claimed"]
    assert claimed.getMessage() == "lead 1 claimed by U0CHEN"
    [closed] = [r for r in caplog.records if getattr(r, "event", None) == "closed"]
    assert closed.getMessage() == "lead 1 closed by U0CHEN (outcome=won)"  # no amount, no note


def test_a_lost_claim_race_logs_nothing(
    timed_bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    timed_bot.post_lead(LEAD)
    timed_bot.dm_card("U0ALICE", 1)
    caplog.set_level(logging.INFO)
    services = timed_bot.app.services
    assert services.leads.claim(1, "U0ALICE").ok
    assert not services.leads.claim(1, "U0BO").ok
    assert [c for c in changes(caplog) if c[1] == "claimed"] == [(1, "claimed", "U0ALICE")]


class Seen:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def changed(self, change: Change) -> None:
        self.changes.append(change)


def test_changes_are_told_after_the_commit_and_forgotten_on_rollback(
    timed_bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    db = timed_bot.app.services.db
    seen = Seen()
    db.session_info[OBSERVER] = seen
    with pytest.raises(RuntimeError), db.write() as session:
        note(session, 7, "U0ALICE", "claimed", {})
        raise RuntimeError("rolled back")
    with db.write() as session:
        note(session, 8, "U0ALICE", "claimed", {"owner": "U0ALICE", "note": SECRETS[4]})
        with pytest.raises(RuntimeError), session.begin_nested():
            note(session, 9, "U0ALICE", "claimed", {})
            raise RuntimeError("a savepoint rolled back")
        with session.begin_nested():
            note(session, 10, "U0BO", "passed", {})
        assert seen.changes == []  # not before the commit
    assert [(c.lead_id, c.kind) for c in seen.changes] == [(8, "claimed"), (10, "passed")]
    assert seen.changes[0].detail == {"owner": "U0ALICE"}  # free text is never kept
    with db.scratch() as session:  # a dry run (`leadbot route`) is always rolled back
        note(session, 11, "leadbot", "assigned", {})
    assert [c.lead_id for c in seen.changes] == [8, 10]
    assert [c[0] for c in changes(caplog)] == [8, 10]


def test_json_lines_carry_the_lead_and_the_actor_as_keys(
    timed_bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    timed_bot.post_lead(LEAD)
    timed_bot.dm_card("U0ALICE", 1)
    assert timed_bot.app.services.leads.claim(1, "U0ALICE").ok
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "claimed"]
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["lead_id"] == 1 and entry["actor"] == "U0ALICE" and entry["event"] == "claimed"
    assert entry["level"] == "INFO" and entry["logger"] == "bot.leads.changes"
    assert entry["message"] == "lead 1 claimed by U0ALICE"
