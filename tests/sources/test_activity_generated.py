"""Generated CRM activities against the real endpoint (#14 §5 under the bad-input rules): lists of
HubSpot engagement events and objects, whatever their ids, types, subscription types and
properties, and Salesforce Task notifications, whatever their fields (their OwnerIds read from a
fake Salesforce, one query a message at most), are answered 2xx (the SOAP acknowledgement for
Salesforce) and never cause a 500 or an ERROR log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack
from tests.conftest import make_config, start_bot
from tests.fakes.harness import Harness
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.salesforce import FakeSalesforce
from tests.sources.test_activity import (
    CALL,
    CONNECTED,
    EMAIL,
    MEETING,
    REPS,
    SECRETS,
    event,
    signed,
    sources,
)
from tests.sources.test_activity_salesforce import ANN, SOAP, USERS, message
from tests.sources.test_source_intake import post

ODD = st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=12))
# Mostly what HubSpot sends (so most examples reach the touch log), then anything.
KNOWN = st.sampled_from([5001, 6001, 7001])
IDS = st.one_of(KNOWN, KNOWN, KNOWN, st.sampled_from([5999, "5001", "x-1"]), ODD)
ENGAGEMENT = st.sampled_from([CALL, EMAIL, MEETING])
TYPES = st.one_of(ENGAGEMENT, ENGAGEMENT, ENGAGEMENT, st.sampled_from(["0-1", "0-3", "CALL"]), ODD)
SUBSCRIPTIONS = st.one_of(
    st.just("object.creation"), st.just("object.creation"),
    st.sampled_from(["object.propertyChange", "object.deletion"]), ODD,
)  # fmt: skip
PROPERTY = st.sampled_from(["hs_timestamp", "hubspot_owner_id", "hs_call_status",
                            "hs_call_disposition", "hs_email_direction", "hs_email_status",
                            "hs_meeting_outcome", "hs_createdate", "hs_object_id"])  # fmt: skip
VALUE = st.one_of(st.sampled_from(["77", "78", "COMPLETED", "CANCELED", "INCOMING_EMAIL",
                                   "2026-11-23T15:05:00Z", "2026-11-23", "1764000000000",
                                   "99999999999999999999", CONNECTED]), ODD)  # fmt: skip
OWNED = st.fixed_dictionaries({"hubspot_owner_id": st.sampled_from(["77", "77", "78"]),
                               "hs_timestamp": st.sampled_from(["2026-11-23T15:05:00Z",
                                                                "0"])})  # fmt: skip
PROPERTIES = st.builds(lambda owned, more: {**owned, **more}, OWNED,
                       st.dictionaries(PROPERTY, VALUE, max_size=5))  # fmt: skip
EVENTS = st.builds(
    lambda base, object_id, type_id, kind, when: {**base, "objectId": object_id,
                                                  "objectTypeId": type_id,
                                                  "subscriptionType": kind, "occurredAt": when},
    st.just(event(0)), IDS, TYPES, SUBSCRIPTIONS, ODD,
)  # fmt: skip
ASSOCIATIONS = st.one_of(ODD, st.builds(lambda ids: {"contacts": {"results": [
    {"id": i} for i in ids]}}, st.lists(st.one_of(st.just("123"), ODD), max_size=3)))  # fmt: skip
OBJECTS = st.fixed_dictionaries(
    {"id": IDS, "properties": st.one_of(PROPERTIES, ODD)},
    optional={"associations": ASSOCIATIONS, "objectTypeId": TYPES},
)
# OwnerIds: a rep's user (18 and 15 characters), a user nobody knows, not an id, none.
OWNER_IDS = st.sampled_from([USERS["U0BO"], USERS["U0BO"][:15], "0055e000009ZzZzAAK",
                             "005' OR Id != '", ""])  # fmt: skip
TASK_FIELDS = st.dictionaries(
    st.one_of(st.sampled_from(["Id", "WhoId", "Status", "TaskSubtype", "Type", "CreatedDate",
                               "CompletedDateTime", "ActivityDate", "Owner_Email__c",
                               "CallDisposition", "IsClosed", "OwnerId", "OwnerId"]),
              st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True)),
    st.one_of(st.sampled_from([ANN, "Completed", "Call", "Email", "bo@example.com",
                               "2026-11-23T15:20:00.000Z", "true"]), st.text(max_size=20),
              OWNER_IDS),
    max_size=8,
)  # fmt: skip
# A Completed call whose owner is read by OwnerId, whatever else it carries.
OWNED_TASKS = st.builds(
    lambda extra, task_id, owner: {**extra, "Id": task_id, "WhoId": ANN, "Status": "Completed",
                                   "TaskSubtype": "Call", "OwnerId": owner},
    TASK_FIELDS.map(lambda fields: {k: v for k, v in fields.items()
                                    if not k.startswith("Owner")}),
    st.sampled_from(["00T5e00000Hk3PqEAJ", "00T5e00000Hk3PrEAJ"]), OWNER_IDS,
)  # fmt: skip


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        fake.contacts = {"123": {"firstname": "Ada", "hubspot_owner_id": "77"}}
        fake.owners = [{"id": "77", "email": "bo@example.com"}, {"id": "78", "email": "z@x.io"}]
        yield fake


@pytest.fixture
def salesforce() -> Iterator[FakeSalesforce]:
    with FakeSalesforce("sf-api-tok") as fake:
        fake.users = [{"Id": USERS["U0BO"], "Email": "bo@example.com", "IsActive": True}]
        yield fake


@pytest.fixture
def bot(fake_slack: FakeSlack, database_url: str, hubspot: FakeHubSpot,
        salesforce: FakeSalesforce, clock: FixedClock) -> Iterator[Harness]:  # fmt: skip
    configured = sources(hubspot.url)  # Tasks' OwnerIds read through Salesforce's API
    configured["sf"] = {**configured["sf"], "token_env": "SF_API", "api_url": salesforce.url}
    harness = start_bot(fake_slack, database_url, make_config(reps=REPS, sources=configured),
                        clock=clock, settings_overrides={"source_secrets": {
                            **SECRETS, "SF_API": "sf-api-tok"}})  # fmt: skip
    body = json.dumps([event(123, type_id="0-1")]).encode()
    assert post(harness, "hub", body, signed(harness, "hub", body))[0] == 201  # lead #1: Ada
    yield harness
    harness.app.stop()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(EVENTS, EVENTS, OBJECTS), min_size=1, max_size=6), PROPERTIES,
       PROPERTIES, st.lists(st.sampled_from(["123", "123", "999"]), min_size=1,
                            max_size=2))  # fmt: skip
def test_generated_engagements_are_answered_2xx_without_an_error(
    bot: Harness, hubspot: FakeHubSpot, caplog: pytest.LogCaptureFixture,
    items: list[dict[str, Any]], call: dict[str, Any], email: dict[str, Any], linked: list[str],
) -> None:  # fmt: skip
    hubspot.engagements["calls"]["5001"] = call
    hubspot.engagements["emails"]["6001"] = email
    hubspot.engagements["meetings"]["7001"] = {**email, "hs_meeting_outcome": "SCHEDULED"}
    hubspot.engaged.update({"5001": linked, "6001": linked[:1], "7001": ["123"]})
    body = json.dumps(items).encode()
    status, answer = post(bot, "hub", body, signed(bot, "hub", body))
    assert status in (200, 201, 202), answer
    said = {one["outcome"] for one in answer.get("activities", [])}
    assert said <= {"logged", "duplicate", "ignored", "quarantined"}, answer
    assert not errors(caplog)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(TASK_FIELDS, OWNED_TASKS), min_size=1, max_size=4))
def test_generated_task_notifications_are_acknowledged_without_an_error(
    bot: Harness, salesforce: FakeSalesforce, caplog: pytest.LogCaptureFixture,
    tasks: list[dict[str, str]],
) -> None:  # fmt: skip
    asked = len(salesforce.calls)
    status, answer = post(bot, "sf?token=sf-tok", message(*tasks), SOAP)
    assert status == 200 and "<Ack>true</Ack>" in answer
    assert len(salesforce.calls) - asked <= 1  # one query for the message's owners, at most
    assert not errors(caplog)
