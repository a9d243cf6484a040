"""Activity flows back (#14 §5): a call, an email or a meeting logged in the CRM is the rep's own
touch in leadbot. Over real HTTP on SQLite and PostgreSQL: signed HubSpot engagement events into
the bot, the bot to a fake HubSpot for the objects and their contacts; Salesforce Task
Outbound Messages. Logged once however often the CRM sends it; what leadbot cannot place is
answered and ignored; HubSpot down is answered 503 (nothing kept) or held, never lost."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from blocks import ids
from bot.clock import FixedClock, as_utc
from bot.fakeslack.server import FakeSlack, RecordedCall
from bot.sources.retry import retry
from storage.followup import Task, Touch
from storage.models import Lead
from storage.sources import Quarantined
from tests.conftest import BASE_CONFIG, CLOCK_START, make_config, start_bot
from tests.fakes.harness import Harness
from tests.fakes.hubspot import FakeHubSpot
from tests.sources.payloads import SALESFORCE_ORG
from tests.sources.test_source_intake import count, post

T0 = CLOCK_START  # Monday 10:00 in New York, Bo's zone
SECRETS = {"HUB_SECRET": "app-client-secret", "HUB_TOKEN": "pat-na1-test", "SF_TOKEN": "sf-tok",
           "BARE_SECRET": "bare-secret"}  # fmt: skip
REPS = [{**BASE_CONFIG["reps"][0], "email": "alice@example.com"},
        {**BASE_CONFIG["reps"][1], "email": "bo@example.com"}, BASE_CONFIG["reps"][2]]  # fmt: skip
CONNECTED = "f240bbac-87c9-4f6e-bf70-924b57d47db7"  # HubSpot's default "Connected"
CALL, EMAIL, MEETING = "0-48", "0-49", "0-47"


def sources(api: str) -> dict[str, Any]:
    return {
        "hub": {"kind": "hubspot", "secret_env": "HUB_SECRET", "token_env": "HUB_TOKEN",
                "api_url": api},
        "bare": {"kind": "hubspot", "secret_env": "BARE_SECRET"},  # no token: events are held
        "sf": {"kind": "salesforce", "secret_env": "SF_TOKEN", "organization_id": SALESFORCE_ORG},
    }  # fmt: skip


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        fake.contacts = {"123": {"email": "ada@analytical.example", "firstname": "Ada",
                                 "lastname": "Lovelace", "hubspot_owner_id": "77"}}  # fmt: skip
        fake.owners = [
            {"id": "77", "email": "bo@example.com", "firstName": "Bo", "archived": False},
            {"id": "78", "email": "zed@example.com", "firstName": "Zed", "archived": False},
        ]
        yield fake


@pytest.fixture
def bot(fake_slack: FakeSlack, database_url: str, hubspot: FakeHubSpot,
        clock: FixedClock) -> Iterator[Harness]:  # fmt: skip
    config = make_config(reps=REPS, sources=sources(hubspot.url))
    harness = start_bot(fake_slack, database_url, config, clock=clock,
                        settings_overrides={"source_secrets": SECRETS})  # fmt: skip
    yield harness
    harness.app.stop()


def signed(bot: Harness, name: str, body: bytes,
           secret: str = "app-client-secret") -> dict[str, str]:  # fmt: skip
    """HubSpot's v3 signature, stamped on the bot's clock (its 5-minute window)."""
    stamp = str(int(bot.app.services.clock.now().timestamp() * 1000))
    message = b"POST" + f"{bot.base}/api/sources/{name}".encode() + body + stamp.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return {"X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
            "X-HubSpot-Request-Timestamp": stamp}  # fmt: skip


def event(object_id: int, type_id: str = CALL, kind: str = "object.creation",
          attempt: int = 0) -> dict[str, Any]:  # fmt: skip
    """A generic webhook subscription's event, shaped as HubSpot's documentation shows it."""
    return {"eventId": 3000 + object_id, "subscriptionId": 2291, "portalId": 62515,
            "appId": 54321, "occurredAt": int(T0.timestamp() * 1000), "subscriptionType": kind,
            "attemptNumber": attempt, "objectId": object_id, "objectTypeId": type_id,
            "changeFlag": "CREATED", "changeSource": "CRM_UI",
            "sourceId": "userId:9001"}  # fmt: skip


def send(bot: Harness, *events: dict[str, Any], name: str = "hub") -> tuple[int, Any]:
    body = json.dumps(list(events)).encode()
    secret = "bare-secret" if name == "bare" else "app-client-secret"
    return post(bot, name, body, signed(bot, name, body, secret))


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def a_call(hubspot: FakeHubSpot, call_id: int, at: datetime, contact: str = "123",
           owner: str = "77", **more: str) -> None:  # fmt: skip
    hubspot.engagements["calls"][str(call_id)] = {
        "hs_timestamp": iso(at), "hubspot_owner_id": owner, "hs_call_direction": "OUTBOUND",
        "hs_call_disposition": CONNECTED, "hs_call_status": "COMPLETED", **more}  # fmt: skip
    hubspot.engaged[str(call_id)] = [contact]


def ada_arrives(bot: Harness) -> RecordedCall:
    """Contact 123 (owned by Bo in HubSpot) becomes lead #1 on Bo's desk: its card."""
    status, answer = send(bot, event(123, type_id="0-1"))
    assert status == 201, answer
    return bot.dm_card("U0BO", 1)


