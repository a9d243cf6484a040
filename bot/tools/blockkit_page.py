"""Whole HTML pages around Block Kit (bot/tools/blockkit_html.py): a conversation of the bot's
messages or an App Home tab, styled after Slack's client, for `make pictures` to screenshot.

Pure, and offline: no script, no web font, no image is fetched; the fonts are the system's
(Lato, Slack's own typeface, when installed: `apt-get install fonts-lato`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.tools.blockkit_html import blocks_html
from bot.tools.blockkit_mrkdwn import Reader, escape, mrkdwn_html

# Slack's own measures: 15 px text in Lato, 36 px rounded avatars, 28 px buttons with a 1 px
# border, its green for primary and red for danger, #1264a3 for links and mentions.
CSS = """
* { box-sizing: border-box; }
html, body { margin: 0; background: #fff; }
body { font: 15px/1.46668 "Slack-Lato", Lato, "Helvetica Neue", Helvetica, Arial, sans-serif;
  color: #1d1c1d; -webkit-font-smoothing: antialiased; width: fit-content; min-width: 100%; }
.page { padding-bottom: 12px; }
.bar { display: flex; align-items: center; gap: 8px; padding: 10px 20px 0;
  border-bottom: 1px solid #e2e2e2; font-weight: 900; font-size: 18px; }
.bar .avatar { width: 24px; height: 24px; font-size: 13px; border-radius: 5px; }
.bar .title { padding-bottom: 10px; display: flex; align-items: center; gap: 8px; }
.tabs { display: flex; gap: 20px; margin-left: 16px; font-size: 14px; font-weight: 400;
  color: #616061; align-self: flex-end; }
.tabs span { padding-bottom: 9px; }
.tabs .on { color: #1d1c1d; font-weight: 700; border-bottom: 2px solid #1264a3; }
.channel-hash { color: #616061; font-weight: 400; }
.message { display: flex; gap: 8px; padding: 8px 20px; }
.message.continued { padding-top: 0; }
.gutter { flex: none; width: 36px; }
.avatar { flex: none; width: 36px; height: 36px; border-radius: 6px; background: #2eb67d;
  color: #fff; font-weight: 900; font-size: 18px; display: flex; align-items: center;
  justify-content: center; }
.body { flex: 1; min-width: 0; }
.meta { line-height: 1.3; margin-bottom: 2px; }
.name { font-weight: 900; }
.app { font-size: 10px; font-weight: 700; color: rgba(29,28,29,.7);
  background: rgba(29,28,29,.13); border-radius: 2px; padding: 1px 3px; margin-left: 4px;
  vertical-align: 2px; }
.time { font-size: 12px; color: #616061; margin-left: 6px; }
.only-you { font-size: 13px; color: #616061; margin-bottom: 2px; }
.home { padding: 16px 20px; max-width: 100%; }
.header { font-size: 18px; font-weight: 900; line-height: 1.33; margin: 6px 0 4px; }
.section { display: flex; gap: 12px; margin: 4px 0; }
.main { flex: 1; min-width: 0; }
.p, .quote { white-space: pre-wrap; overflow-wrap: anywhere; }
.quote { border-left: 4px solid #dddddd; padding-left: 12px; margin: 2px 0; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin-top: 8px;
  max-width: 600px; }
.context { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; font-size: 13px;
  color: #616061; margin: 4px 0; line-height: 1.4; }
.context .p { white-space: pre-wrap; }
.divider { border: 0; border-top: 1px solid #dddddd; margin: 12px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 4px; }
.button, .select { display: inline-flex; align-items: center; height: 28px; padding: 0 12px;
  border: 1px solid rgba(29,28,29,.3); border-radius: 4px; background: #fff; font-size: 13px;
  font-weight: 700; white-space: nowrap; padding-top: 2px; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.button.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
.button.overflow { padding: 0 8px; font-size: 16px; }
.select { font-weight: 400; gap: 10px; min-width: 130px; justify-content: space-between; }
.select::after { content: ""; width: 6px; height: 6px; border: solid #1d1c1d;
  border-width: 0 1.5px 1.5px 0; transform: rotate(45deg) translateY(-2px); }
.accessory { flex: none; }
.link { color: #1264a3; text-decoration: none; }
.mention { color: #1264a3; background: rgba(29,155,209,.1); border-radius: 3px; padding: 0 2px; }
.broadcast { color: #1d1c1d; background: rgba(242,199,68,.4); }
code, .pre { font-family: Monaco, Menlo, Consolas, "DejaVu Sans Mono", monospace;
  font-size: 12px; }
code { color: #c01343; background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13);
  border-radius: 3px; padding: 1px 3px; }
.pre { margin: 4px 0; padding: 8px; line-height: 1.5; background: rgba(29,28,29,.04);
  border: 1px solid rgba(29,28,29,.13); border-radius: 4px; white-space: pre-wrap; }
.image-box, .image-el { display: inline-block; background: #f4f4f4; border-radius: 4px;
  color: #616061; }
.image-box { padding: 40px 16px; width: 360px; text-align: center; }
.image-el { width: 20px; height: 20px; }
.input-block { margin: 8px 0 12px; }
.label { font-weight: 700; margin-bottom: 4px; }
.optional, .hint { color: #616061; font-weight: 400; font-size: 13px; }
.input { display: block; min-height: 36px; padding: 7px 10px; border-radius: 4px;
  border: 1px solid rgba(29,28,29,.3); color: #868686; }
.input.multiline { min-height: 80px; }
.choice { display: flex; gap: 8px; align-items: center; }
.radio, .checkbox { width: 16px; height: 16px; border: 1px solid rgba(29,28,29,.5); }
.radio { border-radius: 50%; }
.radio.on { border: 5px solid #1264a3; }
.unsupported { color: #e01e5a; font-style: italic; }
"""


@dataclass(frozen=True)
class Message:
    """One message as a person sees it: its blocks (or its text, when it has none), the time
    beside the bot's name, and whether only they see it (an ephemeral answer)."""

    blocks: Sequence[Mapping[str, Any]]
    text: str = ""
    time: str = ""
    ephemeral: bool = False


@dataclass(frozen=True)
class Bot:
    name: str = "leadbot"
    initial: str = "L"


def _avatar(bot: Bot) -> str:
    return f'<div class="avatar">{escape(bot.initial)}</div>'


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f'<body><div class="page">{body}</div></body></html>\n'
    )


def _bar(bot: Bot, where: str, tab: str | None) -> str:
    """The conversation's top bar: a channel's name, or the app with its tabs."""
    if where.startswith("#"):
        title = f'<span class="channel-hash">#</span>{escape(where[1:])}'
        return f'<div class="bar"><div class="title">{title}</div></div>'
    tabs = "".join(
        f'<span class="{"on" if name == tab else ""}">{name}</span>'
        for name in ("Home", "Messages", "About")
    )
    title = f'<div class="title">{_avatar(bot)}{escape(where)}</div>'
    return f'<div class="bar">{title}<div class="tabs">{tabs}</div></div>'


def message_html(message: Message, reader: Reader, bot: Bot, *, continued: bool = False) -> str:
    """The avatar, the name line (APP badge, time) and the message's blocks; `continued`: the
    same sender's next message in the same minute, which Slack draws without them."""
    only = '<div class="only-you">👁 Only visible to you</div>' if message.ephemeral else ""
    time = f'<span class="time">{escape(message.time)}</span>' if message.time else ""
    meta = f'<div class="meta"><span class="name">{escape(bot.name)}</span>'
    meta += f'<span class="app">APP</span>{time}</div>'
    if continued:
        meta, avatar = "", '<div class="gutter"></div>'
    else:
        avatar = _avatar(bot)
    content = (
        blocks_html(message.blocks, reader) if message.blocks else mrkdwn_html(message.text, reader)
    )
    body = f'<div class="body">{only}{meta}{content}</div>'
    return f'<div class="message{" continued" if continued else ""}">{avatar}{body}</div>'


def conversation_page(
    messages: Iterable[Message], reader: Reader, *, where: str, bot: Bot | None = None
) -> str:
    """A whole page: `where` ("#leads", or the app's name for its DM) and the messages."""
    bot = bot or Bot()
    tab = None if where.startswith("#") else "Messages"
    body, previous = _bar(bot, where, tab), None
    for message in messages:
        continued = previous is not None and _grouped(previous, message)
        body += message_html(message, reader, bot, continued=continued)
        previous = message
    return _document(where, body)


def _grouped(previous: Message, message: Message) -> bool:
    return (
        bool(message.time)
        and message.time == previous.time
        and not (message.ephemeral or previous.ephemeral)
    )


def home_page(view: Mapping[str, Any], reader: Reader, *, bot: Bot | None = None) -> str:
    """A whole page: the app's App Home tab showing a published `home` view."""
    bot = bot or Bot()
    content = f'<div class="home">{blocks_html(view.get("blocks", []), reader)}</div>'
    return _document(f"{bot.name} · Home", _bar(bot, bot.name, "Home") + content)
