"""`leadbot --help` and every command's help: each option with its default, each command with
the environment variables it reads, and the exit codes every command shares (`ExitCode`).

Applied once to the whole parser (`polish`), after every command module has added its own
options, so a new command gets the same help without doing anything.
"""

from __future__ import annotations

import argparse

from bot.settings import DEFAULT_DATABASE_URL, DEFAULT_SLACK_API_URL
from bot.vocabulary import ExitCode

# What each variable means, in a few words (README, "Environment", says it all).
VARIABLES: dict[str, str] = {
    "SLACK_BOT_TOKEN": "the bot token, xoxb-…",
    "SLACK_SIGNING_SECRET": "verifies Slack's requests (HTTP mode)",
    "SLACK_APP_TOKEN": "the app-level token, xapp-… (Socket Mode)",
    "SLACK_API_URL": f"default {DEFAULT_SLACK_API_URL}",
    "DATABASE_URL": f"default {DEFAULT_DATABASE_URL}; postgres://… for PostgreSQL",
    "LEADBOT_CONFIG": "default ./leadbot.yml",
    "LEADBOT_INTAKE_TOKEN": "bearer token of POST /api/leads (unset: intake answers 503)",
    "LEADBOT_DASHBOARD_TOKEN": "the token GET /dashboard asks for (unset: no dashboard)",
    "LEADBOT_DASHBOARD_REFRESH": "seconds between the dashboard's updates, default 15",
    "LEADBOT_PUBLIC_URL": "the address senders call, behind a proxy",
    "LEADBOT_DELIVERY_PROCESS": "separate (default) or inline",
    "sources.*.secret_env, token_env": "the variables leadbot.yml names for each source",
}
_DATA = ("DATABASE_URL", "LEADBOT_CONFIG")
# The variables each command reads ("" for none): `polish` lists them under the command's help.
ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "serve": tuple(VARIABLES),
    "demo": (),
    "route": _DATA,
    "db upgrade": ("DATABASE_URL",),
    "config check": ("LEADBOT_CONFIG", "sources.*.secret_env, token_env"),
    "config schema": (),
    "audit": ("LEADBOT_CONFIG", "DATABASE_URL"),
    "simulate": _DATA,
    "quarantine list": _DATA,
    "quarantine show": _DATA,
    "quarantine retry": (*_DATA, "sources.*.secret_env, token_env"),
    "quarantine dismiss": _DATA,
    "crm list": ("DATABASE_URL",),
    "crm retry": ("DATABASE_URL",),
    "import": _DATA,
    "templates check": ("LEADBOT_CONFIG",),
    "lead": _DATA,
    "fake-slack": (),
    "roster sync": ("SLACK_BOT_TOKEN", "SLACK_API_URL", "LEADBOT_CONFIG"),
}
EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.OK: "done",
    ExitCode.FINDINGS: "done, found problems: a check's findings, refused rows, a failed retry",
    ExitCode.USAGE: "cannot run: options, an input file, leadbot.yml, an environment variable",
    ExitCode.DATABASE: "DATABASE_URL cannot be used, or the database cannot be reached",
    ExitCode.NOT_FOUND: "no such lead or quarantined payload",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}
EPILOG = (
    "exit codes (the same in every command):\n"
    + "\n".join(f"  {int(code):<3}  {meaning}" for code, meaning in EXIT_CODES.items())
    + "\n\nenvironment: every command reads ./.env when present (a variable already set wins); "
    "`leadbot COMMAND --help` lists what each reads. Colour and tables on a terminal, plain "
    "text when piped; NO_COLOR=1 turns colour off."
)


class HelpFormatter(argparse.HelpFormatter):
    """Paragraphs are wrapped as argparse wraps them; a paragraph with indented lines (a list:
    the exit codes, the environment) is kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks = []
        for block in text.split("\n\n"):
            lines = block.splitlines()
            if any(line.startswith("  ") for line in lines):
                blocks.append("\n".join(indent + line for line in lines))
            else:
                blocks.append(super()._fill_text(block, width, indent))
        return "\n\n".join(blocks)


def polish(parser: argparse.ArgumentParser, path: str = "") -> None:
    """Defaults into every option's help, the environment into every command's epilog, and
    the same formatter everywhere; down every level of subcommands."""
    parser.formatter_class = HelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                polish(child, f"{path} {name}".strip())
        else:
            _show_default(action)
    if path in ENVIRONMENT:
        parser.epilog = _join(parser.epilog, environment_of(path))


def environment_of(command: str) -> str:
    names = ENVIRONMENT[command]
    if not names:
        return "environment: none (./.env is read all the same)"
    width = max(map(len, names))
    lines = [f"  {name:<{width}}  {VARIABLES[name]}" for name in names]
    return "environment (also from ./.env):\n" + "\n".join(lines)


def _show_default(action: argparse.Action) -> None:
    if action.help in (None, argparse.SUPPRESS) or "default" in str(action.help).lower():
        return
    if action.default in (None, False, [], argparse.SUPPRESS) or not action.option_strings:
        return
    action.help = f"{action.help} (default: {_shown(action.default)})"


def _shown(value: object) -> str:
    # argparse expands %-sequences in help: a default holding % must not be read as one.
    return str(value).replace("%", "%%")


def _join(first: str | None, second: str) -> str:
    return f"{first}\n\n{second}" if first else second
