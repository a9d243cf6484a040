"""A scheduler job that keeps failing is told to the admins in Slack (bot/worker/
failing_jobs.py): after three failed ticks in a row, once an hour per job; a tick that runs
again starts the count over."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from bot.escalation.due import StaleTick
from bot.fakeslack.server import FakeSlack
from bot.worker.failing_jobs import FailingJobs
from tests.conftest import MakeBot

AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def _ran(job: str) -> JobExecutionEvent:
    return JobExecutionEvent(EVENT_JOB_EXECUTED, job, "default", AT, retval=None)


def _failed(job: str) -> JobExecutionEvent:
    error = StaleTick("1 of 100 due leads changed under the tick")
    return JobExecutionEvent(EVENT_JOB_ERROR, job, "default", AT, exception=error)


def _alerts(fake_slack: FakeSlack) -> list[str]:
    return [c.args["text"] for c in fake_slack.calls("chat.postMessage")
            if "failed" in c.args.get("text", "")]  # fmt: skip


def test_three_failed_ticks_in_a_row_reach_the_admins_once(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    bot = make_bot()
    listener = FailingJobs(bot.app.services)
    for event in (_failed("sweep"), _failed("sweep"), _ran("sweep"), _failed("sweep")):
        listener(event)  # a tick that ran in between: the count starts over
    bot.settle()
    assert _alerts(fake_slack) == []
    for _ in range(4):  # three in a row, then a fourth within the hour: told once
        listener(_failed("sweep"))
    bot.settle()
    [alert] = _alerts(fake_slack)
    assert alert.startswith("⚠️ leadbot: the escalation sweep (reminders, manager alerts, the ")
    assert "has failed 3 times in a row (StaleTick)" in alert
    assert fake_slack.calls("chat.postMessage")[-1].args["channel"] == bot.dm_channel("U0MAYA")
