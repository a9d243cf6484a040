"""Measuring follow-up: speed to lead as a pure report (`report`) and the query behind it
(`stats`); the weekly digest (`digest`, pure values in `digest_report`, sent on schedule by
`digest_send`); the sales floor's dashboard (`dashboard`); the audit of CRM exports (`audit/`);
what-if replays of a proposed policy (`simulate/`, which also imports the services it replays).

May import: `bot.config`, the shared kernel and `storage` (`report` is pure: `blocks` draw it);
`digest_send` also `blocks` (to draw the digest) and `bot.delivery.outbox` (to queue it), as the
morning agenda does.
"""
