"""`leadbot serve`: load everything, fail in one line when something is missing, run.

The start, in order: the settings and leadbot.yml checked; the delivery worker forked; then
each process loads what it runs on, the worker its services (bot/worker/process.py) and this
one the schema check, the token check and the web app (`running`), on two cores at once.
Forked any later, the worker would wait for this process's imports first: after a crash,
every pending card waits for the worker's start.

May import, at the top: the settings, leadbot.yml's loading (`bot.config`), `bot.ops.heap` and
`bot.worker.launch`, and nothing that loads SQLAlchemy, a Slack client or the web stack
(tests/test_startup.py checks the modules loaded at the fork). `running` may import the rest
of the app (`bot.app`, `bot.worker`, `storage`), never `handlers` directly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from bot.config.errors import ConfigError
from bot.config.load import load_config
from bot.config.reload import ConfigWatch
from bot.ops.heap import loading
from bot.settings import Settings
from bot.worker.launch import launch


def serve(
    settings: Settings,
    host: str,
    port: int,
    *,
    socket_mode: bool,
    setup_logging: Callable[[], None] | None = None,
) -> int:
    """`setup_logging`: how `leadbot` configured logging, for a delivery worker spawned anew."""
    settings.require_for_serve(socket_mode)
    try:
        # The file's bytes as loaded: a save during the start is a change, seen once running.
        watch = ConfigWatch(settings.config_path)
        config = load_config(settings.config_path)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    launched = None
    if settings.delivery_process == "separate":
        # Before any thread starts here, and before anything else loads (the docstring above).
        launched = launch(settings, config, setup_logging, fork=True)
    with loading():
        from bot.serve.running import run_server
    return run_server(
        settings, config, watch, launched, host, port,
        socket_mode=socket_mode, setup_logging=setup_logging,
    )  # fmt: skip
