"""The Slack listeners, one module per surface, each with `register(app)`: ack, decode, one
service call. `args` parses `/leads` words; `context` hands listeners the services.

May import: `blocks`, the core's services through `bot.services.Services`, and their value
types. Never `storage`: reading and writing leads is the services' job.
"""

from handlers import (
    app_home,
    commands,
    errors,
    lead_actions,
    lead_lists,
    lead_menu,
    new_lead,
    reassign,
    snooze_modal,
    tasks,
    unknown,
)

# In the order `bot.app` registers them.
LISTENER_MODULES = (
    lead_actions,
    lead_lists,
    snooze_modal,
    tasks,
    reassign,
    lead_menu,
    new_lead,
    app_home,
    commands,
    unknown,  # last: acknowledges what no other listener took
    errors,
)
