"""`leadbot demo`: the whole flow offline, on embedded defaults, against a local fake Slack.

Three leads arrive over real HTTP, are routed and posted; their cards are printed as a rep would
read them; one is claimed and its first contact logged through signed Slack requests; the
others escalate on a virtual clock; the manager reads the week's speed to lead.
"""

from __future__ import annotations

import json
import tempfile
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.panel import Panel

from blocks import ids
from bot.app import LeadbotApp, create_app
from bot.clock import FixedClock
from bot.config.delivery import DeliverySettings
from bot.config.load import default_config
from bot.config.schema import Config
from bot.delivery.outbox import RetryPolicy
from bot.durations import parse_duration
from bot.fakeslack.requests import block_action, post_signed, slash_command
from bot.fakeslack.server import FakeSlack, RecordedCall
from bot.settings import Settings
from bot.tools.demo_followup import follow_up
from bot.tools.text import render_message, render_mrkdwn

INTAKE_TOKEN = "demo-intake-token"
SIGNING_SECRET = "demo-signing-secret"
SAMPLE_LEADS: list[dict[str, Any]] = [
    {
        "external_id": "form-1001",
        "source": "website",
        "name": "Dana Whitfield",
        "email": "dana@northwind.test",
        "company": "Northwind Traders",
        "company_size": 1200,
        "product": "Analytics Enterprise",
        "message": "We need a demo before our Q1 budget meeting on Thursday.",
        "crm_url": "https://crm.example.com/leads/1001",
        "tier": "hot",
        "received_at": "-3m12s",
    },
    {
        "external_id": "form-1002",
        "source": "webinar",
        "name": "Luis Ortega <!channel>",
        "email": "luis@contoso.test",
        "company": "Contoso & Sons",
        "company_size": 45,
        "product": "Starter",
        "message": "Pricing for 10 seats? <https://evil.test|click here>",
    },
    {
        "external_id": "ref-77",
        "source": "partner",
        "name": "Mei Tanaka",
        "phone": "+65 6123 4567",
        "company": "Fabrikam Asia",
        "company_size": 300,
        "product": "Analytics Pro",
        "tier": "cold",
    },
]


def run_demo(
    database: str | None = None,
    console: Console | None = None,
    start: datetime | None = None,
    then: Callable[[LeadbotApp, FakeSlack, str], None] | None = None,
) -> int:
    """`start`: the virtual clock's first reading (default: now), so tests can pin the hour;
    `then`: run with the app, its fake Slack and its URL after the story, before they stop
    (`make pictures` opens App Homes there and draws what the fake Slack recorded)."""
    console = console or Console()
    # The demo's stand-in for Slack answers at once and enforces no limits: paced at Slack's
    # real Tier 3 (50 a minute), its card redraws alone kept the story waiting 15 s.
    config = default_config().model_copy(update={"delivery": DeliverySettings(
        post_per_channel=20, tier3_per_minute=600)})  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        db_path = database or str(Path(tmp) / "leadbot-demo.db")
        for rep in config.reps:
            fake.add_user(rep.id, rep.name, tz=str(config.tz_for(rep.id)))
        settings = Settings(
            slack_bot_token="xoxb-demo",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.url,
            database_url=f"sqlite:///{db_path}",
            intake_token=INTAKE_TOKEN,
        )
        # A virtual clock, so the demo can show what happens when nobody claims for hours.
        app = create_app(
            settings, config, clock=FixedClock(start or datetime.now(UTC)), retry=RetryPolicy()
        )
        app.start_workers()
        base = f"http://127.0.0.1:{app.serve_in_thread()}"
        try:
            _walkthrough(console, app, fake, base, config)
            if then is not None:
                then(app, fake, base)
        finally:
            app.stop()
    return 0


