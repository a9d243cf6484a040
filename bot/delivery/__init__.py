"""Getting words into Slack: the durable outbox, the dispatcher (plan -> send -> record), the card
composer that turns a stored lead into the builder's plain values, and the App Home refresh.

May import: the shared kernel, `bot.config`, `bot.review`, `bot.leads.queries`, `blocks` and
`storage`. Lead transactions import `outbox` to queue their cards.
"""
