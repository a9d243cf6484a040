"""Activity flows back from Salesforce (#14 §5): a Completed call or email Task on a lead, sent by
an Outbound Message, is the rep's touch; Salesforce gets its acknowledgement whatever became of
it, and sending the message again (Salesforce does, until it is acknowledged) logs nothing
twice. Without a field carrying the owner's email, the owner's user is read from Salesforce's
REST API (a fake over real HTTP): one query a message, cached 10 minutes, never lost when it
fails. Over real HTTP, on SQLite and PostgreSQL, on a virtual clock."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from bot.clock import FixedClock, as_utc
from bot.fakeslack.server import FakeSlack
from bot.sources.retry import retry
from storage.followup import Touch
from storage.models import Lead
from storage.sources import Quarantined
from tests.conftest import BASE_CONFIG, CLOCK_START, make_config, start_bot
from tests.fakes.harness import Harness
from tests.fakes.salesforce import FakeSalesforce
from tests.sources.payloads import SALESFORCE, SALESFORCE_ORG
from tests.sources.test_source_intake import count, post

T0 = CLOCK_START
EMAILS = {"U0ALICE": "alice@example.com", "U0BO": "bo@example.com", "U0CHEN": "chen@example.com"}
REPS = [{**rep, "email": EMAILS[rep["id"]]} for rep in BASE_CONFIG["reps"]]
SOURCES = {"sf": {"kind": "salesforce", "secret_env": "SF_TOKEN",
                  "organization_id": SALESFORCE_ORG}}  # fmt: skip
SOAP = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
ANN = "00Q5e00000AbCdEFGH"  # the Lead the first notification of SALESFORCE is
NOBODY = "00Q5e00000ZZZZZZZZ"  # a Lead leadbot does not have
REP_OF = {email: rep for rep, email in EMAILS.items()}
USERS = {"U0ALICE": "0055e000003AlIcAAC", "U0BO": "0055e000003BoBoAAK",
         "U0CHEN": "0055e000003ChEnAAE"}  # each rep's Salesforce user  # fmt: skip
API_SECRETS = {"SF_TOKEN": "sf-tok", "SF_API": "00D5e000000KQ2e!AQ4AQtest"}


@pytest.fixture
def bot(fake_slack: FakeSlack, database_url: str, clock: FixedClock) -> Iterator[Harness]:
    config = make_config(reps=REPS, sources=SOURCES)
    harness = start_bot(fake_slack, database_url, config, clock=clock,
                        settings_overrides={"source_secrets": {"SF_TOKEN": "sf-tok"}})  # fmt: skip
    yield harness
    harness.app.stop()


def task(**fields: str) -> dict[str, str]:
    """A Task as an Outbound Message sends it: a call Ann's owner logged ("Log a Call")."""
    return {"Id": "00T5e00000Hk3PqEAJ", "ActivityDate": "2026-11-23",
            "CallDisposition": "Left voicemail", "CompletedDateTime": "2026-11-23T15:20:00.000Z",
            "CreatedDate": "2026-11-23T15:20:04.000Z", "OwnerId": "0055e000003AbCdAAK",
            "Status": "Completed", "Subject": "Call", "TaskSubtype": "Call", "Type": "Call",
            "WhoId": ANN, **fields}  # fmt: skip


