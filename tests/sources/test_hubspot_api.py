"""HubSpot webhook events name a contact by id only: leadbot reads the contacts in one batch
call with the source's private app token, and the owners' emails, so a contact owned by a rep
goes to that rep. When HubSpot cannot answer, the lead is held, never lost, and a retry reads
it again. Over real HTTP: signed events into the bot, the bot to a fake HubSpot."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot.cli import main
from bot.fakeslack.server import FakeSlack
from storage.crm import CrmWrite
from storage.models import Lead
from storage.sources import Quarantined
from tests.conftest import BASE_CONFIG, make_config, start_bot
from tests.fakes.harness import Harness
from tests.fakes.hubspot import FakeHubSpot
from tests.sources.payloads import HUBSPOT_EVENTS
from tests.sources.test_source_intake import count, post

SECRETS = {"HUB_SECRET": "app-client-secret", "HUB_TOKEN": "pat-na1-test"}
REPS = [BASE_CONFIG["reps"][0], {**BASE_CONFIG["reps"][1], "email": "bo@example.com"},
        BASE_CONFIG["reps"][2]]  # fmt: skip


def source(api: str) -> dict[str, Any]:
    return {"hub": {"kind": "hubspot", "secret_env": "HUB_SECRET", "token_env": "HUB_TOKEN",
                    "api_url": api}}  # fmt: skip


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        fake.contacts = {
            "123": {"email": "ada@analytical.example", "firstname": "Ada", "lastname": "Lovelace",
                    "company": "Analytical Engines", "hubspot_owner_id": "77"},
            "124": {"email": "grace@navy.example", "firstname": "Grace", "lastname": "Hopper"},
        }  # fmt: skip
        fake.owners = [{"id": "77", "email": "bo@example.com", "firstName": "Bo",
                        "lastName": "B", "userId": 9001, "archived": False}]  # fmt: skip
        yield fake


@pytest.fixture
def bot(fake_slack: FakeSlack, database_url: str, hubspot: FakeHubSpot) -> Iterator[Harness]:
    config = make_config(reps=REPS, sources=source(hubspot.url))
    harness = start_bot(fake_slack, database_url, config,
                        settings_overrides={"source_secrets": SECRETS})  # fmt: skip
    yield harness
    harness.app.stop()


def signed(bot: Harness, body: bytes) -> dict[str, str]:
    stamp = str(int(time.time() * 1000))
    message = b"POST" + f"{bot.base}/api/sources/hub".encode() + body + stamp.encode()
    digest = hmac.new(b"app-client-secret", message, hashlib.sha256).digest()
    return {"X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
            "X-HubSpot-Request-Timestamp": stamp}  # fmt: skip


def events(*ids: int) -> bytes:
    return json.dumps([{**HUBSPOT_EVENTS[0], "eventId": i, "objectId": i} for i in ids]).encode()


def test_creation_events_are_read_in_one_call_and_an_owned_contact_goes_to_its_owner(
    bot: Harness, hubspot: FakeHubSpot
) -> None:
    body = events(123, 124)
    status, answer = post(bot, "hub", body, signed(bot, body))
    assert status == 201, answer
    reads = [c for c in hubspot.calls if c[1].endswith("/batch/read")]
    assert len(reads) == 1 and [i["id"] for i in reads[0][2]["inputs"]] == ["123", "124"]
    with bot.app.services.db.read() as session:
        ada, grace = session.get(Lead, 1), session.get(Lead, 2)
        assert ada is not None and grace is not None
        assert (ada.name, ada.email, ada.external_id) == (
            "Ada Lovelace", "ada@analytical.example", "123")  # fmt: skip
        assert (ada.owner_id, ada.routing_reason) == ("U0BO", "owner in the CRM")
        assert grace.name == "Grace Hopper" and grace.routing_reason != "owner in the CRM"
    status, _ = post(bot, "hub", body, signed(bot, body))  # HubSpot's retry
    assert status == 200 and count(bot, Lead) == 2


def test_a_contact_hubspot_no_longer_has_is_held_and_says_so(bot: Harness) -> None:
    body = events(999)
    status, answer = post(bot, "hub", body, signed(bot, body))
    assert status == 202
    assert "HubSpot has no contact 999" in answer["results"][0]["problems"][0]["message"]


def test_hubspot_down_holds_the_leads_and_a_retry_reads_them_again(
    bot: Harness, hubspot: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    hubspot.failing = 503
    body = events(123)
    status, answer = post(bot, "hub", body, signed(bot, body))
    assert status == 202
    assert "HubSpot answered with an error (503)" in answer["results"][0]["problems"][0]["message"]
    assert count(bot, Lead) == 0 and count(bot, Quarantined) == 1
    hubspot.failing = None
    config = {**BASE_CONFIG, "reps": REPS, "sources": source(hubspot.url)}
    (tmp_path / "leadbot.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("LEADBOT_CONFIG", str(tmp_path / "leadbot.yml"))
    monkeypatch.setenv("DATABASE_URL", bot.app.services.settings.database_url)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    assert main(["quarantine", "retry", "1"]) == 0, capsys.readouterr().err
    with bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        assert lead is not None and lead.name == "Ada Lovelace" and lead.owner_id == "U0BO"


def test_a_token_hubspot_refuses_is_said_so(
    fake_slack: FakeSlack, sqlite_url: str, hubspot: FakeHubSpot
) -> None:
    config = make_config(reps=REPS, sources=source(hubspot.url))
    wrong = {**SECRETS, "HUB_TOKEN": "pat-na1-revoked"}
    bot = start_bot(fake_slack, sqlite_url, config, settings_overrides={"source_secrets": wrong})
    try:
        body = events(123)
        status, answer = post(bot, "hub", body, signed(bot, body))
        assert status == 202
        assert "HubSpot refused the token (401)" in answer["results"][0]["problems"][0]["message"]
    finally:
        bot.app.stop()


def test_a_lead_retried_from_the_quarantine_has_its_owner_written_back(
    fake_slack: FakeSlack, database_url: str, hubspot: FakeHubSpot, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """`leadbot quarantine retry` routes the held contact as the server would: its owner is
    asked for in HubSpot (before, only leads the server routed were written back)."""
    sources = {"hub": {**source(hubspot.url)["hub"], "write_owner": True}}
    bot = start_bot(fake_slack, database_url, make_config(reps=REPS, sources=sources),
                    settings_overrides={"source_secrets": SECRETS})  # fmt: skip
    try:
        hubspot.failing = 503
        body = events(124)  # Grace: no owner in HubSpot, so round robin gives her to Alice
        assert post(bot, "hub", body, signed(bot, body))[0] == 202
        hubspot.failing = None
        config = {**BASE_CONFIG, "reps": REPS, "sources": sources}
        (tmp_path / "leadbot.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        monkeypatch.setenv("LEADBOT_CONFIG", str(tmp_path / "leadbot.yml"))
        monkeypatch.setenv("DATABASE_URL", database_url)
        for name, value in SECRETS.items():
            monkeypatch.setenv(name, value)
        assert main(["quarantine", "retry", "1"]) == 0, capsys.readouterr().err
        with bot.app.services.db.read() as session:
            asked = session.execute(select(CrmWrite.record_id, CrmWrite.owner)).all()
        assert [tuple(row) for row in asked] == [("124", "U0ALICE")]
    finally:
        bot.app.stop()
