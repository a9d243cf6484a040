"""`leadbot audit`: the baseline before leadbot, read from a CRM's own export. `columns` maps a
vendor's header onto the fields the audit needs, `dates` detects and parses the export's date
format, `reader` streams rows (bad ones are counted and listed, never fatal), `business` counts
open time fast enough for a million rows, `tally` folds rows into an `AuditReport`, and
`render`, `html` and `export` show it.

May import: `bot.config`, `bot.hours`, `bot.durations` and `bot.review.report` (the shared
measures); never `storage` (the export is the data) nor Slack.
"""
