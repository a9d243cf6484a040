"""`leadbot.yml`: the schema (pydantic models), loading, and error messages that name the exact
key (`reps[2].timezone: unknown time zone 'Europe/Berln'`).

May import: the shared kernel (`bot.durations`, `bot.vocabulary`), `bot.escalation.templates`
(to compile templates while validating) and pydantic, YAML, Jinja2. Never the database.
"""
