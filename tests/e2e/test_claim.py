"""Claim, Pass and Snooze through real Bolt dispatch with signed requests."""

from __future__ import annotations

import json
import threading

from sqlalchemy import select

from blocks import ids
from storage.models import Lead, LeadEvent
from tests.conftest import MakeBot, make_config
from tests.fakes.harness import Harness

LEAD = {"external_id": "x-1", "source": "website", "name": "Dana", "company": "Northwind"}


def test_claim_updates_every_copy_in_place(bot: Harness) -> None:
    bot.post_lead(LEAD)
    posts = bot.card_posts(2)
    dm = bot.dm_card("U0ALICE", 1)
    status, _ = bot.click(ids.CLAIM, 1, "U0ALICE", dm)
    assert status == 200
    # Each copy is updated in place (a copy may be redrawn twice when the claim races the
    # recording of that copy; chat.update is idempotent, so that is harmless).
    for post in posts:
        bot.fake.wait_for(
            "chat.update",
            where=lambda u, p=post: (
                (u.args["channel"], u.args["ts"]) == (p.response["channel"], p.response["ts"])
            ),
        )
    updated = {(u.args["channel"], u.args["ts"]) for u in bot.fake.calls("chat.update")}
    assert updated == {(p.response["channel"], p.response["ts"]) for p in posts}
    for post in posts:
        message = bot.fake.message(post.response["channel"], post.response["ts"])
        assert message is not None
        assert "Claimed by <@U0ALICE> after" in str(message["blocks"])
    assert bot.fake.problems() == []


def test_second_claimer_is_told_who_won(bot: Harness) -> None:
    bot.post_lead(LEAD)
    bot.card_posts(2)
    channel_copy = bot.fake.wait_for(
        "chat.postMessage", where=lambda c: c.response["channel"] == "C0LEADS"
    )[0]
    bot.click(ids.CLAIM, 1, "U0ALICE", bot.dm_card("U0ALICE", 1))
    bot.fake.wait_for("chat.update", count=2)
    bot.click(ids.CLAIM, 1, "U0BO", channel_copy)
    told = bot.fake.wait_for("chat.postEphemeral")[0]
    assert told.args["user"] == "U0BO"
    assert told.args["channel"] == "C0LEADS"
    assert told.args["text"] == "Lead #1 is already claimed by <@U0ALICE>."


def test_unsigned_click_gets_401_and_changes_nothing(bot: Harness) -> None:
    bot.post_lead(LEAD)
    status, _ = bot.click(ids.CLAIM, 1, "U0ALICE", bot.dm_card("U0ALICE", 1), sign=False)
    assert status == 401
    with bot.app.services.db.read() as session:
        assert session.scalars(select(Lead.status)).one() == "assigned"


def test_twenty_concurrent_claims_have_exactly_one_winner(
    make_bot: MakeBot, database_url: str
) -> None:
    reps = [{"id": f"U0REP{i:02d}", "name": f"Rep {i}"} for i in range(20)]
    harness = make_bot(make_config(reps=reps), url=database_url)
    harness.post_lead(LEAD)
    channel_copy = harness.fake.wait_for(
        "chat.postMessage", where=lambda c: c.response["channel"] == "C0LEADS"
    )[0]
    gate = threading.Barrier(20)
    statuses: list[int] = []

    def click(rep_id: str) -> None:
        gate.wait()
        statuses.append(harness.click(ids.CLAIM, 1, rep_id, channel_copy)[0])

    threads = [threading.Thread(target=click, args=(r["id"],)) for r in reps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 20
    told = harness.fake.wait_for("chat.postEphemeral", count=19)
    with harness.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        claims = session.scalars(select(LeadEvent).where(LeadEvent.kind == "claimed")).all()
    assert lead is not None and lead.claimed_by is not None
    assert len(claims) == 1 and claims[0].actor == lead.claimed_by
    assert sorted(c.args["user"] for c in told) == sorted(
        r["id"] for r in reps if r["id"] != lead.claimed_by
    )
    assert {c.args["text"] for c in told} == {
        f"Lead #1 is already claimed by <@{lead.claimed_by}>."
    }


def test_pass_moves_the_lead_to_the_next_rep_with_a_fresh_card(bot: Harness) -> None:
    bot.post_lead(LEAD)
    alice_card = bot.dm_card("U0ALICE", 1)
    bot.click(ids.PASS, 1, "U0ALICE", alice_card)
    bo_card = bot.dm_card("U0BO", 1)
    assert "Claim" in str(bo_card.args["blocks"])
    bot.fake.wait_for("chat.update", where=lambda c: c.args["ts"] == alice_card.response["ts"])
    alice_view = bot.fake.message(alice_card.response["channel"], alice_card.response["ts"])
    assert alice_view is not None
    assert "Now with <@U0BO>" in str(alice_view["blocks"])
    with bot.app.services.db.read() as session:
        assert session.get(Lead, 1).owner_id == "U0BO"  # type: ignore[union-attr]


def test_everyone_passing_sends_the_lead_to_the_queue(bot: Harness) -> None:
    bot.post_lead(LEAD)
    bot.click(ids.PASS, 1, "U0ALICE", bot.dm_card("U0ALICE", 1))
    bot.click(ids.PASS, 1, "U0BO", bot.dm_card("U0BO", 1))
    bot.click(ids.PASS, 1, "U0CHEN", bot.dm_card("U0CHEN", 1))
    queue = bot.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "C0QUEUE")
    assert "In the shared queue" in str(queue[0].args["blocks"])


