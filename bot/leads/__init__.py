"""The lead lifecycle: receive, claim, pass, reassign, snooze, log contact; the records and the
event log they write; input validation; away reps; the read-only questions the surfaces ask.

May import: `bot.config`, `bot.routing`, `bot.escalation`, `bot.delivery` (to queue cards in the
same transaction), the shared kernel, `blocks.card` (the card's plain values) and `storage`.
"""