def touches(bot: Harness) -> list[Touch]:
    with bot.app.services.db.read() as session:
        return list(session.scalars(select(Touch).order_by(Touch.id)))


def tasks(bot: Harness) -> list[tuple[int, str, str | None]]:
    with bot.app.services.db.read() as session:
        rows = session.execute(select(Task.step, Task.status, Task.result).order_by(Task.step))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def lead(bot: Harness, lead_id: int = 1) -> Lead:
    with bot.app.services.db.read() as session:
        found = session.get(Lead, lead_id)
        assert found is not None
        return found


def redrawn(bot: Harness, card: RecordedCall, shows: str) -> str:
    def matches(call: RecordedCall) -> bool:
        return call.args["ts"] == card.response["ts"] and shows in json.dumps(call.args["blocks"])

    return json.dumps(bot.fake.wait_for("chat.update", where=matches)[0].args["blocks"])


def test_a_hubspot_call_claims_stops_the_clock_does_day_1_and_redraws_the_card(
    bot: Harness, hubspot: FakeHubSpot, clock: FixedClock
) -> None:
    card = ada_arrives(bot)
    clock.advance(timedelta(minutes=15))
    a_call(hubspot, 5001, T0 + timedelta(minutes=12))
    status, answer = send(bot, event(5001))
    assert status == 200, answer
    assert answer == {"results": [], "activities": [
        {"id": "5001", "kind": "call", "outcome": "logged", "lead_id": 1}]}  # fmt: skip
    ada = lead(bot)
    assert (ada.status, ada.claimed_by, ada.first_contact_by) == ("claimed", "U0BO", "U0BO")
    assert as_utc(ada.first_contact_at) == T0 + timedelta(minutes=12)  # the call's own time
    assert ada.first_contact_wait_seconds == 12 * 60
    [touch] = touches(bot)
    assert (touch.channel, touch.result, touch.by, touch.template) == (
        "call", "call_connected", "U0BO", None)  # fmt: skip
    assert touch.detail == {"crm": "hubspot", "activity_id": "5001", "activity": "call"}
    # The claim planned Day 1 (email + call, due now); the call did it, and Day 2 is planned.
    assert tasks(bot) == [(1, "done", "call_connected"), (2, "open", None)]
    shown = redrawn(bot, card, "First contact after 12m, <@U0BO>")
    assert "Call: connected" in shown
    asked = [path for method, path, _ in hubspot.calls if "calls" in path]
    assert asked == ["/crm/v3/objects/calls/batch/read",
                     "/crm/v4/associations/calls/contacts/batch/read"]  # fmt: skip


def test_the_same_activity_sent_again_is_one_touch(
    bot: Harness, hubspot: FakeHubSpot, clock: FixedClock
) -> None:
    ada_arrives(bot)
    a_call(hubspot, 5001, T0 + timedelta(minutes=1))
    assert send(bot, event(5001))[1]["activities"][0]["outcome"] == "logged"
    clock.advance(timedelta(minutes=5))
    status, answer = send(bot, event(5001, attempt=1), event(5001, attempt=1))  # HubSpot's retry
    assert status == 200
    assert [one["outcome"] for one in answer["activities"]] == ["duplicate", "duplicate"]
    assert len(touches(bot)) == 1 and lead(bot).contact_count == 1


def test_an_email_does_the_claimed_leads_due_task_and_plans_the_next(
    bot: Harness, hubspot: FakeHubSpot, clock: FixedClock
) -> None:
    card = ada_arrives(bot)
    assert bot.click(ids.CLAIM, 1, "U0BO", card)[0] == 200
    bot.lead_status(1, "claimed")
    assert tasks(bot) == [(0, "open", None), (1, "open", None)]  # first contact SLA, Day 1
    clock.advance(timedelta(minutes=30))
    hubspot.engagements["emails"]["6001"] = {
        "hs_timestamp": iso(T0 + timedelta(minutes=25)), "hubspot_owner_id": "77",
        "hs_email_direction": "EMAIL", "hs_email_status": "SENT"}  # fmt: skip
    hubspot.engaged["6001"] = ["123"]
    status, answer = send(bot, event(6001, type_id=EMAIL))
    assert status == 200 and answer["activities"][0]["outcome"] == "logged", answer
    assert tasks(bot) == [(0, "done", None), (1, "done", "email_sent"), (2, "open", None)]
    [touch] = touches(bot)
    assert (touch.channel, touch.result, as_utc(touch.at)) == (
        "email", "email_sent", T0 + timedelta(minutes=25))  # fmt: skip


