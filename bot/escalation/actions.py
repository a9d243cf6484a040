"""What each escalation action does, inside the sweep's transaction.

Every action writes events and outbox rows only; the dispatcher sends after commit, and checks
each message's guard (lead still unclaimed, still this rep's) right before sending.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.delivery.outbox import enqueue_post
from bot.durations import format_duration
from bot.escalation.context import CLAIM, CLAIM_SNOOZE, ActionContext, AnyLead
from bot.escalation.held import not_reminded
from bot.escalation.policy import ChainStep
from bot.leads.changes import ESCALATION_STEP, note
from bot.leads.events import LEADBOT, owners_in
from bot.routing.decision import next_after_pass
from bot.routing.engine import backup
from bot.routing.pools import DEFAULT_KEY
from bot.routing.state import rep_states
from bot.vocabulary import Action, CopyKind, EventKind, LeadStatus
from storage.bulk import add_row
from storage.models import HeldNudge, Lead


def run_actions(ctx: ActionContext, lead: AnyLead, step: ChainStep, number: int) -> None:
    for action in step.actions:
        ACTIONS[action](ctx, lead, step, number)
        # Counted by kind once the sweep commits; logged as the events the action wrote.
        note(ctx.session, lead.id, LEADBOT, ESCALATION_STEP, {"action": action, "step": number},
             tier=lead.tier, logged=False)  # fmt: skip


def remind_owner(ctx: ActionContext, lead: AnyLead, step: ChainStep, number: int) -> None:
    owner = lead.owner_id
    if owner is None:
        return  # already in the queue: the queue reminder speaks for it
    template = f"remind_owner_{step.tone}"
    deliver = ctx.quiet_until(owner, lead.tier)
    if deliver is not None:  # held for quiet hours: its words now, for the morning's digest
        text = ctx.say(template, lead)
        add_row(
            ctx.session,
            HeldNudge,
            lead_id=lead.id,
            user_id=owner,
            text=text,
            created_at=ctx.now,
            deliver_at=deliver,
        )
        ctx.event(
            lead, EventKind.REMINDED, to=owner, step=number, tone=step.tone, held_until=str(deliver)
        )
        return
    guard: dict[str, object] = {"open": True, "owner": owner}
    ctx.send(lead, CopyKind.DM, owner, (template, {}), CLAIM_SNOOZE, guard)
    ctx.event(lead, EventKind.REMINDED, to=owner, step=number, tone=step.tone)


def notify_manager(ctx: ActionContext, lead: AnyLead, step: ChainStep, number: int) -> None:
    rep = ctx.config.rep(lead.owner_id) if lead.owner_id else None
    moving = Action.MOVE_TO_QUEUE in step.actions
    next_step = "It is going to the shared queue now." if moving else ""
    words = ("notify_manager", {"next_step": next_step})
    unreminded = not_reminded(ctx, lead)
    targets: list[tuple[CopyKind, str]]
    if rep and rep.manager:
        targets = [(CopyKind.DM, rep.manager)]
    elif ctx.config.channels.managers:
        targets = [(CopyKind.CHANNEL, ctx.config.channels.managers)]
    else:
        targets = [(CopyKind.DM, manager) for manager in ctx.config.manager_ids()]
    for kind, target in targets:
        held = ctx.quiet_until(target, lead.tier) if kind == CopyKind.DM else None
        ctx.send(lead, kind, target, words, CLAIM, {"open": True}, suffix=unreminded,
                 not_before=held)  # fmt: skip
    ctx.event(lead, EventKind.MANAGER_NOTIFIED, to=[t for _, t in targets], step=number)


def move_to_queue(ctx: ActionContext, lead: AnyLead, step: ChainStep, number: int) -> None:
    assert isinstance(lead, Lead), "a step that changes the lead runs on the ORM Lead"
    previous = lead.owner_id
    lead.status = LeadStatus.QUEUED
    lead.owner_id = None
    lead.snoozed_until = None
    lead.snoozed_by = None
    ctx.session.flush()
    enqueue_post(ctx.session, lead.id, CopyKind.QUEUE, ctx.config.channels.queue, ctx.now)
    ctx.event(lead, EventKind.QUEUED, previous_owner=previous, step=number, reason="escalation")


def reassign(ctx: ActionContext, lead: AnyLead, step: ChainStep, number: int) -> None:
    assert isinstance(lead, Lead), "a step that changes the lead runs on the ORM Lead"
    had_it = owners_in(ctx.session, lead.id, EventKind.ASSIGNED)
    current = lead.owner_id or ""
    names = {rid: ctx.config.display_name(rid) for rid in ctx.config.rep_ids()}
    decision = next_after_pass(ctx.config.rep_ids(), names, current, had_it | {current})
    if decision.owner_id is None:
        move_to_queue(ctx, lead, step, number)
        return
    reason = f"reassigned after {format_duration(step.after)} without a claim"
    _hand_over(ctx, lead, decision.owner_id, reason, number)


def notify_channel(ctx: ActionContext, lead: AnyLead, step: ChainStep, number: int) -> None:
    channel = step.channel or ctx.config.channels.queue
    ctx.send(lead, CopyKind.CHANNEL, channel, ("notify_channel", {}), CLAIM, {"open": True})
    ctx.event(lead, EventKind.CHANNEL_NOTIFIED, to=channel, step=number)


def queue_reminder(ctx: ActionContext, lead: AnyLead, step: ChainStep, number: int) -> None:
    if lead.status != LeadStatus.QUEUED:
        return
    queue = ctx.config.channels.queue
    ctx.send(lead, CopyKind.CHANNEL, queue, ("queue_reminder", {}), CLAIM, {"open": True})
    ctx.event(lead, EventKind.QUEUE_REMINDED, step=number)


def backup_owner(ctx: ActionContext, lead: AnyLead, step: ChainStep, number: int) -> None:
    """routing.ack_timeout: the next eligible rep in the lead's pool gets it, once."""
    assert isinstance(lead, Lead), "a step that changes the lead runs on the ORM Lead"
    current = lead.owner_id
    if current is None:
        return
    reps = rep_states(ctx.session, ctx.config, ctx.calendar, ctx.now, caps=True, loads=False)
    names = {rep_id: ctx.config.display_name(rep_id) for rep_id in ctx.config.rep_ids()}
    had_it = owners_in(ctx.session, lead.id, EventKind.ASSIGNED)
    decision = backup(
        lead.routing_pool or DEFAULT_KEY,
        current,
        ctx.config.routing,
        ctx.config.teams,
        reps,
        names,
        passed=had_it | {current},
    )
    if decision is None or decision.owner_id is None:
        ctx.event(
            lead, EventKind.BACKUP_SKIPPED, owner=current, step=number, reason="nobody eligible"
        )
        return
    _hand_over(ctx, lead, decision.owner_id, decision.reason, number)