def message(*tasks: dict[str, str]) -> bytes:
    """An Outbound Message on Task (the sObject's `xsi:type` is sf:Task), one notification a
    Task."""
    notes = "".join(
        f"<Notification><Id>04l5e00000Gx7Q{n:04d}</Id>"
        '<sObject xsi:type="sf:Task" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        + "".join(f"<sf:{k}>{escape(v)}</sf:{k}>" for k, v in fields.items())
        + "</sObject></Notification>"
        for n, fields in enumerate(tasks)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<OrganizationId>{SALESFORCE_ORG}</OrganizationId><ActionId>04k5e000000CaRkAAK</ActionId>"
        f"{notes}</notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()


def ann_arrives(bot: Harness) -> str:
    """Ann's Lead message: lead #1 (the message's second Lead is held); her owner's email."""
    status, answer = post(bot, "sf?token=sf-tok", SALESFORCE.encode(), SOAP)
    assert status == 200 and "<Ack>true</Ack>" in answer
    with bot.app.services.db.read() as session:
        ann = session.get(Lead, 1)
        assert ann is not None and ann.external_id == ANN and ann.owner_id
        return EMAILS[ann.owner_id]


def touches(bot: Harness) -> list[Touch]:
    with bot.app.services.db.read() as session:
        return list(session.scalars(select(Touch).order_by(Touch.id)))


def test_a_completed_call_task_is_the_owners_touch_once_however_often_it_comes(
    bot: Harness, clock: FixedClock
) -> None:
    owner = ann_arrives(bot)
    clock.advance(timedelta(minutes=30))
    planned = task(Id="00T5e00000Hk3PrEAJ", Status="Not Started", Owner_Email__c=owner)
    body = message(task(Owner_Email__c=owner), planned)
    for _ in range(2):  # Salesforce sends it again until it is acknowledged
        status, answer = post(bot, "sf?token=sf-tok", body, SOAP)
        assert status == 200 and "<Ack>true</Ack>" in answer
    [touch] = touches(bot)  # the open Task is a plan, not a touch
    assert (touch.channel, touch.result) == ("call", "call_voicemail")
    assert touch.detail == {"crm": "salesforce", "activity_id": "00T5e00000Hk3PqEAJ",
                            "activity": "call"}  # fmt: skip
    assert as_utc(touch.at) == T0 + timedelta(minutes=20)  # CompletedDateTime
    with bot.app.services.db.read() as session:
        ann = session.get(Lead, 1)
        assert ann is not None and ann.status == "claimed"
        assert ann.first_contact_wait_seconds == 20 * 60
        held = session.scalars(select(Quarantined.body)).all()
    assert all("00T5e" not in body for body in held)  # only the Lead message's nameless lead


def test_a_task_whose_owner_names_no_rep_is_acknowledged_and_ignored(
    bot: Harness, clock: FixedClock
) -> None:
    ann_arrives(bot)
    clock.advance(timedelta(minutes=5))
    # OwnerId alone names a Salesforce user: without the owner's email leadbot cannot tell who.
    someone_else = task(
        WhoId="00Q5e00000ZZZZZZZZ", Owner_Email__c="alice@example.com", Id="00T5e00000Hk3PsEAJ"
    )  # a lead leadbot does not have
    status, answer = post(bot, "sf?token=sf-tok", message(task(), someone_else), SOAP)
    assert status == 200 and "<Ack>true</Ack>" in answer
    assert touches(bot) == []
    with bot.app.services.db.read() as session:
        ann = session.get(Lead, 1)
        assert ann is not None and ann.first_contact_at is None


def test_a_source_with_activities_off_acknowledges_tasks_and_logs_none(
    fake_slack: FakeSlack, sqlite_url: str, clock: FixedClock
) -> None:
    off = {"sf": {**SOURCES["sf"], "activities": False}}
    bot = start_bot(fake_slack, sqlite_url, make_config(reps=REPS, sources=off), clock=clock,
                    settings_overrides={"source_secrets": {"SF_TOKEN": "sf-tok"}})  # fmt: skip
    try:
        owner = ann_arrives(bot)
        status, answer = post(bot, "sf?token=sf-tok", message(task(Owner_Email__c=owner)), SOAP)
        assert status == 200 and "<Ack>true</Ack>" in answer
        assert touches(bot) == []
        with bot.app.services.db.read() as session:  # nor held as a lead: it is no lead
            assert len(session.scalars(select(Quarantined.id)).all()) == 1  # the Lead message's
    finally:
        bot.app.stop()


@pytest.fixture
def salesforce() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(API_SECRETS["SF_API"]) as fake:
        fake.users = [{"Id": USERS[rep], "Email": email, "IsActive": True}
                      for rep, email in EMAILS.items()]  # fmt: skip
        yield fake


@pytest.fixture
def api_bot(fake_slack: FakeSlack, database_url: str, clock: FixedClock,
            salesforce: FakeSalesforce) -> Iterator[Harness]:  # fmt: skip
    """The source with the REST API, as writing owners back has it: token_env and api_url."""
    sources = {"sf": {**SOURCES["sf"], "token_env": "SF_API", "api_url": salesforce.url}}
    config = make_config(reps=REPS, sources=sources)
    harness = start_bot(fake_slack, database_url, config, clock=clock,
                        settings_overrides={"source_secrets": API_SECRETS})  # fmt: skip
    yield harness
    harness.app.stop()


def queries(fake: FakeSalesforce) -> list[str]:
    return [parse_qs(urlsplit(path).query)["q"][0] for _, path, _ in fake.calls if "query" in path]


def deliver(bot: Harness, *tasks: dict[str, str]) -> tuple[int, str, str | None]:
    """Salesforce's delivery of a message: the status, the SOAP answer, its Retry-After."""
    request = urllib.request.Request(f"{bot.base}/api/sources/sf?token=sf-tok", method="POST",
                                     data=message(*tasks), headers=SOAP)  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode(), None
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers.get("Retry-After")


def test_a_tasks_owner_is_read_from_salesforce_in_one_query_for_the_messages_owners(
    api_bot: Harness, salesforce: FakeSalesforce, clock: FixedClock
) -> None:
    rep = REP_OF[ann_arrives(api_bot)]
    other = next(one for one in USERS if one != rep)
    clock.advance(timedelta(minutes=30))
    mine = task(OwnerId=USERS[rep])  # no Owner_Email__c: the user is looked up
    theirs = task(Id="00T5e00000Hk3PtEAJ", OwnerId=USERS[other], WhoId=NOBODY)
    emailed = task(Id="00T5e00000Hk3PuEAJ", OwnerId=USERS[rep], TaskSubtype="Email")
    status, answer, _ = deliver(api_bot, mine, theirs, emailed)
    assert status == 200 and "<Ack>true</Ack>" in answer
    listed = ", ".join(f"'{user}'" for user in sorted((USERS[rep], USERS[other])))
    assert queries(salesforce) == [f"SELECT Id, Email FROM User WHERE Id IN ({listed})"]
    logged = touches(api_bot)
    assert {(t.by, t.channel) for t in logged} == {(rep, "call"), (rep, "email")}
    assert len(logged) == 2  # the other owner's Task is on a lead leadbot does not have


def test_an_owners_email_is_asked_again_only_after_ten_minutes(
    api_bot: Harness, salesforce: FakeSalesforce, clock: FixedClock
) -> None:
    rep = REP_OF[ann_arrives(api_bot)]
    for n, wait in enumerate((1, 5, 6)):  # minutes: read, cached (6 min old), read again (11)
        clock.advance(timedelta(minutes=wait))
        status, _, _ = deliver(api_bot, task(Id=f"00T5e00000Hk3Q{n}EAJ", OwnerId=USERS[rep]))
        assert status == 200
        assert len(queries(salesforce)) == (1 if n < 2 else 2)
    assert [t.by for t in touches(api_bot)] == [rep] * 3


def test_an_owner_email_field_wins_without_a_query(
    api_bot: Harness, salesforce: FakeSalesforce
) -> None:
    owner = ann_arrives(api_bot)
    elsewhere = next(user for rep, user in USERS.items() if EMAILS[rep] != owner)
    status, _, _ = deliver(api_bot, task(OwnerId=elsewhere, Owner_Email__c=owner))
    assert status == 200
    assert [t.by for t in touches(api_bot)] == [REP_OF[owner]]
    assert queries(salesforce) == []


def test_an_owner_id_that_is_no_salesforce_id_is_ignored_with_why_and_no_query(
    api_bot: Harness, salesforce: FakeSalesforce, caplog: pytest.LogCaptureFixture
) -> None:
    ann_arrives(api_bot)
    caplog.set_level(logging.INFO)
    odd = (task(OwnerId="005' OR Id != '"), task(Id="00T5e00000Hk3PtEAJ", OwnerId="bo@example.com"))
    status, answer, _ = deliver(api_bot, *odd)
    assert status == 200 and "<Ack>true</Ack>" in answer
    assert touches(api_bot) == [] and queries(salesforce) == []
    said = [r.getMessage() for r in caplog.records if r.name == "bot.sources.activity_intake"]
    assert len(said) == 1 and said[0].count("OwnerId is not a Salesforce id") == 2
    assert "@" not in said[0]  # INFO: ids, never an email


@pytest.mark.parametrize("failure", [(503, "SERVER_UNAVAILABLE"), (403, "REQUEST_LIMIT_EXCEEDED")])
def test_salesforce_down_is_not_acknowledged_keeps_nothing_and_its_retry_logs_once(
    api_bot: Harness, salesforce: FakeSalesforce, clock: FixedClock, failure: tuple[int, str]
) -> None:
    owner = REP_OF[ann_arrives(api_bot)]
    salesforce.query_script = [failure]
    clock.advance(timedelta(minutes=2))
    status, answer, wait = deliver(api_bot, task(OwnerId=USERS[owner]))
    assert (status, wait) == (503, "60") and "<Ack>" not in answer
    assert "<faultcode>soapenv:Server</faultcode>" in answer  # shown in Salesforce's queue
    assert count(api_bot, Touch) == 0 and count(api_bot, Quarantined) == 1  # the Lead message's
    for _ in range(2):  # Salesforce's retry, then a second delivery of the same message
        clock.advance(timedelta(minutes=1))
        status, answer, _ = deliver(api_bot, task(OwnerId=USERS[owner]))
        assert status == 200 and "<Ack>true</Ack>" in answer
    assert [t.by for t in touches(api_bot)] == [owner]
    assert count(api_bot, Quarantined) == 1


def test_a_refused_token_holds_the_task_with_the_fix(
    api_bot: Harness, salesforce: FakeSalesforce
) -> None:
    owner = REP_OF[ann_arrives(api_bot)]
    salesforce.token = "00D5e000000KQ2e!expired"
    status, answer, _ = deliver(api_bot, task(OwnerId=USERS[owner]))
    assert status == 200 and "<Ack>true</Ack>" in answer  # held: sending it again cannot help
    assert touches(api_bot) == []
    with api_bot.app.services.db.read() as session:
        [row] = session.scalars(select(Quarantined).where(Quarantined.body.contains("00T5e")))
        held, [problem] = row.id, row.problems
    assert "Salesforce answered 401 (INVALID_SESSION_ID" in problem["message"]
    assert "set SF_API to a current access token" in problem["message"]
    salesforce.token = API_SECRETS["SF_API"]  # the admin sets a current token and retries
    touches_log = api_bot.app.services.sources.activities.touches
    result = retry(api_bot.app.services.leads, held, API_SECRETS, touches_log)
    assert result.ok, result.message
    assert [t.by for t in touches(api_bot)] == [owner]
