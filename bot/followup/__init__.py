"""Follow-up after the claim: the first-contact SLA, cadences and their tasks, task cards,
outreach templates, the touches log.

May import: `bot.config`, `bot.hours`, `bot.leads`, `bot.delivery`, `bot.escalation` (the held
reminders and the words of the overdue chain), the shared kernel, `blocks` and `storage`.
"""
