"""Measuring follow-up: speed to lead as a pure report (`report`) and the query behind it
(`stats`). The audit of CRM exports, the digest and the dashboard join here.

May import: `bot.config`, the shared kernel and `storage` (`report` is pure: `blocks` draw it).
"""
