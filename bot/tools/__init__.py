"""For people at a terminal, not for the running bot: `leadbot demo`, `leadbot route` (the dry
run) and the plain-text rendering of Slack messages they print.

May import anything. Imported only by `bot.cli`; nothing in the core imports it.
"""
