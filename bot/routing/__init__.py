"""Who gets a lead: rules, pools, strategies and the pure engine (`decide` -> one `Decision`),
the matcher shared with tiers, and the state the engine reads (pointers, caps, away reps).

May import: `bot.config`, the shared kernel and `storage` (only `state` and `router` touch the
database: the engine, the matcher and the pools are pure).
"""
