"""Where leads come from besides `POST /api/leads`: `POST /api/sources/<name>` for each entry of
`sources:` in leadbot.yml. `signatures` checks the sender (HubSpot v3, Typeform, Webflow, a
bearer token), `shapes` reads each vendor's payload as records, `mapping` turns a record into
intake's lead, `intake` receives it or holds it, `quarantine` keeps what could not be a lead
(and tells the admins), `retry` and `command` are `leadbot quarantine`. A CRM's calls, emails
and meetings come the same way: `activity` (and `hubspot_activity`) reads them, and
`activity_intake` logs each as its rep's touch or says why not. Owners go back the other way:
`writeback` asks for a lead's owner in its CRM when it changes hands (`Deps.crm`), `writer`
writes them under leases with pacing and retries, through `owners` (`hubspot`,
`salesforce_api`), and gives up visibly.

May import: `bot.config`, `bot.leads` (parse and receive, as intake does), `bot.followup.crm_touch`
(a CRM's activity logged as the rep's own touch), `bot.delivery.alerts` (the admins' message),
`bot.delivery.outbox` (a card redrawn) and `bot.delivery.leases` (whose holders are alive),
`blocks.mrkdwn` (escaping), `storage`; never `handlers` nor Slack.
"""
