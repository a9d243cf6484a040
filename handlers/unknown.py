"""Interactions leadbot did not draw (an old card's button, a hand-made but signed request):
acknowledged and ignored, so Slack shows no error and Bolt logs no "unhandled request"; an
event too. A slash command other than /leads (the app's command renamed in Slack's settings,
say) is answered with what leadbot does answer. Registered last: every other listener is tried
first."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from blocks.mrkdwn import literal_truncated

ANYTHING = re.compile(".*")


def register(app: App) -> None:
    app.action(ANYTHING)(ignore)
    app.view(ANYTHING)(ignore)
    app.view_closed(ANYTHING)(ignore)
    app.shortcut(ANYTHING)(ignore)
    app.command(ANYTHING)(unknown_command)
    # An event leadbot has no listener for (a workspace subscribed to more than the manifest
    # asks, say) would get Bolt's 404, and Slack retries, then disables, failing subscriptions.
    app.event(ANYTHING)(ignore)


def ignore(ack: Ack) -> None:
    ack()


def unknown_command(ack: Ack, command: dict[str, object]) -> None:
    name = literal_truncated(str(command.get("command") or ""), 40)
    ack(f"leadbot answers `/leads` (try `/leads help`), not {name or 'this command'}.")
