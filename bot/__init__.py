"""leadbot's core: the lead lifecycle and everything that drives it (docs/architecture.md).

Top level: the app factory and entry points (`app`, `cli`, `serve`, `http`), and the small
shared kernel every subpackage may use (`clock`, `hours`, `durations`, `settings`, `metrics`,
`scheduler`, `services`, `vocabulary`). The domains live in subpackages, each stating its job.

May import: `blocks`, `storage`. Only `bot.app` (the composition root) imports `handlers`; only
the entry points (`bot.cli`) import `bot.tools`; nothing in the core imports `bot.fakeslack`.
"""
