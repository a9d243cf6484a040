"""Writing the owner back: a lead from a HubSpot or Salesforce source with `write_owner: true`
gets its owner set in the CRM when leadbot assigns or reassigns it, through `crm_writes` with
the outbox's rules (leases, retries with backoff, pacing, exactly-once effect). Over real HTTP:
signed payloads into the bot, the writer to a fake HubSpot or Salesforce, the cards and the
admins' messages to the fake Slack. The clock is a FixedClock and the test ticks the writer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FixedClock, as_utc
from bot.fakeslack.server import FakeSlack
from bot.sources.writer import CrmWriter
from bot.vocabulary import EventKind
from storage.crm import CrmWrite
from storage.models import Instance, Lead, LeadEvent
from tests.conftest import BASE_CONFIG, make_config, start_bot
from tests.fakes.harness import Harness
from tests.fakes.hubspot import FakeHubSpot
from tests.sources.payloads import HUBSPOT_WORKFLOW
from tests.sources.test_source_intake import post

SECRETS = {"HUB_SECRET": "app-client-secret", "HUB_TOKEN": "pat-na1-test", "PLAIN": "plain-s"}
REPS = [{**BASE_CONFIG["reps"][0], "email": "alice@example.com"},
        {**BASE_CONFIG["reps"][1], "email": "bo@example.com"},
        {**BASE_CONFIG["reps"][2], "email": "chen@example.com"},
        {"id": "U0DEE", "name": "Dee", "manager": "U0MAYA"},  # no email
        {"id": "U0EVE", "name": "Eve", "email": "eve@example.com"}]  # fmt: skip
OWNERS = {"alice@example.com": "101", "bo@example.com": "102", "chen@example.com": "103"}
ONLY_BO = {"default": ["U0BO"]}
EMAILS = {rep["id"]: rep.get("email") for rep in REPS}


def sources(api: str, **hub: Any) -> dict[str, Any]:
    return {
        "hub": {"kind": "hubspot", "secret_env": "HUB_SECRET", "token_env": "HUB_TOKEN",
                "api_url": api, "write_owner": True, **hub},
        "plain": {"kind": "hubspot", "secret_env": "HUB_SECRET", "token_env": "HUB_TOKEN",
                  "api_url": api},
    }  # fmt: skip


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        fake.owners = [{"id": i, "email": e, "firstName": e.split("@")[0], "archived": False}
                       for e, i in OWNERS.items()]  # fmt: skip
        yield fake


@pytest.fixture
def hub_config(hubspot: FakeHubSpot) -> dict[str, Any]:
    """Leads from `hub` go to Bo (a routing rule), so each test knows the first owner."""
    return {"reps": REPS, "sources": sources(hubspot.url), "routing": ONLY_BO}


@pytest.fixture
def bot(
    fake_slack: FakeSlack, database_url: str, clock: FixedClock, hub_config: dict[str, Any]
) -> Iterator[Harness]:
    harness = start_bot(fake_slack, database_url, make_config(**hub_config), clock=clock,
                        settings_overrides={"source_secrets": SECRETS})  # fmt: skip
    yield harness
    harness.app.stop()


def writer(bot: Harness) -> CrmWriter:
    found = bot.app.services.crm_writer
    assert found is not None
    return found


def send_contact(bot: Harness, clock: FixedClock, hubspot: FakeHubSpot, contact: str,
                 source: str = "hub") -> int:  # fmt: skip
    """A HubSpot workflow's webhook for `contact`, signed as HubSpot signs (v3): the lead's id."""
    hubspot.contacts.setdefault(contact, {"email": f"c{contact}@example.org"})
    payload = {**HUBSPOT_WORKFLOW, "objectId": int(contact),
               "properties": {**HUBSPOT_WORKFLOW["properties"], "hs_object_id": {"value": contact},
                              "email": {"value": f"c{contact}@example.org"}}}  # fmt: skip
    body = json.dumps(payload).encode()
    stamp = str(int(clock.now().timestamp() * 1000))
    signed = b"POST" + f"{bot.base}/api/sources/{source}".encode() + body + stamp.encode()
    digest = hmac.new(b"app-client-secret", signed, hashlib.sha256).digest()
    headers = {"X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
               "X-HubSpot-Request-Timestamp": stamp}  # fmt: skip
    status, answer = post(bot, source, body, headers)
    assert status == 201, answer
    return int(answer["results"][0]["lead_id"])


def patches(hubspot: FakeHubSpot) -> list[tuple[str, str]]:
    """(contact, owner id) of every owner write HubSpot received, in order."""
    return [(path.rsplit("/", 1)[1], body["properties"]["hubspot_owner_id"])
            for method, path, body in hubspot.calls if method == "PATCH"]  # fmt: skip


def row_of(bot: Harness, lead_id: int) -> CrmWrite:
    with bot.app.services.db.read() as session:
        row = session.scalar(select(CrmWrite).where(CrmWrite.lead_id == lead_id))
        assert row is not None
        return row


def events(bot: Harness, lead_id: int, kind: EventKind) -> list[dict[str, Any]]:
    with bot.app.services.db.read() as session:
        query = select(LeadEvent.detail).where(LeadEvent.lead_id == lead_id, LeadEvent.kind == kind)
        return list(session.scalars(query))


def reassign(bot: Harness, lead_id: int, to: str) -> None:
    outcome = bot.app.services.leads.reassign(lead_id, "U0MAYA", to)
    assert outcome.ok, outcome.message


# -- HubSpot ---------------------------------------------------------------------------------


def test_an_assigned_lead_gets_its_owner_in_hubspot(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot
) -> None:
    lead_id = send_contact(bot, clock, hubspot, "501")
    assert row_of(bot, lead_id).status == "pending"
    assert writer(bot).tick() == 1
    assert patches(hubspot) == [("501", "102")]
    assert hubspot.contacts["501"]["hubspot_owner_id"] == "102"
    assert (row_of(bot, lead_id).status, row_of(bot, lead_id).crm_owner) == ("written", "102")
    (written,) = events(bot, lead_id, EventKind.CRM_OWNER_WRITTEN)
    assert written == {"crm": "HubSpot", "owner": "U0BO", "crm_owner": "102", "called": True}
    assert writer(bot).tick() == 0 and len(patches(hubspot)) == 1  # nothing twice


def test_a_reassignment_writes_the_new_owner_never_the_stale_one(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot
) -> None:
    first = send_contact(bot, clock, hubspot, "601")
    reassign(bot, first, "U0ALICE")  # before anything was written: only Alice is
    assert row_of(bot, first).generation == 2
    writer(bot).tick()
    assert patches(hubspot) == [("601", "101")]

    # Leased while Bo was the owner, reassigned to Chen before the call: Chen is written.
    second = send_contact(bot, clock, hubspot, "602")
    (job,) = writer(bot).lease(10)
    assert job.owner == "U0BO"
    reassign(bot, second, "U0CHEN")
    writer(bot).write(job)
    assert patches(hubspot)[1:] == [("602", "103")]
    assert hubspot.contacts["602"]["hubspot_owner_id"] == "103"
    assert row_of(bot, second).status == "written"

    reassign(bot, second, "U0ALICE")  # after it was written: the new owner goes too
    writer(bot).tick()
    assert patches(hubspot)[2:] == [("602", "101")]


def test_a_claim_by_the_owner_writes_nothing_more(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot
) -> None:
    lead_id = send_contact(bot, clock, hubspot, "651")
    writer(bot).tick()
    assert bot.app.services.leads.claim(lead_id, "U0BO").ok
    assert writer(bot).tick() == 0 and len(patches(hubspot)) == 1


def test_a_429_waits_exactly_its_retry_after(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot
) -> None:
    lead_id = send_contact(bot, clock, hubspot, "701")
    hubspot.write_script = [(429, "7")]
    writer(bot).tick()
    row = row_of(bot, lead_id)
    assert (row.status, row.attempts) == ("pending", 0)  # pacing, not a failed attempt
    assert "rate limiting (429)" in (row.last_error or "")
    clock.advance(timedelta(seconds=6))
    writer(bot).tick()
    assert len(patches(hubspot)) == 1  # not before Retry-After
    clock.advance(timedelta(seconds=1))
    writer(bot).tick()
    assert len(patches(hubspot)) == 2 and row_of(bot, lead_id).status == "written"


def test_server_errors_are_retried_with_growing_backoff_then_written(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot
) -> None:
    lead_id = send_contact(bot, clock, hubspot, "801")
    hubspot.write_script = [(500, None), (502, None), (503, None)]
    waits = []
    for _ in range(3):
        writer(bot).tick()
        row = row_of(bot, lead_id)
        waits.append(as_utc(row.next_attempt_at) - clock.now())
        clock.advance(waits[-1])
    assert waits == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    writer(bot).tick()
    assert row_of(bot, lead_id).status == "written"
    assert hubspot.contacts["801"]["hubspot_owner_id"] == "102" and len(patches(hubspot)) == 4


def test_a_failure_that_lasts_is_given_up_never_retried_forever(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot
) -> None:
    lead_id = send_contact(bot, clock, hubspot, "851")
    hubspot.write_script = [(503, None)] * 20
    for _ in range(30):
        writer(bot).tick()
        clock.advance(timedelta(minutes=15))
    row = row_of(bot, lead_id)
    assert (row.status, row.attempts) == ("failed", 12)
    assert len(patches(hubspot)) == 12
    (failed,) = events(bot, lead_id, EventKind.CRM_OWNER_FAILED)
    assert "given up after 12 failed attempts" in failed["error"]


def test_a_refused_token_gives_up_at_once_on_the_card_and_tells_the_admins_once(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot
) -> None:
    first = send_contact(bot, clock, hubspot, "901")
    bot.settle()  # the card is posted
    hubspot.token = "pat-na1-rotated"  # leadbot's token is refused from now on
    writer(bot).tick()
    clock.advance(timedelta(hours=2))
    writer(bot).tick()
    assert patches(hubspot) == [] and row_of(bot, first).status == "failed"
    asked = len(hubspot.calls)
    (failed,) = events(bot, first, EventKind.CRM_OWNER_FAILED)
    assert failed["error"] == "HubSpot refused the token (401)" and failed["owner"] == "U0BO"
    bot.settle()
    redrawn = bot.fake.wait_for("chat.update", count=2, where=lambda c: "Owner not written" in
                                json.dumps(c.args.get("blocks")))  # fmt: skip
    line = "⚠️ Owner not written to HubSpot: HubSpot refused the token (401)"
    assert all(line in json.dumps(c.args["blocks"], ensure_ascii=False) for c in redrawn)
    second = send_contact(bot, clock, hubspot, "902")
    writer(bot).tick()
    bot.settle()
    assert row_of(bot, second).status == "failed" and len(hubspot.calls) == asked + 1
    alerts = [c for c in bot.fake.calls("chat.postMessage")
              if "could not set the owner" in c.args.get("text", "")]  # fmt: skip
    assert len(alerts) == 1, "one message an hour per source and problem"
    assert alerts[0].args["channel"] == bot.dm_channel("U0MAYA")
    assert "set HUB_TOKEN to the private app's current access token" in alerts[0].args["text"]


@pytest.mark.parametrize(("rep", "said"), [
    ("U0DEE", "Dee (U0DEE) has no email in leadbot.yml"),
    ("U0EVE", "HubSpot has no owner with the email eve@example.com"),
])  # fmt: skip
def test_an_owner_the_crm_cannot_know_is_given_up_and_said(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot, rep: str, said: str
) -> None:
    lead_id = send_contact(bot, clock, hubspot, "951")
    writer(bot).tick()
    reassign(bot, lead_id, rep)
    writer(bot).tick()
    clock.advance(timedelta(hours=1))
    writer(bot).tick()
    assert len(patches(hubspot)) == 1  # Bo's, and nothing for the rep the CRM cannot know
    (failed,) = events(bot, lead_id, EventKind.CRM_OWNER_FAILED)
    assert failed["error"].startswith(said)
    bot.settle()
    bot.fake.wait_for("chat.postMessage", where=lambda c: "could not set the owner of lead "
                      f"#{lead_id}" in c.args.get("text", ""))  # fmt: skip
    reassign(bot, lead_id, "U0CHEN")  # the lead moves on: Chen's owner is written
    writer(bot).tick()
    assert patches(hubspot)[-1] == ("951", "103")


def test_a_source_without_write_back_makes_no_call(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot
) -> None:
    lead_id = send_contact(bot, clock, hubspot, "1001", source="plain")
    reassign(bot, lead_id, "U0ALICE")
    assert writer(bot).tick() == 0
    assert patches(hubspot) == []
    with bot.app.services.db.read() as session:
        assert session.scalars(select(CrmWrite)).all() == []


def test_a_crash_between_the_call_and_its_record_writes_again_with_the_same_effect(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot
) -> None:
    lead_id = send_contact(bot, clock, hubspot, "1101")
    services = bot.app.services
    crashed = CrmWriter(services.db, services.config, clock, SECRETS, holder="gone-holder")
    (job,) = crashed.lease(10)
    crashed.setter.write(job)  # HubSpot took it; the process died before recording it
    assert patches(hubspot) == [("1101", "102")]
    assert writer(bot).tick() == 1  # its holder beats no heartbeat: the lease is free
    assert patches(hubspot) == [("1101", "102")] * 2
    assert hubspot.contacts["1101"]["hubspot_owner_id"] == "102"
    assert row_of(bot, lead_id).status == "written"
    assert len(events(bot, lead_id, EventKind.CRM_OWNER_WRITTEN)) == 1


def test_a_lease_is_another_writers_while_its_holder_beats(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot
) -> None:
    send_contact(bot, clock, hubspot, "1151")
    services = bot.app.services
    with services.db.write() as session:  # another instance, beating its heartbeat
        session.add(Instance(id="other-instance", seen_at=clock.now()))
    other = CrmWriter(services.db, services.config, clock, SECRETS, holder="other-instance")
    assert len(other.lease(10)) == 1
    assert writer(bot).lease(10) == []  # one row, one writer at a time
    clock.advance(timedelta(seconds=7))  # its heartbeat is stale: it is gone
    assert len(writer(bot).lease(10)) == 1


def test_the_chain_handing_a_lead_over_writes_the_new_owner(
    fake_slack: FakeSlack, sqlite_url: str, clock: FixedClock, hubspot: FakeHubSpot,
    hub_config: dict[str, Any],
) -> None:  # fmt: skip
    chain = {"default": ["U0BO", "U0ALICE"], "ack_timeout": "10m"}
    bot = start_bot(fake_slack, sqlite_url, make_config(**{**hub_config, "routing": chain}),
                    clock=clock, settings_overrides={"source_secrets": SECRETS})  # fmt: skip
    try:
        lead_id = send_contact(bot, clock, hubspot, "1201")
        writer(bot).tick()
        clock.advance(timedelta(minutes=11))
        bot.app.services.escalator.sweep()  # unclaimed for 10 minutes: the backup gets it
        with bot.app.services.db.read() as session:
            lead = session.get(Lead, lead_id)
            assert lead is not None and lead.owner_id in ("U0BO", "U0ALICE")
            owner = lead.owner_id
        writer(bot).tick()
        first = "102" if owner == "U0ALICE" else "101"
        assert patches(hubspot) == [("1201", first), ("1201", OWNERS[EMAILS[owner] or ""])]
    finally:
        bot.app.stop()


def test_hubspot_is_paced_to_its_rolling_window(
    fake_slack: FakeSlack, sqlite_url: str, clock: FixedClock, hubspot: FakeHubSpot,
    hub_config: dict[str, Any],
) -> None:  # fmt: skip
    paced = {**hub_config, "sources": sources(hubspot.url, api_calls_per_10s=3)}
    bot = start_bot(fake_slack, sqlite_url, make_config(**paced), clock=clock,
                    settings_overrides={"source_secrets": SECRETS})  # fmt: skip
    try:
        for contact in range(1301, 1306):
            send_contact(bot, clock, hubspot, str(contact))
        assert writer(bot).tick() == 5
        assert len(patches(hubspot)) == 2  # 90 % of 3 in any 10 s; the rest wait their moment
        clock.advance(timedelta(seconds=9))
        writer(bot).tick()
        assert len(patches(hubspot)) == 2
        clock.advance(timedelta(seconds=1))
        writer(bot).tick()
        assert len(patches(hubspot)) == 4
        clock.advance(timedelta(seconds=10))
        writer(bot).tick()
        assert sorted(c for c, _ in patches(hubspot)) == [str(c) for c in range(1301, 1306)]
    finally:
        bot.app.stop()
