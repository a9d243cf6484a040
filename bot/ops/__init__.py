"""What operators watch: the log's level and format (`logs`), the scheduler's heartbeat
(`ticks`), and the delivery worker's counters carried to the serving process's `/metrics`
(`worker_reports`). The metrics themselves are `bot.metrics`; `/readyz` is `bot.http.health`.

May import the shared kernel, `storage` and prometheus_client; never `handlers` or `bot.tools`.
"""
