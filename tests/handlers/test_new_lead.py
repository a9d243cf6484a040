"""`/leads new`: the modal, its validation (intake's) and the lead it stores, through real Bolt
dispatch with signed, form-encoded requests against the real HTTP server."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from blocks.new_lead_modal import (
    AUTO_TIER,
    COMPANY_BLOCK,
    EMAIL_BLOCK,
    FIELDS,
    MESSAGE_BLOCK,
    NAME_BLOCK,
    NEW_LEAD_MODAL,
    PHONE_BLOCK,
    PRODUCT_BLOCK,
    SIZE_BLOCK,
    SOURCE_BLOCK,
    TIER_BLOCK,
    new_lead_metadata,
)
from bot.fakeslack.requests import post_signed, view_submission
from bot.fakeslack.server import RecordedCall
from handlers.new_lead import ERROR_LIMIT, NOT_KNOWN, errors_by_block
from storage.models import Lead, LeadEvent
from tests.fakes.harness import Harness

JANE = {
    "name": "Jane Doe",
    "company": "Northwind",
    "email": "jane@northwind.example",
    "phone": "+1 (555) 010-2030",
    "company_size": "250",
    "product": "Analytics",
    "source": "walk-in",
    "tier": "hot",
    "message": "Came to the booth.\nWants a demo on Friday.",
}


def form(**given: str | None) -> dict[str, Any]:
    """The view's state as Slack sends it: every input block, empty ones with a null value."""
    values: dict[str, Any] = {}
    for field, (block_id, action_id) in FIELDS.items():
        value = given.get(field)
        if field in ("source", "tier"):
            value = value or {"source": "phone", "tier": AUTO_TIER}[field]
            option = {"value": value, "text": {"type": "plain_text", "text": value}}
            state = {"type": "static_select", "selected_option": option}
        else:
            kind = "number_input" if field == "company_size" else "plain_text_input"
            state = {"type": kind, "value": value}
        values[block_id] = {action_id: state}
    return values


def submit(
    bot: Harness,
    values: dict[str, Any],
    *,
    user_id: str = "U0BO",
    view_id: str = "V0MODAL",
    metadata: str | None = None,
) -> tuple[int, str]:
    body = view_submission(
        NEW_LEAD_MODAL,
        metadata if metadata is not None else new_lead_metadata("C0LEADS"),
        values,
        user_id=user_id,
        view_id=view_id,
    )
    return post_signed(f"{bot.base}/slack/events", bot.signing_secret, body)


def open_modal(bot: Harness, user_id: str = "U0BO") -> RecordedCall:
    status, _ = bot.command("new", user_id, channel_id="C0SALES")
    assert status == 200
    return bot.fake.wait_for("views.open")[0]


def lead_count(bot: Harness) -> int:
    with bot.app.services.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Lead)) or 0)


def assert_nothing_stored(bot: Harness) -> None:
    bot.settle()
    assert lead_count(bot) == 0
    assert bot.fake.calls("chat.postMessage") == []
    assert bot.fake.calls("chat.postEphemeral") == []


def errors_of(answer: tuple[int, str]) -> dict[str, str]:
    status, body = answer
    assert status == 200
    payload = json.loads(body)
    assert payload["response_action"] == "errors"
    assert all(len(message) <= ERROR_LIMIT for message in payload["errors"].values())
    return payload["errors"]


def test_leads_new_opens_the_form(bot: Harness) -> None:
    call = open_modal(bot)
    view = call.args["view"]
    assert call.args["trigger_id"]
    assert view["callback_id"] == NEW_LEAD_MODAL
    assert json.loads(view["private_metadata"]) == {"channel": "C0SALES"}
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == [
        NAME_BLOCK,
        COMPANY_BLOCK,
        EMAIL_BLOCK,
        PHONE_BLOCK,
        SIZE_BLOCK,
        PRODUCT_BLOCK,
        SOURCE_BLOCK,
        TIER_BLOCK,
        MESSAGE_BLOCK,
    ]
    by_id = {b["block_id"]: b for b in inputs}
    assert by_id[SIZE_BLOCK]["element"]["type"] == "number_input"
    assert by_id[MESSAGE_BLOCK]["element"]["multiline"] is True
    source = by_id[SOURCE_BLOCK]["element"]
    assert [o["value"] for o in source["options"]] == [
        "phone",
        "walk-in",
        "event",
        "referral",
        "other",
    ]
    assert source["initial_option"]["value"] == "phone"
    tier = by_id[TIER_BLOCK]["element"]
    assert [o["value"] for o in tier["options"]] == [AUTO_TIER, "hot", "warm", "cold"]
    assert tier["initial_option"]["text"]["text"] == "Let leadbot decide"
    assert bot.fake.problems() == []  # the fake validated the view as Slack would


