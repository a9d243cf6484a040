"""The `/leads` slash command. Ack at once; answer through `respond` (the response_url)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks.mrkdwn import date
from bot.hours import snooze_until
from bot.leads.availability import AwayRefused
from handlers import lead_lists, new_lead, outcome_command, stats_command
from handlers.args import CommandError, parse_away, parse_snooze
from handlers.context import SlashCommand, services_of
from handlers.payloads import acked_after, is_user_id

HELP = "\n".join(
    [
        "*leadbot commands*",
        "`/leads today`: your follow-up tasks due today and the overdue ones, with Done menus",
        "`/leads mine`: your leads waiting for a claim or a first contact, oldest first",
        "`/leads queue`: unclaimed leads in the shared queue, with Claim buttons",
        "`/leads stats [today|week|month] [@rep|#source]`: speed to lead and follow-up for the"
        " period; `/leads stats templates [week|month]`: which outreach templates get replies",
        "`/leads digest`: the weekly review now (the team's for managers, yours for reps)",
        "`/leads new`: enter a phone or walk-in lead in a form",
        "`/leads snooze <lead> <duration>`: pause reminders, e.g. `/leads snooze 42 1h` or"
        " `tomorrow` (9:00 your time)",
        "`/leads away [until]`: no new leads for you until then: a duration (`2h`), `tomorrow`,"
        " a weekday (`friday`) or a date (`2026-12-01`), 9:00 your time; or until `/leads back`",
        "`/leads back`: take new leads again",
        "`/leads won <lead> <amount> [note]`: close a lead as won, e.g. `/leads won 42 12500`",
        "`/leads lost <lead> <reason> [note]`: close a lead as lost, e.g. `/leads lost 42 no"
        " budget` (the card's ⋯ menu does both)",
        "`/leads help`: this list",
    ]
)

Subcommand = Callable[[SlashCommand], None]


def register(app: App) -> None:
    app.command("/leads")(leads_command)


def leads_command(
    ack: Ack, command: dict[str, Any], context: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    words = str(command.get("text") or "").split()
    name = words[0].lower() if words else "help"
    if not is_user_id(command.get("user_id")):
        ack()
        return  # not from a person: nobody to answer
    cmd = SlashCommand(
        user_id=command["user_id"],
        channel_id=str(command.get("channel_id") or ""),
        trigger_id=str(command.get("trigger_id") or ""),
        words=words[1:],
        services=services_of(context),
        respond=respond,
        client=client,
    )
    run = SUBCOMMANDS.get(name, show_help)
    if name in CHANGES_STATE:
        # Slack's 200 once the change is committed, and the answer after it: a slow or failing
        # response_url must not turn a change that happened into an error shown to the person.
        answers: list[dict[str, Any]] = []
        with acked_after(ack):
            run(replace(cmd, respond=lambda **answer: answers.append(answer)))
        for answer in answers:
            respond(**answer)
    else:
        ack()  # reading can take a while (stats): answered through the response_url
        run(cmd)


def show_help(cmd: SlashCommand) -> None:
    cmd.answer(HELP)


def snooze(cmd: SlashCommand) -> None:
    services, user_id = cmd.services, cmd.user_id
    try:
        args = parse_snooze(cmd.words)
    except CommandError as err:
        cmd.answer(str(err))
        return
    until = snooze_until(args.choice, services.clock.now(), services.config.tz_for(user_id))
    outcome = services.leads.snooze(args.lead_id, user_id, until)
    if outcome.ok:
        when = date(until, "{date_short_pretty} at {time}", until.strftime("%Y-%m-%d %H:%M UTC"))
        cmd.answer(f"💤 Lead #{args.lead_id} snoozed until {when}.")
    else:
        cmd.answer(outcome.message)


def away(cmd: SlashCommand) -> None:
    if cmd.services.config.rep(cmd.user_id) is None:
        cmd.answer("You are not a rep in leadbot.yml: no leads come to you.")
        return
    try:
        until = cmd.services.availability.set_away(cmd.user_id, parse_away(cmd.words))
    except (CommandError, AwayRefused) as err:
        cmd.answer(str(err))
        return
    if until is None:
        text = "🏝️ You are away: new leads go to your teammates until you say `/leads back`."
    else:
        tz = cmd.services.config.tz_for(cmd.user_id)
        when = _in_their_time(until, tz, cmd.services.clock.now())
        text = f"🏝️ You are away until {when}: new leads go to your teammates until then."
    cmd.answer(text)


def _in_their_time(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """`moment` as e.g. "Fri 27 Nov, 09:00 (America/New_York)", in the rep's zone from
    leadbot.yml, named: Slack's `<!date>` would use their Slack profile's zone, which may not be
    the one their 9:00 was computed in. The year shows when it is not this one."""
    local = moment.astimezone(tz)
    year = "" if local.year == now.astimezone(tz).year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year}, {local:%H:%M} ({tz.key})"


def back(cmd: SlashCommand) -> None:
    was_away = cmd.services.availability.set_back(cmd.user_id)
    cmd.answer(
        "👋 Welcome back: new leads come to you again." if was_away else "You were not away."
    )


CHANGES_STATE = frozenset({"snooze", "away", "back", "won", "lost"})


def today(cmd: SlashCommand) -> None:
    text, blocks = cmd.services.tasks.today(cmd.user_id)
    cmd.answer(text, blocks)


SUBCOMMANDS: dict[str, Subcommand] = {
    "today": today,
    "mine": lead_lists.show_mine,
    "queue": lead_lists.show_queue,
    "stats": stats_command.show_stats,
    "digest": stats_command.show_digest,
    "new": new_lead.open_form,
    "snooze": snooze,
    "away": away,
    "back": back,
    "won": outcome_command.won,
    "lost": outcome_command.lost,
    "help": show_help,
}
