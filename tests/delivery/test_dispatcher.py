"""Durable delivery: Slack outages, rate limits and permanent errors, through the real WebClient."""

from __future__ import annotations

from sqlalchemy import select, update

from blocks import ids
from blocks.nudges import message_blocks
from bot.app import create_app
from bot.delivery.cards import card_renderer
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.leases import LEASE
from bot.fakeslack.server import FakeSlack
from bot.leads.input import parse_lead
from bot.settings import Settings
from storage.models import CardCopy, OutboxMessage
from tests.conftest import MakeBot, make_config
from tests.fakes.harness import Harness

LEAD = {"external_id": "o-1", "source": "website", "name": "Dana", "company": "Northwind"}


def ok_posts(fake: FakeSlack) -> list:
    return [call for call in fake.calls("chat.postMessage") if call.response.get("ok")]


def outbox_rows(bot: Harness) -> list[OutboxMessage]:
    with bot.app.services.db.read() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_slack_down_during_intake_keeps_the_lead_and_delivers_once_after(bot: Harness) -> None:
    bot.fake.set_down(True)
    status, answer = bot.post_lead(LEAD)
    assert (status, answer["owner"]) == (201, "U0ALICE")
    # The dispatcher keeps trying while Slack answers 503 ...
    failed = _wait_for_failed_attempts(bot, 2)
    assert failed >= 2 and ok_posts(bot.fake) == []
    bot.fake.set_down(False)
    _wait_until(lambda: [row.status for row in outbox_rows(bot)] == ["sent", "sent"])
    bot.app.services.dispatcher.run_once()  # one more pass finds nothing left to send
    assert len(ok_posts(bot.fake)) == 2  # the DM and the #leads copy, each exactly once
    assert all(row.attempts >= 1 for row in outbox_rows(bot))


def test_connection_refused_is_retried_until_slack_is_reachable(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    harness = make_bot()
    port = fake_slack.port
    fake_slack.stop()
    assert harness.post_lead(LEAD)[0] == 201
    _wait_until(lambda: all(r.attempts >= 2 for r in outbox_rows(harness)))
    assert "ConnectionRefusedError" in (outbox_rows(harness)[0].last_error or "")
    assert not outbox_rows(harness)[0].maybe_sent  # never connected: nothing to look up
    revived = FakeSlack(port=port).start()
    try:
        _wait_until(lambda: {row.status for row in outbox_rows(harness)} == {"sent"})
        harness.app.services.dispatcher.run_once()
        assert len(ok_posts(revived)) == 2
    finally:
        revived.stop()


def test_429_waits_for_retry_after(bot: Harness) -> None:
    bot.fake.fail_next("chat.postMessage", times=1, status=429, retry_after=1)
    bot.post_lead(LEAD)
    posts = bot.card_posts(2)
    refused = [c for c in bot.fake.calls("chat.postMessage") if not c.response.get("ok")]
    assert len(refused) == 1
    same_channel = [p for p in posts if p.args["channel"] == refused[0].args["channel"]]
    assert same_channel[0].at - refused[0].at >= 1.0  # Retry-After: 1 was honoured


def test_permanent_error_is_not_retried(make_bot: MakeBot, fake_slack: FakeSlack) -> None:
    harness = make_bot(make_config(channels={"queue": "C0QUEUE"}))
    fake_slack.fail_next("chat.postMessage", times=1, error="channel_not_found")
    harness.post_lead(LEAD)
    _wait_until(lambda: outbox_rows(harness)[0].status == "failed")
    harness.settle()  # what a permanent failure leads to (tests/delivery/test_failures.py)
    row = outbox_rows(harness)[0]
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "channel_not_found")
    cards = [call for call in ok_posts(fake_slack) if call.args["text"].startswith("🌤")]
    assert [call.args["channel"] for call in cards] == ["C0QUEUE"]  # never re-sent to the DM


def test_claim_before_any_copy_is_posted_renders_the_claimed_card(bot: Harness) -> None:
    bot.fake.set_down(True)
    bot.post_lead(LEAD)
    _wait_for_failed_attempts(bot, 1)
    # Retries go on every 50-200 ms: stop them, so no card drawn before the claim is in flight
    # when Slack comes back (that one would be redrawn, which another test covers).
    bot.app.services.dispatcher.stop()
    assert bot.app.services.leads.claim(1, "U0ALICE").ok
    bot.fake.set_down(False)
    bot.app.services.dispatcher.start()
    for post in bot.card_posts(2):
        assert "Claimed by <@U0ALICE>" in str(post.args["blocks"])
    _wait_until(lambda: _shown_versions(bot) == [2, 2])
    assert bot.fake.calls("chat.update") == []