def test_a_valid_lead_is_stored_routed_and_confirmed(bot: Harness) -> None:
    opened = open_modal(bot)
    view = opened.response["view"]
    answer = submit(bot, form(**JANE), view_id=view["id"], metadata=view["private_metadata"])
    assert answer == (200, "")  # an empty 200 closes the modal
    card = bot.dm_card("U0ALICE", 1)
    assert "Jane Doe" in json.dumps(card.args["blocks"])
    told = bot.fake.wait_for("chat.postEphemeral")[0].args
    assert (told["channel"], told["user"]) == ("C0SALES", "U0BO")
    assert told["text"] == (
        "✅ Lead #1 Jane Doe added: routed to <@U0ALICE> (default pool · round robin)."
    )
    with bot.app.services.db.read() as session:
        lead = session.scalars(select(Lead)).one()
        stored = {field: getattr(lead, field) for field in JANE}
        received = session.scalars(select(LeadEvent).where(LeadEvent.kind == "received")).one()
        assert (lead.external_id, lead.owner_id) == (f"slack-view:{view['id']}", "U0ALICE")
        assert received.actor == "U0BO"
    assert stored == {**JANE, "company_size": 250}
    assert bot.fake.problems() == []


def test_bad_email_phone_and_size_are_shown_on_their_blocks(bot: Harness) -> None:
    bad = form(name="Jane", email="jane@northwind", phone="call me maybe", company_size="lots")
    assert errors_of(submit(bot, bad)) == {
        EMAIL_BLOCK: "'jane@northwind' is not an email address",
        PHONE_BLOCK: "a phone number may hold digits, spaces and + ( ) - . / ext",
        SIZE_BLOCK: "'lots' is not a whole number: enter the number of employees, e.g. 250",
    }
    negative = errors_of(submit(bot, form(name="Jane", company_size="-3")))
    assert negative == {SIZE_BLOCK: "Input should be greater than or equal to 0"}
    assert_nothing_stored(bot)


def test_a_lead_without_name_email_or_phone_is_refused_on_the_name_block(bot: Harness) -> None:
    errors = errors_of(submit(bot, form(company="Northwind", company_size="12")))
    assert errors == {NAME_BLOCK: "a lead needs at least one of name, email or phone"}
    assert_nothing_stored(bot)


def test_several_problems_on_one_block_are_all_shown_within_slacks_limit() -> None:
    problems = [
        {"field": "name", "message": "String should have at most 200 characters"},
        {"field": "(body)", "message": "a lead needs at least one of name, email or phone"},
        {"field": "external_id", "message": "x" * 200},
    ]
    errors = errors_by_block(problems, {})
    assert list(errors) == [NAME_BLOCK]
    assert errors[NAME_BLOCK].startswith(
        "String should have at most 200 characters; a lead needs at least one of name"
    )
    assert len(errors[NAME_BLOCK]) == ERROR_LIMIT and errors[NAME_BLOCK].endswith("…")


def test_someone_leadbot_does_not_know_may_not_add_leads(bot: Harness) -> None:
    status, _ = bot.command("new", "U0STRANGER")
    assert status == 200
    answer = bot.fake.wait_for("response_url")[0].args
    assert (answer["response_type"], answer["text"]) == ("ephemeral", NOT_KNOWN)
    assert bot.fake.calls("views.open") == []
    # A submission that did not come from our modal is refused too.
    assert errors_of(submit(bot, form(**JANE), user_id="U0STRANGER")) == {NAME_BLOCK: NOT_KNOWN}
    assert_nothing_stored(bot)


def test_submitting_the_same_modal_twice_stores_one_lead_and_one_card(bot: Harness) -> None:
    values = form(**JANE)
    with ThreadPoolExecutor(2) as pool:  # a double click: both in flight together
        answers = list(pool.map(lambda _: submit(bot, values), range(2)))
    assert answers == [(200, ""), (200, "")]
    assert submit(bot, values) == (200, "")  # and once more, later
    told = bot.fake.wait_for("chat.postEphemeral", count=3)
    bot.settle()
    assert lead_count(bot) == 1
    # Whose turn it was depends on which submission moved the pool's pointer first: on
    # PostgreSQL the loser's move commits on its own (docs/architecture.md), so ask the lead.
    with bot.app.services.db.read() as session:
        owner = session.scalars(select(Lead.owner_id)).one()
    dm = bot.dm_channel(str(owner))
    posted = [c.response["channel"] for c in bot.fake.calls("chat.postMessage")]
    assert sorted(posted) == sorted([dm, "C0LEADS"])  # one card for its owner, one in #leads
    texts = sorted(call.args["text"] for call in told)
    assert texts[0].startswith("Lead #1 Jane Doe was already added from this form: routed to")
    assert texts[2].startswith("✅ Lead #1 Jane Doe added")
    assert texts[0] == texts[1]


def test_lead_supplied_text_is_escaped_in_the_confirmation(bot: Harness) -> None:
    assert submit(bot, form(name="<!channel> & <@U0MAYA>")) == (200, "")
    text = bot.fake.wait_for("chat.postEphemeral")[0].args["text"]
    assert text.startswith("✅ Lead #1 &lt;!channel&gt; &amp; &lt;@U0MAYA&gt; added:")
    assert "<!channel>" not in text and "<@U0MAYA>" not in text


def test_where_leadbot_cannot_post_ephemerally_it_confirms_in_a_dm(bot: Harness) -> None:
    bot.fake.fail_next("chat.postEphemeral", error="channel_not_found")
    assert submit(bot, form(phone="555-0100")) == (200, "")
    dm = bot.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "U0BO")
    assert dm[0].args["text"].startswith("✅ Lead #1 555-0100 added: routed to <@U0ALICE>")