def test_only_the_owner_or_a_manager_may_pass(bot: Harness) -> None:
    bot.post_lead(LEAD)
    channel_copy = bot.fake.wait_for(
        "chat.postMessage", where=lambda c: c.response["channel"] == "C0LEADS"
    )[0]
    bot.click(ids.PASS, 1, "U0BO", channel_copy)
    told = bot.fake.wait_for("chat.postEphemeral")[0]
    assert told.args["text"] == (
        "Only the lead's owner (<@U0ALICE>) or a manager can pass on lead #1."
    )
    bot.click(ids.PASS, 1, "U0MAYA", channel_copy)
    bot.dm_card("U0BO", 1)


def test_strangers_cannot_claim(bot: Harness) -> None:
    bot.post_lead(LEAD)
    bot.click(ids.CLAIM, 1, "U0STRANGER", bot.dm_card("U0ALICE", 1))
    told = bot.fake.wait_for("chat.postEphemeral")[0]
    assert "not set up in leadbot.yml" in told.args["text"]


def reassign_to(user_id: str) -> dict:
    return {
        ids.REASSIGN_USER_BLOCK: {
            ids.REASSIGN_USER: {"type": "users_select", "selected_user": user_id}
        }
    }


def test_a_manager_reassigns_from_the_card(bot: Harness) -> None:
    bot.post_lead(LEAD)
    alice_card = bot.dm_card("U0ALICE", 1)
    bot.click(ids.LEAD_MENU, 1, "U0MAYA", alice_card, selected="reassign:1")
    modal = bot.fake.wait_for("views.open")[0].args["view"]
    assert (modal["callback_id"], modal["private_metadata"]) == (ids.REASSIGN_MODAL, "1")
    status, body = bot.submit_view(ids.REASSIGN_MODAL, "1", reassign_to("U0CHEN"), "U0MAYA")
    assert (status, body) == (200, "")
    chen_card = bot.dm_card("U0CHEN", 1)
    assert "reassigned by Maya" in str(chen_card.args["blocks"])
    bot.fake.wait_for(
        "chat.update",
        where=lambda c: (
            c.args["ts"] == alice_card.response["ts"]
            and "Now with <@U0CHEN>" in str(c.args["blocks"])
        ),
    )


def test_reassign_is_for_managers_and_reps_only(bot: Harness) -> None:
    bot.post_lead(LEAD)
    alice_card = bot.dm_card("U0ALICE", 1)
    bot.click(ids.LEAD_MENU, 1, "U0BO", alice_card, selected="reassign:1")
    told = bot.fake.wait_for("chat.postEphemeral")[0]
    assert told.args["text"] == "Only managers can reassign leads."
    assert bot.fake.calls("views.open") == []
    _, body = bot.submit_view(ids.REASSIGN_MODAL, "1", reassign_to("U0NOBODY"), "U0MAYA")
    assert json.loads(body) == {
        "response_action": "errors",
        "errors": {ids.REASSIGN_USER_BLOCK: "<@U0NOBODY> is not a rep in leadbot.yml."},
    }
