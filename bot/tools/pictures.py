"""`make pictures` (`python -m bot.tools.pictures docs/images`): the README's pictures of what
reps and managers see, drawn from the blocks leadbot really sends.

`leadbot demo` runs on a pinned virtual clock against its fake Slack; then the manager and a rep
open their App Home. The messages and views the fake Slack recorded become HTML that looks like
Slack (bot/tools/blockkit_page.py), which headless Chromium screenshots (bot/tools/screenshot.py).
So the pictures change when the cards do: regenerate them with `make pictures`.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from bot.app import LeadbotApp
from bot.config.schema import Config
from bot.fakeslack.requests import event_callback, post_signed
from bot.fakeslack.server import FakeSlack, RecordedCall
from bot.tools import screenshot
from bot.tools.blockkit_mrkdwn import Reader
from bot.tools.blockkit_page import Message, conversation_page, home_page
from bot.tools.demo import SIGNING_SECRET, run_demo

# A Wednesday, 10:00 in Berlin (Alice's card), 17:30 in Singapore (Chen's nudges) and 08:00 in
# New York four hours on (Maya's alerts and stats): the demo's story at working hours. Pinned,
# so that `make pictures` redraws the same pictures until the blocks change.
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WIDTH = 720
MANAGER, REP = "U0MAYA", "U0ALICE"
PICTURES = (
    "lead-card.png",
    "lead-card-claimed.png",
    "nudges.png",
    "manager-alert.png",
    "stats.png",
    "app-home-rep.png",
    "app-home-manager.png",
)


@dataclass(frozen=True)
class Recording:
    """What the demo's fake Slack recorded, and the demo's setup to read it with."""

    fake: FakeSlack
    config: Config
    end: datetime  # the virtual clock when the App Homes were opened

    def dm(self, user_id: str) -> str:
        """The id of the bot's DM with `user_id` (the demo opened it with conversations.open)."""
        opened = self.fake.calls("conversations.open")
        return next(c.response["channel"]["id"] for c in opened if c.args["users"] == user_id)

    def posts(self, channel: str, block_id: str) -> list[RecordedCall]:
        """Messages posted to `channel` whose blocks include one whose id starts `block_id`."""
        return [
            call
            for call in self.fake.calls("chat.postMessage")
            if call.ok
            and call.response["channel"] == channel
            and any(str(b.get("block_id", "")).startswith(block_id) for b in _blocks(call.args))
        ]

    def reader(self, user_id: str, now: datetime) -> Reader:
        people = [*self.config.reps, *self.config.managers]
        names = {p.id: p.name or p.id for p in people}
        names.update({channel: name for name, channel in self.config.channels if channel})
        return Reader(names=names, tz=self.config.tz_for(user_id), now=now)


def _blocks(args: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(args.get("blocks") or [])


def record(start: datetime = START) -> Recording:
    """Run the demo on a virtual clock from `start`, then open the manager's and a rep's App
    Home; the fake Slack keeps everything it was sent after it stops."""
    seen: dict[str, Any] = {}

    def open_homes(app: LeadbotApp, fake: FakeSlack, base: str) -> None:
        for user_id in (MANAGER, REP):
            event = event_callback({"type": "app_home_opened", "user": user_id, "tab": "home"})
            post_signed(f"{base}/slack/events", SIGNING_SECRET, event)
            fake.wait_for("views.publish", where=lambda c, u=user_id: c.args["user_id"] == u)
        app.services.dispatcher.wait_until_idle()
        seen.update(fake=fake, config=app.services.config, end=app.services.clock.now())

    run_demo(console=Console(file=io.StringIO()), start=start, then=open_homes)
    return Recording(seen["fake"], seen["config"], seen["end"])


def clock_label(when: datetime, tz: ZoneInfo) -> str:
    """The time Slack shows beside a name: "10:00 AM"."""
    local = when.astimezone(tz)
    return f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def _conversation(
    rec: Recording, user_id: str, calls: Sequence[tuple[Sequence[Any], datetime]], **kw: Any
) -> str:
    """A page of the bot's messages to `user_id`, each with its blocks and virtual time."""
    tz = rec.config.tz_for(user_id)
    messages = [Message(blocks, time=clock_label(at, tz), **kw) for blocks, at in calls]
    return conversation_page(messages, rec.reader(user_id, calls[-1][1]), where="leadbot")


def pages(rec: Recording, start: datetime = START) -> dict[str, str]:
    """Each picture's file name and HTML page, from what the demo's fake Slack recorded. The
    times are the demo's story: cards at the start, nudges after 30 minutes and 2 hours, the
    manager told and the stats asked for after 4 hours."""
    rep_dm, later = rec.dm(REP), start + timedelta(hours=4)
    card = rec.posts(rep_dm, "lead_card:1")[0]
    claimed = rec.fake.message(rep_dm, card.response["ts"]) or {}
    nudged = rec.posts(rec.dm("U0CHEN"), "lead_nudge:")
    alerts = rec.posts(rec.dm(MANAGER), "lead_nudge:")
    stats = next(c for c in rec.fake.calls("response_url") if c.path.endswith("/demo-stats"))
    nudge_times = (start + timedelta(minutes=30), start + timedelta(hours=2))
    drawn = {
        "lead-card.png": _conversation(rec, REP, [(_blocks(card.args), start)]),
        "lead-card-claimed.png": _conversation(rec, REP, [(_blocks(claimed), start)]),
        "nudges.png": _conversation(
            rec,
            "U0CHEN",
            [(_blocks(c.args), at) for c, at in zip(nudged, nudge_times, strict=True)],
        ),
        "manager-alert.png": _conversation(
            rec, MANAGER, [(_blocks(c.args), later) for c in alerts]
        ),
        "stats.png": _conversation(rec, MANAGER, [(_blocks(stats.args), later)], ephemeral=True),
    }
    for name, user in (("app-home-rep.png", REP), ("app-home-manager.png", MANAGER)):
        drawn[name] = home_page(rec.fake.home(user) or {}, rec.reader(user, rec.end))
    return {name: drawn[name] for name in PICTURES}


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Write the pictures into the folder named by the one argument (default docs/images)."""
    args = list(sys.argv[1:] if argv is None else argv)
    folder = Path(args[0] if args else "docs/images")
    reason = screenshot.unavailable()
    if reason:
        out(f"cannot draw pictures: {reason}")
        return 1
    for path in screenshot.screenshots(pages(record()), folder, WIDTH):
        out(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
