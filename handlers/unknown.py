"""Interactions leadbot did not draw (an old card's button, a hand-made but signed request):
acknowledged and ignored, so Slack shows no error and Bolt logs no "unhandled request".
Registered last: every other listener is tried first."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

ANYTHING = re.compile(".*")


def register(app: App) -> None:
    app.action(ANYTHING)(ignore)
    app.view(ANYTHING)(ignore)
    app.view_closed(ANYTHING)(ignore)
    app.shortcut(ANYTHING)(ignore)


def ignore(ack: Ack) -> None:
    ack()
