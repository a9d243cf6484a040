"""Logs at INFO and above carry no tokens and no lead emails or phone numbers."""

from __future__ import annotations

import logging

import pytest

from blocks import ids
from tests.conftest import INTAKE_TOKEN
from tests.fakes.harness import Harness

EMAIL = "dana.secret@northwind.test"
PHONE = "+1 555 0199"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_secrets_or_contact_details_in_logs(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    lead = {"external_id": "p-1", "name": "Dana", "email": EMAIL, "phone": PHONE}
    bot.fake.fail_next("chat.postMessage", times=1, status=429, retry_after=1)
    assert bot.post_lead(lead)[0] == 201
    assert bot.post_lead({**lead, "email": "broken"})[0] == 422
    bot.click(ids.CLAIM, 1, "U0BO", bot.dm_card("U0ALICE", 1))
    bot.fake.wait_for("chat.update")
    bot.settle()  # the 429'd #leads copy went out too (drawn claimed, or redrawn)
    text = "\n".join(record.getMessage() for record in caplog.records)
    # logging did happen, and a new lead's arrival is said once (the change log), not twice
    assert "lead 1 received by intake (source=api)" in text
    assert "lead 1 assigned by leadbot (owner=U0ALICE)" in text
    assert "lead 1 created" not in text
    assert bot.post_lead(lead)[0] == 200  # the sender's retry: no change, so intake says it
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "lead 1 duplicate from api -> U0BO" in text
    for secret in (EMAIL, PHONE, INTAKE_TOKEN, "xoxb-test", "test-signing-secret"):
        assert secret not in text
