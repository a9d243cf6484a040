"""Reminders held through a rep's quiet hours (`held_nudges`): released as one digest per rep
when the hours end, dropped on the record if the lead moved on first, and named in the
manager's alert while they wait, so nobody believes a sleeping rep was told."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import bindparam, select

from blocks.mrkdwn import date, user
from bot.clock import as_utc
from bot.delivery.outbox import enqueue_message
from bot.escalation.context import CLAIM_SNOOZE, ActionContext, AnyLead
from bot.escalation.templates import Mrkdwn
from bot.vocabulary import CopyKind, EventKind, LeadStatus
from storage.models import HeldNudge, HeldNudgeStatus, Lead

_ANY_DUE = (
    select(HeldNudge.id)
    .where(HeldNudge.status == HeldNudgeStatus.HELD, HeldNudge.deliver_at <= bindparam("now"))
    .limit(1)
)


def not_reminded(ctx: ActionContext, lead: AnyLead) -> str:
    """The owner's reminders still held for their quiet hours: the manager must not believe the
    rep was told (a Sydney rep under New York hours is asleep through every step)."""
    held = ctx.session.scalars(
        select(HeldNudge.deliver_at)
        .where(HeldNudge.lead_id == lead.id, HeldNudge.status == HeldNudgeStatus.HELD)
        .order_by(HeldNudge.deliver_at)
        .limit(1)
    ).first()
    if held is None or lead.owner_id is None:
        return ""
    until = date(as_utc(held), "{date_short_pretty} {time}", f"{as_utc(held):%Y-%m-%d %H:%M} UTC")
    return (
        f"\n⏸ {user(lead.owner_id)} has not been reminded: it is their quiet hours, "
        f"so their reminders wait until {until}."
    )


def release_held_nudges(ctx: ActionContext) -> int:
    """Reminders whose quiet hours are over: one message per rep, however many piled up."""
    if ctx.session.execute(_ANY_DUE, {"now": ctx.now}).first() is None:
        return 0  # most ticks: one cheap look, no ORM query
    held = list(
        ctx.session.scalars(
            select(HeldNudge)
            .where(HeldNudge.status == HeldNudgeStatus.HELD, HeldNudge.deliver_at <= ctx.now)
            .order_by(HeldNudge.id)
        )
    )
    by_user: dict[str, list[HeldNudge]] = defaultdict(list)
    for nudge in held:
        by_user[nudge.user_id].append(nudge)
    for user_id, nudges in by_user.items():
        _deliver_held(ctx, user_id, nudges)
    return len(by_user)


def _deliver_held(ctx: ActionContext, user_id: str, nudges: list[HeldNudge]) -> None:
    live: list[HeldNudge] = []
    for nudge in nudges:
        lead = ctx.session.get(Lead, nudge.lead_id)
        still_theirs = lead and lead.status in LeadStatus.OPEN and lead.owner_id == user_id
        nudge.status = HeldNudgeStatus.DELIVERED if still_theirs else HeldNudgeStatus.DROPPED
        if still_theirs:
            live.append(nudge)
        elif lead is not None:
            # On the record, and off the card: it says "reminded" only of what went out.
            ctx.event(lead, EventKind.NUDGE_DROPPED, to=user_id, reason="lead moved on first")
    if not live:
        return
    if len(live) == 1:
        only = live[0]
        text, lead_id, guard = only.text, only.lead_id, {"open": True, "owner": user_id}
        buttons, lines = CLAIM_SNOOZE, None
    else:
        templates = ctx.words.templates
        header = templates.render("held_digest", owner=Mrkdwn(user(user_id)), count=len(live))
        text, lead_id, guard = header, None, {}
        buttons, lines = (), [n.text for n in live]
    enqueue_message(
        ctx.session,
        lead_id,
        CopyKind.DM,
        user_id,
        ctx.now,
        text=text,
        buttons=buttons,
        lines=lines,
        guard=guard,
    )