def _walkthrough(
    console: Console, app: LeadbotApp, fake: FakeSlack, base: str, config: Config
) -> None:
    console.rule("[bold]1. Three leads arrive at POST /api/leads")
    for lead in SAMPLE_LEADS:
        status, answer = _post_lead(base, _with_times(lead, app.services.clock.now()))
        console.print(
            f"HTTP {status}  lead #{answer['id']} → {answer['owner']}: {answer['reason']}"
        )
    posts = fake.wait_for("chat.postMessage", count=len(SAMPLE_LEADS) * 2)
    console.rule("[bold]2. The cards, as each rep sees them in Slack")
    names = {rep.id: rep.name for rep in config.reps}
    dm_posts = [call for call in posts if call.response["channel"].startswith("D")]
    for call in dm_posts:
        _show(
            console,
            fake,
            (call.response["channel"], call.response["ts"]),
            names,
            config,
            app.services.clock.now(),
        )

    first = next(call for call in dm_posts if "lead #1:" in call.args["text"])
    owner = _claims(console, app, fake, base, posts, first)
    _log_contact(console, app, fake, base, owner, first)
    _escalation(console, app, fake, config)
    _review(console, app, fake, base, config)
    follow_up(console, app, fake, base, lambda lead: _post_lead(base, lead), SIGNING_SECRET)


def _claims(
    console: Console,
    app: LeadbotApp,
    fake: FakeSlack,
    base: str,
    posts: list[RecordedCall],
    first: RecordedCall,
) -> str:
    """Lead #1's owner claims it; a teammate clicking a moment later is told who won."""
    config = app.services.config
    names = {rep.id: rep.name for rep in config.reps}
    owner = _owner_of(first.response["channel"], fake, config)
    console.rule(f"[bold]3. {names[owner]} clicks Claim on lead #1 (a signed Slack request)")
    status, _ = _click_claim(base, owner, first)
    console.print(f"Slack got HTTP {status} from leadbot (the click was acknowledged)")
    # Each copy of lead #1 once, as it stands after its redraw: a copy may be redrawn twice (a
    # redraw queued while the one before it was still in flight), in either copy's turn.
    copies = [_copy(c) for c in posts if "lead #1:" in c.args["text"]]
    for copy in copies:
        fake.wait_for("chat.update", where=lambda c, at=copy: _copy(c) == at)
    console.rule("[bold]4. Every copy of lead #1's card is updated in place")
    for copy in copies:
        _show(console, fake, copy, names, config, app.services.clock.now())

    other = next(rep.id for rep in config.reps if rep.id != owner)
    channel_copy = next(call for call in posts if not call.response["channel"].startswith("D"))
    console.rule(f"[bold]5. {names[other]} clicks Claim on the #leads copy a moment later")
    _click_claim(base, other, channel_copy)
    told = fake.wait_for("chat.postEphemeral")[0]
    console.print(f"Only {names[other]} sees: {render_mrkdwn(told.args['text'], names=names)}")
    return owner


def _copy(call: RecordedCall) -> tuple[str, str]:
    """The message a post made, or an update redrew: (channel, ts)."""
    if call.method == "chat.update":
        return call.args["channel"], call.args["ts"]
    return call.response["channel"], call.response["ts"]


def _log_contact(
    console: Console, app: LeadbotApp, fake: FakeSlack, base: str, owner: str, card: RecordedCall
) -> None:
    """The owner reaches the lead and logs it from the card: speed to lead stops here."""
    config = app.services.config
    console.rule(f"[bold]6. {config.display_name(owner)} calls and logs it: Log contact → Meeting")
    channel, ts = card.response["channel"], card.response["ts"]
    body = block_action(
        ids.LOG_CONTACT,
        "1",
        user_id=owner,
        channel_id=channel,
        message_ts=ts,
        selected="1:meeting",
        element="static_select",
    )
    post_signed(f"{base}/slack/events", SIGNING_SECRET, body)
    fake.wait_for("chat.update", where=lambda c: "First contact" in json.dumps(c.args))
    app.services.dispatcher.wait_until_idle()
    names = {rep.id: rep.name for rep in config.reps}
    _show(console, fake, (channel, ts), names, config, app.services.clock.now())


