"""Which outbox rows go first, and which channel each is paced on.

Priority (lower goes first): a DM card for a lead of the hottest tier, then any other DM card,
then DM nudges, then channel copies and alerts, then redraws of posted cards, then digests. The
lane is the channel a row is paced on (a DM's lane is its user until Slack names the channel):
Slack limits chat.postMessage per channel, so a backlog in one lane must never delay another.
"""

from __future__ import annotations

from bot.vocabulary import CopyKind

URGENT_DM_CARD = 0
DM_CARD = 1
DM_MESSAGE = 2
CHANNEL_POST = 3
REDRAW = 4
DIGEST = 5


def post_priority(copy_kind: str, *, urgent: bool) -> int:
    if copy_kind == CopyKind.DM:
        return URGENT_DM_CARD if urgent else DM_CARD
    return CHANNEL_POST


def message_priority(target: str, *, alert: bool, digest: bool) -> int:
    if digest:
        return DIGEST
    if alert:
        return CHANNEL_POST  # the admins hear of a failure soon, but after the cards
    return DM_MESSAGE if is_user(target) else CHANNEL_POST


def is_user(target: str | None) -> bool:
    return bool(target) and str(target)[:1] in ("U", "W")


# Each priority's name, for people: the `lane` label of the outbox metrics (bot/metrics.py).
PRIORITY_NAMES = {
    URGENT_DM_CARD: "urgent_dm_card",
    DM_CARD: "dm_card",
    DM_MESSAGE: "dm_message",
    CHANNEL_POST: "channel_post",
    REDRAW: "redraw",
    DIGEST: "digest",
}
