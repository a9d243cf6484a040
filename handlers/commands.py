"""The `/leads` slash command. Ack at once; answer through `respond` (the response_url)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from blocks.home import MAX_CARDS_IN_MESSAGE, my_leads_blocks
from blocks.mrkdwn import date
from blocks.render import card_view
from bot.command_args import CommandError, parse_away, parse_snooze
from bot.hours import snooze_until
from handlers.context import services_of

HELP = "\n".join(
    [
        "*leadbot commands*",
        "`/leads mine`: your leads waiting for a claim, oldest first",
        "`/leads snooze <lead> <duration>`: pause reminders, e.g. `/leads snooze 42 1h` or"
        " `tomorrow` (9:00 your time)",
        "`/leads away [until]`: no new leads for you until then (or until `/leads back`)",
        "`/leads back`: take new leads again",
        "`/leads help`: this list",
    ]
)


def register(app: App) -> None:
    app.command("/leads")(leads_command)


def leads_command(
    ack: Ack, command: dict[str, Any], context: dict[str, Any], respond: Respond
) -> None:
    ack()
    words = (command.get("text") or "").split()
    if words[:1] == ["mine"]:
        show_mine(command["user_id"], context, respond)
    elif words[:1] == ["snooze"]:
        snooze(command["user_id"], words[1:], context, respond)
    elif words[:1] == ["away"]:
        away(command["user_id"], words[1:], context, respond)
    elif words[:1] == ["back"]:
        back(command["user_id"], context, respond)
    else:
        respond(response_type="ephemeral", text=HELP)


def show_mine(user_id: str, context: dict[str, Any], respond: Respond) -> None:
    services = services_of(context)
    leads = services.queries.open_leads_of(user_id, limit=MAX_CARDS_IN_MESSAGE)
    total = services.queries.count_open_of(user_id)
    cards = [card_view(lead, "dm", user_id) for lead in leads]
    blocks = my_leads_blocks(cards, services.clock.now(), MAX_CARDS_IN_MESSAGE, total)
    text = f"You have {total} lead(s) waiting." if total else "No leads waiting for you."
    respond(response_type="ephemeral", text=text, blocks=[b.to_dict() for b in blocks])


def snooze(user_id: str, words: list[str], context: dict[str, Any], respond: Respond) -> None:
    services = services_of(context)
    try:
        args = parse_snooze(words)
    except CommandError as err:
        respond(response_type="ephemeral", text=str(err))
        return
    until = snooze_until(args.choice, services.clock.now(), services.config.tz_for(user_id))
    outcome = services.leads.snooze(args.lead_id, user_id, until)
    if outcome.ok:
        when = date(until, "{date_short_pretty} at {time}", until.strftime("%Y-%m-%d %H:%M UTC"))
        respond(response_type="ephemeral", text=f"💤 Lead #{args.lead_id} snoozed until {when}.")
    else:
        respond(response_type="ephemeral", text=outcome.message)


def away(user_id: str, words: list[str], context: dict[str, Any], respond: Respond) -> None:
    services = services_of(context)
    if services.config.rep(user_id) is None:
        respond(
            response_type="ephemeral",
            text="You are not a rep in leadbot.yml: no leads come to you.",
        )
        return
    try:
        choice = parse_away(words)
    except CommandError as err:
        respond(response_type="ephemeral", text=str(err))
        return
    until = services.availability.set_away(user_id, choice)
    if until is None:
        text = "🏝️ You are away: new leads go to your teammates until you say `/leads back`."
    else:
        when = date(until, "{date_short_pretty} at {time}", until.strftime("%Y-%m-%d %H:%M UTC"))
        text = f"🏝️ You are away until {when}: new leads go to your teammates until then."
    respond(response_type="ephemeral", text=text)


def back(user_id: str, context: dict[str, Any], respond: Respond) -> None:
    was_away = services_of(context).availability.set_back(user_id)
    text = "👋 Welcome back: new leads come to you again." if was_away else "You were not away."
    respond(response_type="ephemeral", text=text)
