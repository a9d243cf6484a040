"""Where a test worker that dies says why. xdist reports only "worker 'gw1' crashed"; the
traceback faulthandler writes on a fatal signal goes to the worker's stderr, somewhere in the
middle of a long log. Each worker writes it to a file of its own instead, and the run's summary
(the end of the log, the part CI shows) prints every one that is not empty."""

from __future__ import annotations

import contextlib
import faulthandler
import os
import tempfile
from pathlib import Path
from typing import IO

import pytest

_DIR = "LEADBOT_TEST_CRASH_DIR"
_held: list[IO[str]] = []  # faulthandler writes to the descriptor: it must stay open


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") is None:  # the controller: workers inherit it
        os.environ.setdefault(_DIR, tempfile.mkdtemp(prefix="leadbot-crashes-"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """After pytest's own faulthandler plugin (configure time), which writes to stderr."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return
    dump = (Path(os.environ.get(_DIR) or tempfile.gettempdir()) / f"{worker}.txt").open("a")
    _held.append(dump)
    faulthandler.enable(file=dump, all_threads=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    where = os.environ.get(_DIR)
    if os.environ.get("PYTEST_XDIST_WORKER") or not where:
        return
    for dump in sorted(Path(where).glob("*.txt")):
        text = dump.read_text(errors="replace").strip()
        if text:
            terminalreporter.write_sep("=", f"{dump.stem} died: its last words")
            terminalreporter.write_line(text[-20_000:])
        dump.unlink()
    with contextlib.suppress(OSError):  # not ours to remove when set from outside
        Path(where).rmdir()