def test_the_leads_reply_in_hubspot_ends_the_cadence_and_does_no_task(
    bot: Harness, hubspot: FakeHubSpot, clock: FixedClock
) -> None:
    """Bo emailed Ada (Day 1 done, Day 2 planned); her reply arrives as an INCOMING_EMAIL: the
    cadence stops on it, as it does when Bo clicks "They replied", and no task is marked done
    by an email Bo did not send."""
    card = ada_arrives(bot)
    assert bot.click(ids.CLAIM, 1, "U0BO", card)[0] == 200
    bot.lead_status(1, "claimed")
    clock.advance(timedelta(minutes=30))
    hubspot.engagements["emails"]["6001"] = {
        "hs_timestamp": iso(T0 + timedelta(minutes=25)), "hubspot_owner_id": "77",
        "hs_email_direction": "EMAIL", "hs_email_status": "SENT"}  # fmt: skip
    hubspot.engagements["emails"]["6003"] = {
        "hs_timestamp": iso(T0 + timedelta(minutes=29)), "hubspot_owner_id": "77",
        "hs_email_direction": "INCOMING_EMAIL"}  # fmt: skip
    hubspot.engaged.update({"6001": ["123"], "6003": ["123"]})
    assert send(bot, event(6001, type_id=EMAIL))[1]["activities"][0]["outcome"] == "logged"
    assert tasks(bot) == [(0, "done", None), (1, "done", "email_sent"), (2, "open", None)]
    status, answer = send(bot, event(6003, type_id=EMAIL))
    assert status == 200 and answer["activities"][0]["outcome"] == "logged", answer
    assert tasks(bot) == [(0, "done", None), (1, "done", "email_sent"), (2, "cancelled", None)]
    ada = lead(bot)
    assert (ada.outcome, ada.last_contact_outcome) == ("replied", "replied")
    assert as_utc(ada.first_contact_at) == T0 + timedelta(minutes=25)  # Bo's email, still
    assert [(t.result, t.channel) for t in touches(bot)] == [("email_sent", "email"),
                                                             ("replied", None)]  # fmt: skip
    redrawn(bot, card, "replied")


def test_a_meeting_booked_in_hubspot_ends_the_cadence_on_its_goal(
    bot: Harness, hubspot: FakeHubSpot, clock: FixedClock
) -> None:
    card = ada_arrives(bot)
    assert bot.click(ids.CLAIM, 1, "U0BO", card)[0] == 200
    bot.lead_status(1, "claimed")
    clock.advance(timedelta(minutes=20))
    hubspot.engagements["meetings"]["7001"] = {
        "hs_timestamp": iso(T0 + timedelta(days=3)),  # its start: next Thursday
        "hs_createdate": iso(T0 + timedelta(minutes=18)), "hubspot_owner_id": "77",
        "hs_meeting_outcome": "SCHEDULED"}  # fmt: skip
    hubspot.engaged["7001"] = ["123"]
    status, answer = send(bot, event(7001, type_id=MEETING))
    assert status == 200 and answer["activities"][0]["outcome"] == "logged", answer
    ada = lead(bot)
    assert (ada.last_contact_outcome, ada.outcome) == ("meeting", "meeting_booked")
    assert as_utc(ada.last_contact_at) == T0 + timedelta(minutes=18)  # booked, not its start
    assert tasks(bot) == [(0, "done", None), (1, "cancelled", None)]
    redrawn(bot, card, "Meeting booked")


