"""What happens while nobody claims a lead: SLA tiers, the chain snapshotted onto each lead, the
guarded sweep, each action, and the message templates (Jinja2 in a sandbox).

May import: `bot.config`, `bot.routing`, `bot.delivery`, `bot.leads.events`, the shared kernel,
`blocks.mrkdwn` and `storage`.
"""