def _hand_over(ctx: ActionContext, lead: Lead, owner: str, reason: str, number: int) -> None:
    """A new owner by the chain: their fresh card; the old copies redraw after the step."""
    previous = lead.owner_id
    lead.owner_id = owner
    lead.assigned_at = ctx.now
    lead.routing_reason = reason[:500]
    ctx.session.flush()
    urgent = ctx.config.is_hottest(lead.tier)
    held = ctx.quiet_until(owner, lead.tier)
    enqueue_post(ctx.session, lead.id, CopyKind.DM, owner, ctx.now, urgent=urgent, not_before=held)
    ctx.crm.owner_changed(ctx.session, lead, owner, ctx.now)
    quiet = {"card_held_until": held.isoformat()} if held else {}
    ctx.event(
        lead,
        EventKind.ASSIGNED,
        owner=owner,
        previous_owner=previous,
        step=number,
        reason=reason,
        **quiet,
    )


ActionFunction = Callable[[ActionContext, AnyLead, ChainStep, int], None]
ACTIONS: dict[Action, ActionFunction] = {
    Action.BACKUP: backup_owner,
    Action.REMIND_OWNER: remind_owner,
    Action.NOTIFY_MANAGER: notify_manager,
    Action.MOVE_TO_QUEUE: move_to_queue,
    Action.REASSIGN: reassign,
    Action.NOTIFY_CHANNEL: notify_channel,
    Action.QUEUE_REMINDER: queue_reminder,
}
