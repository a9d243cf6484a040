"""`leadbot simulate`: what if the policy were different? The last weeks of leads (leadbot's own
database, or a CRM export read by the audit's reader) replayed through the current and a
proposed leadbot.yml with the real engine (`LeadService`, `Escalator`) on a virtual clock, each
on a scratch SQLite file, then measured alike and set side by side.

`history` reads what happened (and states the behaviour model), `replay` drives the engine,
`measures` reads what a policy did from a database, `compare` sets two side by side and finds
the leads whose outcome changes, `render` shows it, `run` and `command` are the command.

May import: the lead services and the escalation sweep it replays (`bot.leads`,
`bot.escalation`, `bot.services`), `storage` (scratch files and the history), the audit's
reader (`bot.review.audit`); never Slack: nothing is sent.
"""
