"""`leadbot fake-slack`: the Slack Web API stand-in the tests and the demo use, on a port of its
own, so a configured `leadbot serve` can be tried without a workspace. It prints the variables
that point leadbot at it, then every message leadbot posts or updates, drawn as the terminal
demo draws them (Slack's own markup, buttons as [Claim])."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.fakeslack.server import FakeSlack, RecordedCall

SHOWN = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish")
SIGNING_SECRET = "fake-signing-secret"  # the fake signs nothing: any value leadbot is given works


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "fake-slack",
        help="run the local stand-in for Slack's Web API (try `leadbot serve` without Slack)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8900, help="port (default: %(default)s)")
    parser.set_defaults(func=run)


def run(
    args: argparse.Namespace, out: TextIO = sys.stdout, stop: threading.Event | None = None
) -> int:
    from bot.fakeslack.server import FakeSlack  # here: every `leadbot` command builds this parser

    stop = stop or threading.Event()
    with FakeSlack(args.host, args.port) as fake:
        _seed(fake)
        print(f"fake Slack listening on {fake.url}; in another terminal:", file=out)
        print(f"  export SLACK_API_URL={fake.url} SLACK_BOT_TOKEN=xoxb-fake "
              f"SLACK_SIGNING_SECRET={SIGNING_SECRET}", file=out)  # fmt: skip
        print("  leadbot serve   # then POST a lead to http://127.0.0.1:3000/api/leads", file=out)
        out.flush()
        shown = 0
        try:
            while not stop.wait(0.2):
                calls = [c for c in fake.calls() if c.method in SHOWN]
                for call in calls[shown:]:
                    print(_drawn(call), file=out)
                shown = len(calls)
                out.flush()
        except KeyboardInterrupt:
            pass
    return 0


def _seed(fake: FakeSlack) -> None:
    """A small sales team, as leadbot.example.yml names it, in a user group @sales: so
    `leadbot roster sync --usergroup @sales` has someone to find (Dee is new to leadbot.yml)."""
    team = [("U0ALICE", "Alice", "Europe/Berlin"), ("U0BO", "Bo", "America/New_York"),
            ("U0DEE", "Dee", "America/Los_Angeles")]  # fmt: skip
    for user_id, name, tz in team:
        fake.add_user(user_id, name.lower(), name, tz, email=f"{name.lower()}@acme.test")
    fake.add_user("U0MGR", "maya", "Maya", "Europe/Berlin", email="maya@acme.test")
    fake.add_usergroup("sales", [user_id for user_id, _, _ in team], "Sales")


def _drawn(call: RecordedCall) -> str:
    from bot.tools.text import render_message

    where = call.args.get("channel") or call.args.get("user_id") or "?"
    refused = "" if call.ok else f" (refused: {call.response.get('error')})"
    head = f"── {call.method} → {where}{refused}"
    body = render_message(call.args) if call.method != "views.publish" else "(App Home redrawn)"
    return f"{head}\n{body}\n"