def test_claim_while_a_card_is_in_flight_still_updates_that_card(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    """The claim commits after the card was drawn but before its copy was recorded."""
    settings = Settings(
        slack_bot_token="xoxb-test", slack_api_url=fake_slack.url, database_url=sqlite_url
    )
    app = create_app(settings, make_config(channels={"queue": "C0QUEUE"}))
    services = app.services
    real_render = card_renderer(services.clock)

    def render_then_claim(lead, copy_kind, recipient, nudges):
        drawn = real_render(lead, copy_kind, recipient, nudges)
        if lead.version == 1:
            assert services.leads.claim(lead.id, "U0BO").ok  # lands mid-flight
        return drawn

    dispatcher = Dispatcher(
        services.db, services.client, services.clock, render_then_claim, message_blocks
    )
    try:
        services.leads.receive(parse_lead(LEAD, ["warm"]))
        dispatcher.run_once()
        post = fake_slack.wait_for("chat.postMessage")[0]
        assert "Claim" in str(post.args["blocks"])  # drawn before the claim
        update = fake_slack.wait_for("chat.update")[0]
        assert (update.args["channel"], update.args["ts"]) == (
            post.response["channel"],
            post.response["ts"],
        )
        assert "Claimed by <@U0BO>" in str(update.args["blocks"])
    finally:
        app.stop()


def test_claim_and_updates_survive_a_rate_limited_update(bot: Harness) -> None:
    bot.post_lead(LEAD)
    bot.card_posts(2)
    bot.fake.fail_next("chat.update", times=1, status=429, retry_after=1)
    bot.click(ids.CLAIM, 1, "U0ALICE", bot.dm_card("U0ALICE", 1))
    updates = bot.fake.wait_for("chat.update", count=2)
    assert len(updates) == 2


def _shown_versions(bot: Harness) -> list[int]:
    with bot.app.services.db.read() as session:
        return list(session.scalars(select(CardCopy.shown_version)))


def _wait_for_failed_attempts(bot: Harness, attempts: int) -> int:
    _wait_until(lambda: bool(outbox_rows(bot)) and outbox_rows(bot)[0].attempts >= attempts)
    return outbox_rows(bot)[0].attempts


def _wait_until(condition, timeout: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def test_a_message_of_many_short_lines_is_delivered(bot: Harness) -> None:
    """It used to be cut, then quoted line by line, and refused by Slack for ever."""
    status, _ = bot.post_lead({**LEAD, "message": "x\n" * 1100})
    assert status == 201
    card = bot.dm_card("U0ALICE", 1)
    assert card.ok and card.problems == []
    bot.settle()
    assert [row.status for row in outbox_rows(bot)] == ["sent", "sent"]


def test_rows_leased_by_a_process_that_died_go_out_at_restart(
    make_bot: MakeBot, fake_slack: FakeSlack, sqlite_url: str
) -> None:
    """kill -9 mid-burst left rows leased for 60 s to a dead process: after a restart the last
    card came a minute late (#11). One process owns a SQLite file, so it reclaims at start."""
    settings = Settings(
        slack_bot_token="xoxb-test", slack_api_url=fake_slack.url, database_url=sqlite_url
    )
    dead = create_app(settings, make_config())  # receives, never sends: its workers never ran
    dead.services.leads.receive(parse_lead({"name": "Dana", "external_id": "d-1"}, ["warm"]))
    with dead.services.db.write() as session:
        leased = session.execute(
            update(OutboxMessage).values(locked_until=dead.services.clock.now() + LEASE)
        ).rowcount
    dead.services.db.dispose()
    assert leased == 2  # the DM card and the #leads copy
    restarted = make_bot(url=sqlite_url)
    posts = restarted.fake.wait_for("chat.postMessage", count=2, timeout=LEASE.total_seconds() / 4)
    assert len(posts) == 2 and all("#1:" in call.args["text"] for call in posts)
