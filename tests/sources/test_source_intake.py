"""`POST /api/sources/<name>` over real HTTP, on SQLite and PostgreSQL: signed vendor payloads
become leads with their cards; forged, replayed or unknown requests keep nothing; an authentic
payload that cannot be a lead is held (202), the admins are told in Slack, and `leadbot
quarantine retry` takes it once the mapping is fixed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.cli import main
from bot.fakeslack.server import FakeSlack
from storage.models import Lead
from storage.sources import Quarantined
from tests.conftest import BASE_CONFIG, make_config, start_bot
from tests.fakes.harness import Harness
from tests.sources.payloads import SALESFORCE, SALESFORCE_ORG, TYPEFORM, WEBFLOW

SOURCES: dict[str, Any] = {
    "website": {"kind": "webflow", "secret_env": "WEBFLOW_SECRET"},
    "forms": {"kind": "typeform", "secret_env": "TYPEFORM_SECRET"},
    "zap": {"kind": "json", "secret_env": "ZAP_TOKEN"},
    "unset": {"kind": "json", "secret_env": "NOBODY_SET_THIS"},
    "sf": {"kind": "salesforce", "secret_env": "SF_TOKEN", "organization_id": SALESFORCE_ORG},
}
SECRETS = {"WEBFLOW_SECRET": "wf-secret", "TYPEFORM_SECRET": "tf-secret", "ZAP_TOKEN": "zap-tok",
           "SF_TOKEN": "sf-tok"}  # fmt: skip


@pytest.fixture
def sourced(fake_slack: FakeSlack, database_url: str) -> Iterator[Harness]:
    harness = start_bot(fake_slack, database_url, make_config(sources=SOURCES),
                        settings_overrides={"source_secrets": SECRETS})  # fmt: skip
    yield harness
    harness.app.stop()


def post(bot: Harness, name: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    url = f"{bot.base}/api/sources/{name}"
    headers = {"Content-Type": "application/json", **headers}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            text = answer.read()
            return answer.status, json.loads(text) if text.startswith(b"{") else text.decode()
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def webflow(body: bytes, secret: str = "wf-secret", age_ms: int = 0) -> dict[str, str]:
    stamp = str(int(time.time() * 1000) - age_ms)
    signed = hmac.new(secret.encode(), stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"x-webflow-timestamp": stamp, "x-webflow-signature": signed}


def typeform(body: bytes) -> dict[str, str]:
    digest = hmac.new(b"tf-secret", body, hashlib.sha256).digest()
    return {"Typeform-Signature": "sha256=" + base64.b64encode(digest).decode()}


def bearer(token: str = "zap-tok") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def count(bot: Harness, model: Any) -> int:
    with bot.app.services.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_signed_webflow_submission_is_a_lead_with_its_card(sourced: Harness) -> None:
    body = json.dumps(WEBFLOW).encode()
    status, answer = post(sourced, "website", body, webflow(body))
    assert status == 201, answer
    assert answer["results"] == [{"outcome": "created", "lead_id": 1}]
    with sourced.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        assert lead is not None
        assert (lead.name, lead.source, lead.phone) == (
            "Zaphod Beeblebrox",
            "website",
            "15550000000",
        )
        assert lead.external_id == "6321ca84df3949bfc6752327"
    card = sourced.card_posts(1)[0]
    assert "Zaphod Beeblebrox" in json.dumps(card.args["blocks"])


def test_a_vendor_retry_is_the_same_lead(sourced: Harness) -> None:
    body = json.dumps(TYPEFORM).encode()
    assert post(sourced, "forms", body, typeform(body))[0] == 201
    status, answer = post(sourced, "forms", body, typeform(body))
    assert status == 200 and answer["results"][0]["outcome"] == "duplicate"
    assert count(sourced, Lead) == 1


# The headers are made when the test runs: stamped at collection, a run of the whole suite
# longer than 5 minutes made the wrong-secret case a replay.
@pytest.mark.parametrize(("name", "headers", "status", "said"), [
    ("website", lambda: webflow(b"{}", secret="guess"), 401, "does not match"),
    ("website", lambda: webflow(b"{}", age_ms=6 * 60 * 1000), 401, "more than 5 minutes"),
    ("zap", lambda: bearer("guess"), 401, "does not match"),
    ("zap", dict, 401, "Authorization: Bearer"),
    ("nope", bearer, 404, "no source named 'nope'"),
    ("unset", bearer, 503, "set NOBODY_SET_THIS"),
])  # fmt: skip
def test_requests_not_from_the_sender_keep_nothing(
    sourced: Harness, name: str, headers: Callable[[], dict[str, str]], status: int, said: str
) -> None:
    got, answer = post(sourced, name, b"{}", headers())
    assert got == status and said in answer["errors"][0]["message"]
    assert count(sourced, Lead) == 0 and count(sourced, Quarantined) == 0


def test_an_authentic_payload_that_is_no_lead_is_held_told_and_retried(
    sourced: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    body = json.dumps({"contact": {"mail": "fox@fbi.example"}, "note": "<!channel>"}).encode()
    status, answer = post(sourced, "zap", body, bearer())
    assert status == 202, answer
    (held,) = answer["results"]
    assert held["outcome"] == "quarantined" and held["quarantine_id"] == 1
    assert "at least one of name, email or phone" in held["problems"][0]["message"]
    (alert,) = sourced.fake.wait_for(
        "chat.postMessage", where=lambda c: "quarantine as #1" in c.args.get("text", "")
    )
    assert alert.args["channel"] == sourced.dm_channel("U0MAYA")
    assert "leadbot quarantine retry 1" in alert.args["text"]

    config = tmp_path / "leadbot.yml"
    monkeypatch.setenv("DATABASE_URL", sourced.app.services.settings.database_url)
    monkeypatch.setenv("LEADBOT_CONFIG", str(config))
    config.write_text(yaml.safe_dump({**BASE_CONFIG, "sources": SOURCES}), encoding="utf-8")
    assert main(["quarantine", "list"]) == 0
    assert "#1" in capsys.readouterr().out
    assert main(["quarantine", "retry", "1"]) == 1  # the mapping is still wrong
    assert "#1 is still held" in capsys.readouterr().err
    fixed = {**SOURCES, "zap": {**SOURCES["zap"], "map": {"email": "body.contact.mail"}}}
    config.write_text(yaml.safe_dump({**BASE_CONFIG, "sources": fixed}), encoding="utf-8")
    assert main(["quarantine", "retry", "1"]) == 0
    assert "#1 is taken: lead #1" in capsys.readouterr().out
    with sourced.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        row = session.get(Quarantined, 1)
        assert lead is not None and lead.email == "fox@fbi.example"
        assert lead.fields == {"note": "<!channel>"}
        assert row is not None and (row.status, row.lead_id, row.attempts) == ("taken", 1, 2)
    assert main(["quarantine", "retry", "1"]) == 1  # taken already: nothing twice
    assert count(sourced, Lead) == 1


@pytest.mark.parametrize(("body", "kept"), [
    (b"name=Dana&email=d%40x.example", "name=Dana&email=d%40x.example"),
    (b"name=Dana\x00&\xff", "name=Dana\ufffd&\ufffd"),  # NUL: PostgreSQL refuses it in text
])  # fmt: skip
def test_a_body_that_is_not_json_is_held_whole(sourced: Harness, body: bytes, kept: str) -> None:
    status, answer = post(sourced, "zap", body, bearer())
    assert status == 202
    with sourced.app.services.db.read() as session:
        row = session.get(Quarantined, answer["results"][0]["quarantine_id"])
        assert row is not None and row.body == kept


BODIES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "email", "phone", "company_size", "tier", "x", "id"]) | st.text(
            max_size=8), inner, max_size=5),
    max_leaves=12,
)  # fmt: skip


RAW = st.one_of(BODIES.map(lambda payload: json.dumps(payload).encode()), st.binary(max_size=80))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(RAW)
def test_generated_authentic_bodies_are_taken_or_held_never_an_error(
    sourced: Harness, body: bytes
) -> None:
    leads, held = count(sourced, Lead), count(sourced, Quarantined)
    status, answer = post(sourced, "zap", body, bearer())
    assert status in (200, 201, 202), answer
    outcomes = [result["outcome"] for result in answer["results"]]
    assert count(sourced, Lead) == leads + outcomes.count("created")
    assert count(sourced, Quarantined) == held + outcomes.count("quarantined")


def test_a_salesforce_outbound_message_is_acknowledged_and_each_lead_taken_or_held(
    sourced: Harness,
) -> None:
    soap = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    status, answer = post(sourced, "sf?token=sf-tok", SALESFORCE.encode(), soap)
    assert status == 200 and "<Ack>true</Ack>" in answer
    with sourced.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        held = session.get(Quarantined, 1)
        assert lead is not None and lead.external_id == "00Q5e00000AbCdEFGH"
        assert (lead.name, lead.company, lead.phone) == ("Ann Smith", "Acme & Sons", None)
        assert lead.fields["LeadSource"] == "Web"
        assert held is not None and "00Q5e00000AbCdEFGI" in held.body
    assert count(sourced, Lead) == 1


@pytest.mark.parametrize(("query", "body", "said"), [
    ("", SALESFORCE, "missing ?token="),
    ("?token=guess", SALESFORCE, "the URL's token does not match"),
    ("?token=sf-tok", SALESFORCE.replace(SALESFORCE_ORG, "00D5e000000ZZZZEAG"),
     "is not the configured organization_id"),
])  # fmt: skip
def test_a_salesforce_message_not_from_the_org_keeps_nothing(
    sourced: Harness, query: str, body: str, said: str
) -> None:
    status, answer = post(sourced, f"sf{query}", body.encode(), {"Content-Type": "text/xml"})
    assert status == 401 and said in answer["errors"][0]["message"]
    assert count(sourced, Lead) == 0 and count(sourced, Quarantined) == 0


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"""
XXE = (
    b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>"""
)


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, b"<notifications>", b"not xml at all"])
def test_hostile_or_broken_xml_with_the_right_token_is_held_not_expanded(
    sourced: Harness, body: bytes
) -> None:
    status, answer = post(sourced, "sf?token=sf-tok", body, {"Content-Type": "text/xml"})
    assert status == 200 and "<Ack>true</Ack>" in answer  # authentic: Salesforce must stop
    with sourced.app.services.db.read() as session:
        held = session.get(Quarantined, 1)
        assert held is not None and held.body == body.decode()
        assert "root:" not in json.dumps(held.problems)  # nothing read from the disk
    assert count(sourced, Lead) == 0
