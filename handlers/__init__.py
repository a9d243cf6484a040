"""The Slack listeners, one module per surface, each with `register(app)`: ack, decode, one
service call. `args` parses `/leads` words; `context` hands listeners the services.

May import: `blocks`, the core's services through `bot.services.Services`, and their value
types. Never `storage`: reading and writing leads is the services' job.
"""
