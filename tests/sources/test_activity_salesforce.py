"""Activity flows back from Salesforce (#14 §5): a Completed call or email Task on a lead, sent by
an Outbound Message, is the rep's touch; Salesforce gets its acknowledgement whatever became of
it, and sending the message again (Salesforce does, until it is acknowledged) logs nothing
twice. Over real HTTP, on SQLite and PostgreSQL, on a virtual clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from bot.clock import FixedClock, as_utc
from bot.fakeslack.server import FakeSlack
from storage.followup import Touch
from storage.models import Lead
from storage.sources import Quarantined
from tests.conftest import BASE_CONFIG, CLOCK_START, make_config, start_bot
from tests.fakes.harness import Harness
from tests.sources.payloads import SALESFORCE, SALESFORCE_ORG
from tests.sources.test_source_intake import post

T0 = CLOCK_START
EMAILS = {"U0ALICE": "alice@example.com", "U0BO": "bo@example.com", "U0CHEN": "chen@example.com"}
REPS = [{**rep, "email": EMAILS[rep["id"]]} for rep in BASE_CONFIG["reps"]]
SOURCES = {"sf": {"kind": "salesforce", "secret_env": "SF_TOKEN",
                  "organization_id": SALESFORCE_ORG}}  # fmt: skip
SOAP = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
ANN = "00Q5e00000AbCdEFGH"  # the Lead the first notification of SALESFORCE is


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
