"""Starting the delivery worker's process (bot/worker/__init__.py). Light at import: `leadbot
serve` forks the worker as soon as leadbot.yml is loaded, before it loads anything else."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bot.config.schema import Config
from bot.settings import Settings
from bot.worker.process import run_worker


@dataclass(frozen=True)
class Launched:
    """A worker process just started, and the server's two ends of its pipes."""

    process: Any  # multiprocessing's Process (its type depends on the start method)
    writer: Connection  # server -> worker: BEGIN, WAKE, end of file; never blocks
    reports: Connection  # worker -> server: its counters, for /metrics


def launch(
    settings: Settings,
    config: Config,
    setup_logging: Callable[[], None] | None,
    *,
    fork: bool,
) -> Launched:
    """Start a worker. `fork`: `leadbot serve`'s first, before the server starts a thread
    (forking a process with threads can copy a lock some thread holds), forked where the
    platform can: the child is up at once, with leadbot.yml read and checked, and loads the
    rest on the other core while the server loads its own (after a crash, that time is every
    pending card's). Otherwise spawned, a fresh interpreter: a restart, or a worker for a
    reloaded leadbot.yml, started while the server's threads run."""
    fork = fork and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    reader, writer = context.Pipe(duplex=False)
    reports, reporter = context.Pipe(duplex=False)
    process = context.Process(  # type: ignore[attr-defined]
        target=run_worker,
        args=(settings, config, reader, writer, setup_logging, reporter),
        name="leadbot-delivery",
    )
    process.start()
    reader.close()  # only the worker reads
    reporter.close()  # only the worker reports: its exit closes the pipe
    os.set_blocking(writer.fileno(), False)
    return Launched(process, writer, reports)
