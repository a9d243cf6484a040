"""POST /api/leads over real HTTP: auth, validation, idempotency, delivery of the card."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import create_app
from bot.fakeslack.requests import slash_command
from bot.fakeslack.server import FakeSlack
from bot.settings import Settings
from storage.models import Lead, LeadEvent, OutboxMessage
from tests.conftest import MakeBot, make_config
from tests.fakes.harness import PATIENCE, Harness

LEAD = {
    "external_id": "form-1",
    "source": "website",
    "name": "Dana Whitfield",
    "email": "dana@northwind.test",
    "phone": "+1 555 0100",
    "company": "Northwind",
    "company_size": 1200,
    "country": "US",
    "region": "NA",
    "product": "Analytics",
    "message": "Need a demo",
    "crm_url": "https://crm.example.com/1",
    "tier": "hot",
    "fields": {"utm_campaign": "q4"},
}


def counts(bot: Harness) -> tuple[int, int, int]:
    with bot.app.services.db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Lead)) or 0,
            session.scalar(select(func.count()).select_from(LeadEvent)) or 0,
            session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        )


def test_new_lead_is_stored_routed_and_posted_to_dm_and_leads_channel(bot: Harness) -> None:
    status, answer = bot.post_lead(LEAD)
    assert status == 201
    assert answer == {
        "id": 1,
        "owner": "U0ALICE",
        "reason": "default pool · round robin",
        "duplicate": False,
    }
    posts = bot.card_posts(2)
    channels = sorted(call.response["channel"] for call in posts)
    assert channels == sorted([bot.dm_channel("U0ALICE"), "C0LEADS"])
    assert bot.fake.problems() == []
    with bot.app.services.db.read() as session:
        kinds = session.scalars(select(LeadEvent.kind).order_by(LeadEvent.id)).all()
    assert kinds == ["received", "assigned"]


def test_round_robin_takes_turns(bot: Harness) -> None:
    leads = [{**LEAD, "external_id": f"rr-{i}", "email": f"p{i}@x.test"} for i in range(4)]
    owners = [bot.post_lead(lead)[1]["owner"] for lead in leads]
    assert owners == ["U0ALICE", "U0BO", "U0CHEN", "U0ALICE"]


def test_a_returning_contact_goes_back_to_its_owner(bot: Harness) -> None:
    first = bot.post_lead({**LEAD, "external_id": "m-1", "email": "Dana@Northwind.test"})[1]
    other = bot.post_lead({**LEAD, "external_id": "m-2", "email": "someone@else.test"})[1]
    again = bot.post_lead({**LEAD, "external_id": "m-3", "email": "dana@northwind.test"})[1]
    assert (first["owner"], other["owner"]) == ("U0ALICE", "U0BO")
    assert (again["owner"], again["reason"]) == ("U0ALICE", "existing owner")


def test_same_source_and_external_id_answers_200_and_posts_nothing_twice(bot: Harness) -> None:
    first_status, first = bot.post_lead(LEAD)
    bot.card_posts(2)
    second_status, second = bot.post_lead(LEAD)
    assert (first_status, second_status) == (201, 200)
    assert second == {**first, "duplicate": True}
    assert counts(bot)[0] == 1
    # Another lead goes through and the duplicate still has exactly its two posts.
    bot.post_lead({**LEAD, "external_id": "form-2"})
    posts = bot.card_posts(4)
    assert len([c for c in posts if "#1:" in c.args["text"]]) == 2


def test_same_external_id_from_another_source_is_a_new_lead(bot: Harness) -> None:
    assert bot.post_lead(LEAD)[0] == 201
    assert bot.post_lead({**LEAD, "source": "webinar"})[0] == 201


def test_bad_fields_get_422_naming_each_and_nothing_is_stored(bot: Harness) -> None:
    bad = {
        **LEAD,
        "email": "not-an-email",
        "company_size": -3,
        "crm_url": "javascript:alert(1)",
        "tier": "lukewarm",
        "received_at": "2026-11-23T09:00:00",
        "nmae": "typo",
    }
    status, answer = bot.post_lead(bad)
    assert status == 422
    by_field = {p["field"]: p["message"] for p in answer["errors"]}
    assert by_field == {
        "email": "'not-an-email' is not an email address",
        "company_size": "Input should be greater than or equal to 0",
        "crm_url": "must be an http(s) URL without spaces, <, > or |",
        "tier": "unknown tier 'lukewarm' (known: hot, warm, cold)",
        "received_at": "must include a time zone, e.g. 2026-11-23T09:30:00Z",
        "nmae": "unknown field",
    }
    assert counts(bot) == (0, 0, 0)


def test_lead_without_any_way_to_reach_it_is_refused(bot: Harness) -> None:
    status, answer = bot.post_lead({"source": "website", "company": "Nameless Inc"})
    assert status == 422
    assert answer["errors"] == [
        {"field": "(body)", "message": "a lead needs at least one of name, email or phone"}
    ]


def test_malformed_json_and_non_object_bodies_get_422(bot: Harness) -> None:
    status, answer = bot.post_lead(None, raw=b'{"name": "x",')
    assert status == 422
    assert answer["errors"][0]["message"].startswith("not valid JSON: ")
    status, answer = bot.post_lead(["a", "list"])
    assert (status, answer["errors"][0]["message"]) == (422, "must be a JSON object")
    assert counts(bot) == (0, 0, 0)


def test_missing_or_wrong_token_gets_401(bot: Harness) -> None:
    assert bot.post_lead(LEAD, token="")[0] == 401
    assert bot.post_lead(LEAD, token="wrong-token")[0] == 401
    assert counts(bot) == (0, 0, 0)


def test_body_over_64_kib_gets_413(bot: Harness) -> None:
    huge = json.dumps({**LEAD, "message": "x" * (64 * 1024)}).encode()
    assert bot.post_lead(None, raw=huge)[0] == 413
    assert counts(bot) == (0, 0, 0)


def test_hostile_lead_name_pings_nobody(bot: Harness) -> None:
    hostile = {**LEAD, "name": "<!channel> <@U0BO> <https://evil.test|click>"}
    assert bot.post_lead(hostile)[0] == 201
    for call in bot.card_posts(2):
        payload = json.dumps(call.args)
        assert "<!channel>" not in payload
        assert "<@U0BO>" not in payload
        assert "<https://evil.test|click>" not in payload
        assert "&lt;!channel&gt;" in payload


def test_healthz_and_metrics(bot: Harness) -> None:
    bot.post_lead(LEAD)
    bot.card_posts(2)
    assert bot.get("/healthz") == (200, '{"ok":true}')
    status, metrics = bot.get("/metrics")
    assert status == 200
    assert 'leadbot_leads_received_total{outcome="created",source="website"} 1.0' in metrics


def _concurrently(count: int, work) -> list:
    gate = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        gate.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_intake_shares_the_rotation_fairly(bot: Harness) -> None:
    results = _concurrently(21, lambda i: bot.post_lead({"name": f"Lead {i}", "source": "burst"}))
    assert [status for status, _ in results] == [201] * 21
    owners = Counter(answer["owner"] for _, answer in results)
    assert owners == {"U0ALICE": 7, "U0BO": 7, "U0CHEN": 7}


def test_concurrent_duplicates_store_and_post_once(bot: Harness) -> None:
    results = _concurrently(10, lambda _i: bot.post_lead(LEAD))
    assert sorted(status for status, _ in results) == [200] * 9 + [201]
    assert {answer["id"] for _, answer in results} == {1}
    bot.card_posts(2)
    bot.post_lead({**LEAD, "external_id": "after"})  # a later lead flushes the outbox once more
    bot.card_posts(4)
    assert counts(bot)[0] == 2
    assert len([c for c in bot.fake.calls("chat.postMessage") if "#1:" in c.args["text"]]) == 2


# -- bad input never hurts: no 500, no traceback, nothing stored -----------------------------


@pytest.mark.parametrize(
    ("raw", "field", "says"),
    [
        (b'{"name": "Dana", "company_size": ' + b"9" * 4301 + b"}", "(body)", "4,301 digits"),
        (b"[" * 10_000 + b"]" * 10_000, "(body)", "nested too deeply"),
        (b'{"name": "Dana", "fields": {"score": NaN}}', "(body)", "NaN is not a number"),
        (b'{"name": "Dana", "fields": {"score": 1e400}}', "(body)", "out of range"),
        (b'{"name": "Da\\u0000na"}', "name", "NUL"),
        (b'{"name": "Dana", "fields": {"a\\u0000": 1}}', "fields", "NUL"),
        (b'{"name": "Dana", "received_at": "0001-01-01T00:00:00+14:00"}', "received_at", "ago"),
        (b'{"name": "Dana", "received_at": "9999-12-31T23:59:59-14:00"}', "received_at", "future"),
        (b'{"name": "Dana", "received_at": "2020-01-01T00:00:00Z"}', "received_at", "365d"),
        (b"\xff\xfe{}", "(body)", "UTF-8"),
    ],
)
def test_inputs_that_used_to_500_get_a_precise_422(
    bot: Harness, raw: bytes, field: str, says: str, caplog: pytest.LogCaptureFixture
) -> None:
    status, answer = bot.post_lead(None, raw=raw)
    assert status == 422, answer
    [problem] = answer["errors"]
    assert problem["field"] == field and says in problem["message"]
    assert counts(bot) == (0, 0, 0)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_body_that_is_not_declared_json_gets_415(bot: Harness) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        status, answer = bot.post_lead(LEAD, content_type=content_type)
        assert status == 415, (content_type, answer)
    assert bot.post_lead(LEAD, content_type="application/json; charset=utf-8")[0] == 201


def test_a_request_with_two_framings_is_refused(bot: Harness) -> None:
    """Content-Length and Transfer-Encoding together: a proxy and leadbot could disagree on
    where the body ends (request smuggling)."""
    body = json.dumps(LEAD).encode()
    request = (
        b"POST /api/leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + bot.intake_token.encode() + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x}".encode()
        + b"\r\n"
        + body
        + b"\r\n0\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", bot.app.port), timeout=10) as conn:
        conn.sendall(request)
        status_line = conn.recv(4096).split(b"\r\n", 1)[0]
    assert status_line.split()[1] == b"400"
    assert counts(bot) == (0, 0, 0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner),
    max_leaves=25,
)
lead_like = st.dictionaries(
    st.sampled_from([*LEAD, "received_at", "unknown"]), json_values, max_size=8
) | st.fixed_dictionaries({"name": st.text(max_size=300)}, optional={"fields": json_values})


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.one_of(lead_like.map(json.dumps), json_values.map(json.dumps), st.binary()))
def test_any_body_gets_an_answer_and_never_a_500(
    bot: Harness, body: str | bytes, caplog: pytest.LogCaptureFixture
) -> None:
    raw = body.encode() if isinstance(body, str) else body
    leads_before = counts(bot)[0]
    status, answer = bot.post_lead(None, raw=raw)
    assert status in (200, 201, 422), answer
    created = counts(bot)[0] - leads_before
    assert created == (1 if status == 201 else 0)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_metrics_count_unknown_sources_as_other(bot: Harness) -> None:
    """Labels come from configuration, not from what a lead sends: a thousand made-up sources
    would otherwise be a thousand series in every scrape."""
    for n in range(30):
        assert bot.post_lead({"name": f"L{n}", "source": f"campaign-{n}"})[0] == 201
    bot.post_lead({"name": "W", "source": "WebSite"})
    _, metrics = bot.get("/metrics")
    sources = set(re.findall(r'leads_received_total\{outcome="\w+",source="([^"]*)"\}', metrics))
    assert sources == {"other", "website"}
    assert 'leads_received_total{outcome="created",source="other"} 30.0' in metrics


def test_a_source_named_in_leadbot_yml_gets_its_own_label(make_bot: MakeBot) -> None:
    tiers = [{"name": "hot", "respond_within": "5m", "match": {"source": "G2-Crowd"}},
             {"name": "warm", "respond_within": "1h"}]  # fmt: skip
    bot = make_bot(make_config(tiers=tiers))
    assert bot.post_lead({"name": "Dana", "source": "g2-crowd"})[0] == 201
    _, metrics = bot.get("/metrics")
    assert 'leads_received_total{outcome="created",source="g2-crowd"} 1.0' in metrics


# -- POST /slack/events: checked before Bolt sees it -------------------------------------------


def slack_post(
    bot: Harness, body: bytes, headers: dict[str, str], content_type: str = "form"
) -> tuple[int, str]:
    kinds = {"form": "application/x-www-form-urlencoded", "json": "application/json"}
    request = urllib.request.Request(
        f"{bot.base}/slack/events",
        data=body,
        headers={"Content-Type": kinds[content_type], **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


def signed(secret: str, body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp if stamp is not None else str(int(time.time()))
    mac = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + mac.hexdigest()}


COMMAND = b"command=%2Fleads&text=help&user_id=U0ALICE&channel_id=C0LEADS&team_id=T0TEAM"


@pytest.mark.parametrize("stamp", ["abc", "1e3", "", "\u00b2", "-1", "9" * 5000])
def test_a_bad_timestamp_header_gets_401(
    bot: Harness, stamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {**signed(bot.signing_secret, COMMAND), "X-Slack-Request-Timestamp": stamp}
    assert slack_post(bot, COMMAND, headers)[0] == 401
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_unsigned_stale_or_forged_requests_get_401(bot: Harness) -> None:
    six_minutes_ago = str(int(time.time()) - 360)
    assert slack_post(bot, COMMAND, {})[0] == 401
    assert slack_post(bot, COMMAND, signed(bot.signing_secret, COMMAND, six_minutes_ago))[0] == 401
    assert slack_post(bot, COMMAND, signed("", COMMAND))[0] == 401  # the empty key
    assert slack_post(bot, COMMAND, signed(bot.signing_secret, COMMAND))[0] == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe not utf-8", "form"),
        (b"payload=%7Bnot-json", "form"),
        (b"{not json", "json"),
    ],
)
def test_a_signed_but_malformed_request_gets_400(
    bot: Harness, body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    status, _ = slack_post(bot, body, signed(bot.signing_secret, body), content_type)
    assert status == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_huge_slack_body_is_refused_before_it_is_read(bot: Harness) -> None:
    """Declared 16 MiB, of which only the first KiB is sent: the answer comes anyway."""
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(16 * 1024 * 1024).encode() + b"\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", bot.app.port), timeout=PATIENCE) as conn:
        conn.sendall(head + b"x" * 1024)
        status_line = conn.recv(4096).split(b"\r\n", 1)[0]
    assert status_line.split()[1] == b"413"


@pytest.mark.parametrize("secret", [None, "s3cret"])
def test_in_socket_mode_slack_events_are_not_served_at_all(
    fake_slack: FakeSlack, sqlite_url: str, secret: str | None
) -> None:
    """Slack reaches a Socket Mode bot over its websocket: over HTTP, even a request signed
    with the empty key (or the real one) finds nothing."""
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=secret,
        slack_api_url=fake_slack.url,
        database_url=sqlite_url,
    )
    app = create_app(settings, make_config(), socket_mode=True)
    bot = Harness(app, fake_slack, secret or "", "")
    try:
        app.serve_in_thread()
        assert slack_post(bot, COMMAND, signed(secret or "", COMMAND))[0] == 404
    finally:
        app.stop()


def test_without_a_signing_secret_slack_events_are_not_served(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    settings = Settings(
        slack_bot_token="xoxb-test", slack_api_url=fake_slack.url, database_url=sqlite_url
    )
    app = create_app(settings, make_config())
    try:
        app.serve_in_thread()
        assert slack_post(Harness(app, fake_slack, "", ""), COMMAND, signed("", COMMAND))[0] == 404
    finally:
        app.stop()


def test_a_replayed_request_is_answered_and_ignored(bot: Harness) -> None:
    """Slack signs every delivery anew; the same signature twice is someone replaying a
    request they saw. `/leads away 1h` replayed used to run twice."""
    body = slash_command(
        "away 1h", user_id="U0ALICE", channel_id="C0LEADS", response_url=bot.fake.response_url("a")
    ).encode()
    headers = signed(bot.signing_secret, body)
    assert slack_post(bot, body, headers)[0] == 200
    bot.fake.wait_for("response_url")
    assert slack_post(bot, body, headers) == (200, "")
    again = slash_command(
        "away 1h", user_id="U0ALICE", channel_id="C0LEADS", response_url=bot.fake.response_url("b")
    ).encode()
    assert slack_post(bot, again, signed(bot.signing_secret, again))[0] == 200  # a new request
    answers = bot.fake.wait_for("response_url", count=2)
    assert [call.path for call in answers] == ["/response/a", "/response/b"]