def test_what_leadbot_cannot_place_is_answered_ignored_and_logged_without_emails(
    bot: Harness, hubspot: FakeHubSpot, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    card = ada_arrives(bot)
    clock.advance(timedelta(minutes=10))
    a_call(hubspot, 5002, T0, contact="999")  # a contact leadbot has no lead for
    a_call(hubspot, 5003, T0, owner="78")  # Zed owns it in HubSpot: no rep
    hubspot.engagements["emails"]["6002"] = {"hs_timestamp": iso(T0), "hubspot_owner_id": "77",
                                            "hs_email_direction": "INCOMING_EMAIL"}  # fmt: skip
    hubspot.engaged["6002"] = ["123"]
    with caplog.at_level(logging.INFO, logger="bot.sources"):
        status, answer = send(bot, event(5002), event(5003), event(6002, type_id=EMAIL),
                              event(5004), event(5001, kind="object.propertyChange"))  # fmt: skip
    assert status == 200, answer
    said = {one["id"]: one["why"] for one in answer["activities"]}
    assert all(one["outcome"] == "ignored" for one in answer["activities"])
    assert said["5002"] == "no lead for the HubSpot contact 999"
    assert said["5003"] == "the call 5003's owner (HubSpot owner 78) is not a leadbot rep"
    assert "came from the lead" in said["6002"]
    assert said["5004"] == "HubSpot has no call 5004 (deleted since?)"
    assert "only its creation is a touch" in said["5001"]
    assert count(bot, Touch) == 0 and count(bot, Quarantined) == 0
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("bot.sources")]
    assert any("5 CRM activities: 5 ignored" in line for line in logged), logged
    assert not any("@" in line for line in logged)  # no email, a lead's nor an owner's
    # A closed lead takes no more touches.
    bot.click(ids.LOG_CONTACT, 1, "U0BO", card, selected="1:not_a_fit")
    bot.lead_status(1, "closed")
    a_call(hubspot, 5005, T0 + timedelta(minutes=9))
    why = send(bot, event(5005))[1]["activities"][0]["why"]
    assert why.startswith("Lead #1 is closed")


def test_a_workflows_engagement_object_is_a_touch_without_reading_it_again(
    bot: Harness, hubspot: FakeHubSpot, clock: FixedClock
) -> None:
    ada_arrives(bot)
    clock.advance(timedelta(minutes=5))
    obj = {"id": "5010", "properties": {
        "hs_timestamp": iso(T0 + timedelta(minutes=4)), "hubspot_owner_id": "77",
        "hs_call_status": "COMPLETED", "hs_call_disposition": CONNECTED, "hs_object_id": "5010"},
        "associations": {"contacts": {"results": [{"id": "123", "type": "call_to_contact"}]}},
        "createdAt": iso(T0), "updatedAt": iso(T0), "archived": False}  # fmt: skip
    status, answer = send(bot, obj)
    assert status == 200 and answer["activities"][0]["outcome"] == "logged", answer
    assert not [path for _, path, _ in hubspot.calls if "calls" in path]
    assert lead(bot).first_contact_by == "U0BO"


def test_hubspot_down_answers_503_keeps_nothing_and_its_retry_logs_the_touch(
    bot: Harness, hubspot: FakeHubSpot, clock: FixedClock
) -> None:
    ada_arrives(bot)
    a_call(hubspot, 5001, T0 + timedelta(minutes=2))
    hubspot.failing = 503
    status, answer = send(bot, event(5001))
    assert status == 503 and "send it again" in answer["errors"][0]["message"]
    assert count(bot, Touch) == 0 and count(bot, Quarantined) == 0
    assert lead(bot).status != "claimed"
    hubspot.failing = None
    clock.advance(timedelta(minutes=1))
    status, answer = send(bot, event(5001, attempt=1))  # HubSpot's retry
    assert status == 200 and answer["activities"][0]["outcome"] == "logged"
    assert len(touches(bot)) == 1


def test_with_leads_in_the_request_an_unread_activity_is_held_and_retried(
    bot: Harness, hubspot: FakeHubSpot, clock: FixedClock
) -> None:
    ada_arrives(bot)
    a_call(hubspot, 5001, T0 + timedelta(minutes=2))
    hubspot.contacts["124"] = {"email": "grace@navy.example", "firstname": "Grace"}
    hubspot.failing = 429
    status, answer = send(bot, event(124, type_id="0-1"), event(5001))
    assert status == 202, answer  # a 503 would hold the lead twice when HubSpot sends it again
    [held] = answer["activities"]
    assert held["outcome"] == "quarantined"
    assert "HubSpot is rate limiting (429)" in held["problems"][0]["message"]
    hubspot.failing = None  # `leadbot quarantine retry`, with the server's own touch log
    touches_log = bot.app.services.sources.activities.touches
    result = retry(bot.app.services.leads, held["quarantine_id"], SECRETS, touches_log)
    assert result.ok, result.message
    assert "call 5001 logged" in result.message
    assert len(touches(bot)) == 1


def test_without_a_token_engagement_events_are_held_with_the_fix(bot: Harness) -> None:
    status, answer = send(bot, event(5001), name="bare")
    assert status == 202, answer
    [held] = answer["activities"]
    assert "set the source's token_env" in held["problems"][0]["message"]
    with bot.app.services.db.read() as session:
        row = session.get(Quarantined, held["quarantine_id"])
        assert row is not None and json.loads(row.body) == [event(5001)]
