"""Writing the owner back to Salesforce: an Outbound Message's Lead (its type read from the
notification's `xsi:type`) or a lead posted with a Salesforce id (its type from the id's key
prefix) gets its OwnerId through the REST API, the user found by the rep's email in a SOQL
query with the email escaped. Over real HTTP to a fake Salesforce; the test ticks the writer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack
from bot.sources.salesforce_api import soql_string
from bot.sources.writer import CrmWriter
from bot.vocabulary import EventKind
from storage.crm import CrmWrite
from storage.models import Lead, LeadEvent
from tests.conftest import BASE_CONFIG, make_config, start_bot
from tests.fakes.harness import Harness
from tests.fakes.salesforce import FakeSalesforce
from tests.sources.payloads import SALESFORCE, SALESFORCE_ORG
from tests.sources.test_source_intake import post

SECRETS = {"SF_TOKEN": "sf-url-token", "SF_API": "00D5e000000KQ2e!AQ4AQtest"}
REPS = [{**BASE_CONFIG["reps"][0], "email": "alice@example.com"},
        {**BASE_CONFIG["reps"][1], "email": "bo@example.com"},
        {"id": "U0OBRIEN", "name": "Pat O'Brien", "email": "pat.o'brien@example.com"}]  # fmt: skip
USERS = {"alice@example.com": "0055e000001AlicAAA", "bo@example.com": "0055e000001BoBoAAA",
         "pat.o'brien@example.com": "0055e000001PatOAAA"}  # fmt: skip
ANN = ("Lead", "00Q5e00000AbCdEFGH")


@pytest.fixture
def salesforce() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(token=SECRETS["SF_API"]) as fake:
        fake.users = [{"Id": i, "Email": e, "IsActive": True} for e, i in USERS.items()]
        fake.records = {ANN: {"OwnerId": "0055e000000QueueAAA"},
                        ("Contact", "0035e00000XyZabCDE"): {}}  # fmt: skip
        yield fake


@pytest.fixture
def bot(
    fake_slack: FakeSlack, database_url: str, clock: FixedClock, salesforce: FakeSalesforce
) -> Iterator[Harness]:
    source = {"kind": "salesforce", "secret_env": "SF_TOKEN", "organization_id": SALESFORCE_ORG,
              "token_env": "SF_API", "api_url": salesforce.url, "write_owner": True}  # fmt: skip
    config = make_config(reps=REPS, sources={"sf": source}, routing={"default": ["U0BO"]})
    harness = start_bot(fake_slack, database_url, config, clock=clock,
                        settings_overrides={"source_secrets": SECRETS})  # fmt: skip
    yield harness
    harness.app.stop()


def outbound_message(bot: Harness) -> int:
    soap = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    status, answer = post(bot, "sf?token=sf-url-token", SALESFORCE.encode(), soap)
    assert status == 200 and "<Ack>true</Ack>" in answer
    with bot.app.services.db.read() as session:
        lead = session.scalar(select(Lead).where(Lead.external_id == ANN[1]))
        assert lead is not None and lead.fields["sObjectType"] == "Lead"
        return lead.id


def writer(bot: Harness) -> CrmWriter:
    assert bot.app.services.crm_writer is not None
    return bot.app.services.crm_writer


def patches(salesforce: FakeSalesforce) -> list[tuple[str, Any]]:
    return [(path.split("/sobjects/")[1], body["OwnerId"])
            for method, path, body in salesforce.calls if method == "PATCH"]  # fmt: skip


def failures(bot: Harness, lead_id: int) -> list[str]:
    with bot.app.services.db.read() as session:
        query = select(LeadEvent.detail).where(
            LeadEvent.lead_id == lead_id, LeadEvent.kind == EventKind.CRM_OWNER_FAILED
        )
        return [str(detail["error"]) for detail in session.scalars(query)]


def test_an_outbound_messages_lead_gets_its_owner_id(
    bot: Harness, salesforce: FakeSalesforce
) -> None:
    outbound_message(bot)
    writer(bot).tick()
    assert patches(salesforce) == [("Lead/00Q5e00000AbCdEFGH", USERS["bo@example.com"])]
    assert salesforce.records[ANN]["OwnerId"] == USERS["bo@example.com"]
    assert writer(bot).tick() == 0


def test_the_reps_email_is_escaped_in_the_soql_query(
    bot: Harness, salesforce: FakeSalesforce
) -> None:
    lead_id = outbound_message(bot)
    writer(bot).tick()
    assert bot.app.services.leads.reassign(lead_id, "U0MAYA", "U0OBRIEN").ok
    writer(bot).tick()
    assert salesforce.records[ANN]["OwnerId"] == USERS["pat.o'brien@example.com"]
    asked = [parse_qs(urlsplit(path).query)["q"][0] for m, path, _ in salesforce.calls
             if "/query" in path]  # fmt: skip
    assert asked[-1] == ("SELECT Id FROM User WHERE Email = 'pat.o\\'brien@example.com' AND "
                         "IsActive = true")  # fmt: skip


def test_soql_strings_escape_what_would_end_them() -> None:
    assert soql_string("a'b\\c\nd") == "'a\\'b\\\\c\\nd'"


@pytest.mark.parametrize(("record", "said"), [
    ("0035e00000XyZabCDE", None),  # a Contact, by its key prefix
    ("0015e00000AccOuNTs", "is of a type leadbot cannot tell, not a Lead or a Contact"),
    ("0035e00000GoneAWAY", "Salesforce answered 404 (NOT_FOUND: The requested resource does not "
                           "exist)"),
])  # fmt: skip
def test_a_lead_posted_with_a_salesforce_id_is_written_by_its_type(
    bot: Harness, salesforce: FakeSalesforce, record: str, said: str | None
) -> None:
    status, answer = bot.post_lead({"name": "Cy Contact", "email": "cy@example.org",
                                    "source": "sf", "external_id": record})  # fmt: skip
    assert status == 201, answer
    writer(bot).tick()
    if said is None:
        assert salesforce.records[("Contact", record)]["OwnerId"] == USERS["bo@example.com"]
    else:
        (error,) = failures(bot, answer["id"])
        assert said in error


def test_a_locked_record_is_retried_and_an_expired_session_given_up(
    bot: Harness, clock: FixedClock, salesforce: FakeSalesforce
) -> None:
    lead_id = outbound_message(bot)
    salesforce.write_script = [(400, "UNABLE_TO_LOCK_ROW")]
    writer(bot).tick()
    clock.advance(timedelta(seconds=5))
    writer(bot).tick()
    assert salesforce.records[ANN]["OwnerId"] == USERS["bo@example.com"]

    salesforce.token = "expired"
    assert bot.app.services.leads.reassign(lead_id, "U0MAYA", "U0ALICE").ok
    writer(bot).tick()
    (error,) = failures(bot, lead_id)
    assert error == "Salesforce answered 401 (INVALID_SESSION_ID: Session expired or invalid)"
    clock.advance(timedelta(hours=1))
    assert writer(bot).tick() == 0
    with bot.app.services.db.read() as session:
        row = session.scalar(select(CrmWrite).where(CrmWrite.lead_id == lead_id))
        assert row is not None and (row.status, row.written_owner) == ("failed", "U0BO")
