"""Where leads come from besides `POST /api/leads`: `POST /api/sources/<name>` for each entry of
`sources:` in leadbot.yml. `signatures` checks the sender (HubSpot v3, Typeform, Webflow, a
bearer token), `shapes` reads each vendor's payload as records, `mapping` turns a record into
intake's lead, `intake` receives it or holds it, `quarantine` keeps what could not be a lead
(and tells the admins), `retry` and `command` are `leadbot quarantine`.

May import: `bot.config`, `bot.leads` (parse and receive, as intake does), `bot.delivery.alerts`
(the admins' message), `blocks.mrkdwn` (escaping), `storage`; never `handlers` nor Slack.
"""
