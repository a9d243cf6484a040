"""A daemon thread that runs one step every `interval` seconds until stopped: the shape the
lease heartbeat, the App Home refresher and the SQLite checkpointer share. The first step runs
one interval after start; `stop` wakes the thread at once and waits for its step to end. Each
step keeps its own errors (a step that raises ends the thread); `finish` runs on the thread as
it ends, for what must be closed where it was opened (a sqlite3 connection). `stopping`: the
owner's own event, when its step must notice a stop midway (set by `stop`, cleared by
`start`)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Periodic:
    def __init__(
        self,
        name: str,
        interval: float,
        step: Callable[[], None],
        finish: Callable[[], None] | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        self.name, self.interval, self.step, self.finish = name, interval, step, finish
        self._stop = stopping or threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self.step()
        finally:
            if self.finish is not None:
                self.finish()
