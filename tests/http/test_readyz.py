"""`/healthz` and `/readyz` apart (bot/http/health.py): alive whatever happens around it; ready
when the database takes a write, Slack answers auth.test (asked at most every 30 s), the
scheduler ticks, and the delivery worker runs."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack
from bot.http.health import SLACK_EVERY, Readiness
from bot.ops.ticks import Ticks
from tests.conftest import MakeBot
from tests.fakes.harness import Harness


class Moment:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def readiness(bot: Harness) -> Readiness:
    found: Readiness = bot.app.http.state.readiness
    return found


def ready(bot: Harness) -> tuple[int, dict[str, object]]:
    status, body = bot.get("/readyz")
    return status, json.loads(body)


def test_a_running_bot_is_alive_and_ready(make_bot: MakeBot) -> None:
    bot = make_bot()
    assert bot.get("/healthz") == (200, '{"ok":true}')
    assert ready(bot) == (200, {"ok": True})


def test_slack_is_asked_at_most_every_30_seconds(make_bot: MakeBot, fake_slack: FakeSlack) -> None:
    bot = make_bot()
    moment = Moment()
    readiness(bot).slack.monotonic = moment
    before = len(fake_slack.calls("auth.test"))
    for _ in range(5):
        assert ready(bot)[0] == 200
    assert len(fake_slack.calls("auth.test")) == before + 1
    moment.now += SLACK_EVERY
    assert ready(bot)[0] == 200
    assert len(fake_slack.calls("auth.test")) == before + 2


def test_slack_down_unreachable_or_refusing_the_token_is_not_ready(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    bot = make_bot()
    moment = Moment()
    probe = readiness(bot).slack
    probe.monotonic = moment
    fake_slack.set_down(True)
    assert ready(bot) == (503, {"ok": False, "slack": "Slack answered auth.test with http_503"})
    assert bot.get("/healthz")[0] == 200  # alive: restarting leadbot would not bring Slack back
    fake_slack.set_down(False)
    assert ready(bot)[0] == 503  # the answer stands for 30 s
    moment.now += SLACK_EVERY
    assert ready(bot) == (200, {"ok": True})
    probe.client.token = "not-a-bot-token"
    moment.now += SLACK_EVERY
    assert ready(bot) == (503, {"ok": False, "slack": "Slack answered auth.test with invalid_auth"})
    probe.client.base_url = "http://127.0.0.1:9/api/"  # nothing listens there
    moment.now += SLACK_EVERY
    assert ready(bot) == (
        503,
        {"ok": False, "slack": "cannot reach Slack at http://127.0.0.1:9/api/ (URLError)"},
    )
    assert "not-a-bot-token" not in json.dumps(ready(bot)[1])


def test_a_scheduler_that_stopped_ticking_is_not_ready(make_bot: MakeBot) -> None:
    bot = make_bot()
    moment = Moment()
    ticks = Ticks(clock=moment)
    bot.app.http.state.ticks = ticks
    ticks.started()
    moment.now += 59  # a minute at least: a long sweep holds only its own job
    assert ready(bot)[0] == 200
    moment.now += 2
    assert ready(bot) == (503, {"ok": False, "scheduler": "no job has run for 61 s"})
    ticks.beat()
    assert ready(bot)[0] == 200


def test_the_real_scheduler_beats(make_bot: MakeBot) -> None:
    bot = make_bot()
    ticks: Ticks = bot.app.http.state.ticks
    first = ticks.last
    assert first is not None
    deadline = time.monotonic() + 30
    while ticks.last == first:  # scheduler.tick is 1 s in the tests' leadbot.yml
        assert time.monotonic() < deadline, "no job ran"
        time.sleep(0.05)


def test_without_a_scheduler_it_is_not_ready(make_bot: MakeBot, clock: FixedClock) -> None:
    """Only the dispatcher runs under a virtual clock: nothing sweeps."""
    assert ready(make_bot(clock=clock)) == (503, {"ok": False, "scheduler": "not started"})


def test_every_problem_is_named_at_once(make_bot: MakeBot, fake_slack: FakeSlack) -> None:
    bot = make_bot()
    readiness(bot).slack.monotonic = Moment()
    fake_slack.set_down(True)
    bot.app.http.state.worker = SimpleNamespace(running=False)
    status, body = ready(bot)
    assert status == 503
    assert sorted(body) == ["delivery", "ok", "slack"]