def _review(console: Console, app: LeadbotApp, fake: FakeSlack, base: str, config: Config) -> None:
    """The manager's weekly review starts from `/leads stats week`."""
    manager = config.managers[0]
    console.rule(f"[bold]10. {manager.name or manager.id} types /leads stats week")
    body = slash_command(
        "stats week",
        user_id=manager.id,
        channel_id="D0MANAGER",
        response_url=fake.response_url("demo-stats"),
    )
    post_signed(f"{base}/slack/events", SIGNING_SECRET, body)
    answer = fake.wait_for("response_url", where=lambda c: c.path.endswith("/demo-stats"))[0]
    names = {p.id: p.name or p.id for p in [*config.reps, *config.managers]}
    tz = config.tz_for(manager.id)
    text = render_message(answer.args, names=names, tz=tz, now=app.services.clock.now())
    console.print(Panel(text, title="only Maya sees this (ephemeral)", width=100))


def _escalation(console: Console, app: LeadbotApp, fake: FakeSlack, config: Config) -> None:
    """Nobody claims leads #2 and #3: move the virtual clock and let the sweep run."""
    clock = app.services.clock
    assert isinstance(clock, FixedClock)
    names = {person.id: person.name or person.id for person in [*config.reps, *config.managers]}
    start = clock.now()
    for after, title in (
        (timedelta(minutes=30), "7. 30 minutes on, leads #2 and #3 are unclaimed: gentle nudges"),
        (timedelta(hours=2), "8. 2 hours on: direct nudges"),
        (timedelta(hours=4), "9. 4 hours on: the manager is told, the leads go to the queue"),
    ):
        app.services.dispatcher.wait_until_idle()
        seen = len(fake.calls("chat.postMessage"))
        clock.set(start + after)
        console.rule(f"[bold]{title}")
        app.services.escalator.sweep()
        app.services.dispatcher.wait_until_idle()
        for call in fake.calls("chat.postMessage")[seen:]:
            _show(
                console,
                fake,
                (call.response["channel"], call.response["ts"]),
                names,
                config,
                clock.now(),
            )


def _click_claim(base: str, user_id: str, card: RecordedCall) -> tuple[int, str]:
    """Claim lead #1 from a posted copy of its card, as Slack would send the click."""
    channel, ts = card.response["channel"], card.response["ts"]
    body = block_action(ids.CLAIM, "1", user_id=user_id, channel_id=channel, message_ts=ts)
    return post_signed(f"{base}/slack/events", SIGNING_SECRET, body)


def _with_times(lead: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Sample leads say how long ago they arrived ("-3m12s"); intake wants a timestamp."""
    if not str(lead.get("received_at", "")).startswith("-"):
        return lead
    ago = parse_duration(lead["received_at"][1:])
    return {**lead, "received_at": (now - ago).isoformat()}


def _post_lead(base: str, lead: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{base}/api/leads",
        data=json.dumps(lead).encode(),
        headers={"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def _owner_of(channel: str, fake: FakeSlack, config: Config) -> str:
    opened = [c for c in fake.calls("conversations.open") if c.response["channel"]["id"] == channel]
    return str(opened[0].args["users"])


def _show(
    console: Console,
    fake: FakeSlack,
    where_ts: tuple[str, str],
    names: dict[str, str],
    config: Config,
    now: datetime,
) -> None:
    channel, ts = where_ts
    message = fake.message(channel, ts)
    if message is None:
        return
    if channel.startswith("D"):
        owner = _owner_of(channel, fake, config)
        where, tz = f"{config.display_name(owner)}'s DM", config.tz_for(owner)
    else:
        where, tz = f"#{channel} (shown in {config.timezone})", ZoneInfo(config.timezone)
    text = render_message(message, names=names, tz=tz, now=now)
    console.print(Panel(text, title=where, width=80))
