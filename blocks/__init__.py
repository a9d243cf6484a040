"""Block Kit builders: pure functions of plain values returning `slack_sdk.models` blocks, with
buttons chosen by state; the action ids (`ids`, a wire contract); safe mrkdwn (`mrkdwn`).

May import: `bot.vocabulary`, `bot.durations`, `bot.review.report` and slack_sdk. Never
`storage` or SQLAlchemy: builders receive values, they do not read the database.
"""
