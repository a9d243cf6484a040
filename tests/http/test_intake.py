"""POST /api/leads over real HTTP (bot/http/intake.py): auth, validation, idempotency, delivery
of the card, and no body that gets a 500."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select

from storage.models import Lead, LeadEvent, OutboxMessage
from tests.conftest import MakeBot, make_config
from tests.fakes.concurrency import all_at_once
from tests.fakes.harness import Harness
from tests.strategies import LEAD, intake_bodies


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


def test_concurrent_intake_shares_the_rotation_fairly(bot: Harness) -> None:
    results = all_at_once(21, lambda i: bot.post_lead({"name": f"Lead {i}", "source": "burst"}))
    assert [status for status, _ in results] == [201] * 21
    owners = Counter(answer["owner"] for _, answer in results)
    assert owners == {"U0ALICE": 7, "U0BO": 7, "U0CHEN": 7}


def test_concurrent_duplicates_store_and_post_once(bot: Harness) -> None:
    results = all_at_once(10, lambda _i: bot.post_lead(LEAD))
    assert sorted(status for status, _ in results) == [200] * 9 + [201]
    # One lead, named by every answer. Not necessarily #1: on PostgreSQL an insert that lost
    # the race has already drawn a value from the id sequence.
    [lead_id] = {answer["id"] for _, answer in results}
    bot.card_posts(2)
    bot.post_lead({**LEAD, "external_id": "after"})  # a later lead flushes the outbox once more
    bot.card_posts(4)
    assert counts(bot)[0] == 2
    cards = [c for c in bot.fake.calls("chat.postMessage") if f"#{lead_id}:" in c.args["text"]]
    assert len(cards) == 2


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


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=intake_bodies)
def test_any_body_gets_an_answer_and_never_a_500(
    bot: Harness, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    leads_before = counts(bot)[0]
    status, answer = bot.post_lead(None, raw=raw)
    assert status in (200, 201, 413, 422), answer
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
