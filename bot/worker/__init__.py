"""The background work of a leadbot process (`background.Background`): the outbox dispatcher,
the App Home refresher and the scheduler's ticks (the escalation sweep, and an outbox wake for
rows written elsewhere). APScheduler only ticks; the timers live in the database
(docs/architecture.md).

It runs inside the HTTP process (tests, the demo, `LEADBOT_DELIVERY_PROCESS=inline`) or, under
`leadbot serve`, in the delivery worker: a process of its own beside the one serving HTTP.

Why: one interpreter runs one thread at a time. Together, intake, Slack's clicks, drawing and
sending cards, recording every send and the sweep shared one core, and each slowed the others
(docs/architecture.md, "One process or two"). Apart, each has an interpreter to itself.

The wire between them is one pipe, server -> worker, read as a byte stream:
- `BEGIN`: the database is migrated; start the work.
- `WAKE`: a commit wrote outbox rows. Wakes read together are one wake; a full pipe already
  holds wakes the worker has not read, so a wake that does not fit loses nothing.
- end of file: the server is gone, stopped or killed (the kernel closes a dead process's end),
  so the worker finishes what is in flight and exits. A worker never outlives its server.
The server watches the worker (`delivery_worker.DeliveryWorker`): should it die, the server logs
an ERROR, answers not ready on `/healthz` and starts another (backing off while it keeps dying).
A dead worker's leases lapse like any dead process's (`bot/delivery/leases.py`), and the new one
looks up what may have gone. The worker's own side (its main) is `process`; `launch` starts it.

`launch` and `process` load nothing heavy at import (no SQLAlchemy, Slack client, scheduler or
web stack): `leadbot serve` forks the worker as soon as leadbot.yml is loaded, and each process
then loads what it needs on a core of its own (bot/serve/). This package imports nothing, so
that importing `launch` stays that light.

May import: the core (`bot.config`, `bot.delivery`, `bot.services`, `bot.settings`), `bot.ops`,
`bot.assemble` and `storage`; never `handlers` or the web stack.
"""
