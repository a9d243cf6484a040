"""The demo's second act (#12): a claimed lead does not go quiet. A new lead is claimed; Day 1
of its cadence arrives as a task card with the intro email written for it; the rep reports
"no answer"; the next business morning brings her agenda and the Day 2 card, which knows what
was tried."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console
from rich.panel import Panel
from sqlalchemy import select

from blocks import ids
from bot.app import LeadbotApp
from bot.clock import FixedClock
from bot.config.schema import Config
from bot.fakeslack.requests import block_action, post_signed, slash_command
from bot.fakeslack.server import FakeSlack, RecordedCall
from bot.followup.schedule import next_business_morning
from bot.tools.text import render_message
from storage.followup import Task

FOLLOW_UP_LEAD = {
    "external_id": "form-1042",
    "source": "website",
    "name": "Jonas Becker",
    "email": "jonas.becker@contoso.test",
    "phone": "+49 30 1234 5678",
    "company": "Contoso GmbH",
    "company_size": 250,
    "product": "Analytics Enterprise",
    "country": "DE",
    "message": "Can you show us the Enterprise plan? We are comparing three vendors.",
}

Poster = Callable[[dict[str, object]], tuple[int, dict[str, object]]]


def follow_up(
    console: Console, app: LeadbotApp, fake: FakeSlack, base: str, post_lead: Poster, secret: str
) -> None:
    config = app.services.config
    clock = app.services.clock
    assert isinstance(clock, FixedClock)
    _, answer = post_lead(FOLLOW_UP_LEAD)
    lead_id, owner = int(str(answer["id"])), str(answer["owner"])
    name = config.display_name(owner)
    console.rule(f"[bold]11. A new lead (#{lead_id}) for {name}; she claims it at once")
    card = _wait(fake, lambda c: f"lead #{lead_id}:" in c.args.get("text", ""))
    channel, ts = card.response["channel"], card.response["ts"]
    body = block_action(ids.CLAIM, str(lead_id), user_id=owner, channel_id=channel, message_ts=ts)
    post_signed(f"{base}/slack/events", secret, body)
    app.services.dispatcher.wait_until_idle()

    console.rule(f"[bold]12. Day 1 of the cadence: {name}'s task card, the intro email written")
    _until_due(console, app, lead_id, step=1, owner=owner)
    day_1 = _wait(fake, lambda c: c.args.get("text", "").startswith("Day 1 of"))
    _show(console, fake, config, owner, day_1, clock.now())

    console.rule(f"[bold]13. {name} calls; nobody answers. Done → 📞 Call: no answer")
    task_id = _task_of(day_1)
    body = block_action(
        ids.TASK_DONE,
        "",
        user_id=owner,
        channel_id=day_1.response["channel"],
        message_ts=day_1.response["ts"],
        selected=f"{task_id}:call_no_answer",
        element="static_select",
        block_id=f"{ids.TASK_BLOCK_PREFIX}_{task_id}",
    )
    post_signed(f"{base}/slack/events", secret, body)
    app.services.dispatcher.wait_until_idle()
    _show(console, fake, config, owner, day_1, clock.now())

    morning = next_business_morning(clock.now(), None, config.tz_for(owner))
    console.rule(f"[bold]14. The next morning, 09:00 {name}'s time: her agenda, then Day 2")
    clock.set(morning)
    app.services.task_sweeper.sweep()
    app.services.dispatcher.wake()
    agenda = _wait(fake, lambda c: c.args.get("text", "").startswith("🗓"))
    _show(console, fake, config, owner, agenda, clock.now())
    _until_due(console, app, lead_id, step=2, owner=owner)
    day_2 = _wait(fake, lambda c: c.args.get("text", "").startswith("Day 2 of"))
    _show(console, fake, config, owner, day_2, clock.now())
    _templates(console, app, fake, base, secret)


def _templates(console: Console, app: LeadbotApp, fake: FakeSlack, base: str, secret: str) -> None:
    """Which templates get replies: ranked once each has been used often enough."""
    config = app.services.config
    manager = config.managers[0]
    console.rule(f"[bold]15. {manager.name or manager.id} types /leads stats templates")
    body = slash_command("stats templates", user_id=manager.id, channel_id="D0MANAGER",
                         response_url=fake.response_url("demo-templates"))  # fmt: skip
    post_signed(f"{base}/slack/events", secret, body)
    answer = fake.wait_for("response_url", where=lambda c: c.path.endswith("/demo-templates"))[0]
    names = {p.id: p.name or p.id for p in [*config.reps, *config.managers]}
    text = render_message(answer.args, names=names, tz=config.tz_for(manager.id),
                          now=app.services.clock.now())  # fmt: skip
    console.print(Panel(text, title="only Maya sees this (ephemeral)", width=100))


def _until_due(console: Console, app: LeadbotApp, lead_id: int, step: int, owner: str) -> None:
    """Run the task sweep once the step is due. A call step waits for the prospect's calling
    window and any step for the rep's working time, so a demo started in the evening moves its
    virtual clock to that moment (and says so) instead of waiting for a card that is not due."""
    clock = app.services.clock
    assert isinstance(clock, FixedClock)
    with app.services.db.read() as session:
        due = session.scalars(
            select(Task.due_at).where(Task.lead_id == lead_id, Task.step == step)
        ).one()
    due = due.replace(tzinfo=UTC) if due.tzinfo is None else due
    if due > clock.now():
        local = due.astimezone(app.services.config.tz_for(owner))
        console.print(f"(Not due yet: the virtual clock moves to {local:%a %H:%M}, its due time.)")
        clock.set(due)
    app.services.task_sweeper.sweep()
    app.services.dispatcher.wake()


def _wait(fake: FakeSlack, where: Callable[[RecordedCall], bool]) -> RecordedCall:
    return fake.wait_for(
        "chat.postMessage", where=lambda c: bool(c.response.get("ok")) and where(c)
    )[-1]


def _task_of(card: RecordedCall) -> int:
    select = next(
        element
        for block in card.args["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
        if element.get("action_id") == ids.TASK_DONE
    )
    return int(select["options"][0]["value"].split(":")[0])


def _show(
    console: Console,
    fake: FakeSlack,
    config: Config,
    owner: str,
    call: RecordedCall,
    now: datetime,
) -> None:
    message = fake.message(call.response["channel"], call.response["ts"]) or call.args
    names = {p.id: p.name or p.id for p in [*config.reps, *config.managers]}
    text = render_message(message, names=names, tz=config.tz_for(owner), now=now)
    console.print(Panel(text, title=f"{config.display_name(owner)}'s DM", width=80))
