"""The delivery worker's counters, at the serving process's `/metrics`.

Under `leadbot serve` the outbox is sent, the sweep run and the App Home drawn in the delivery
worker (bot/worker/), whose counters (Slack calls, escalation steps, SLA breaches) live in its
own registry. Prometheus scrapes one port, the server's. So the worker sends its totals over a
pipe of their own (worker -> server) every `REPORT_EVERY` seconds and once more as it stops, and
the server adds them to its own at each scrape (`WorkerTotals.merged`). Totals, not increments: a
lost or late report loses nothing but time. A worker that dies keeps the totals it last reported
(at most `REPORT_EVERY` of counts is lost to a kill), so a restart never makes a counter go back.

Not prometheus_client's multiprocess mode: it works through files named by an environment
variable set before the library is imported, so it is process-wide, while leadbot keeps one
registry per app (tests run many apps in one process), and its gauges need a mode per metric.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric

from bot.ops.ticks import Ticks

__all__ = ["REPORT_EVERY", "Reporter", "WorkerTotals"]

log = logging.getLogger(__name__)
REPORT_EVERY = 1.0
SUMMED = ("counter", "histogram")  # gauges are the server's own (read at scrape time)

Key = tuple[str, tuple[tuple[str, str], ...]]  # a sample's name and its labels, sorted
Samples = dict[Key, float]
Families = dict[str, tuple[str, str, Samples]]  # name -> (type, help, samples)


def totals_of(registry: CollectorRegistry) -> Families:
    """Every counter and histogram of `registry`, as plain (picklable) values."""
    found: Families = {}
    for metric in registry.collect():
        if metric.type not in SUMMED:
            continue
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for sample in metric.samples
            if not sample.name.endswith("_created")  # a moment, not a count: the server's own
        }
        found[metric.name] = (metric.type, metric.documentation, samples)
    return found


class Reporter:
    """The worker's side: sends `registry`'s totals and the scheduler's last beat."""

    def __init__(self, writer: Connection, registry: CollectorRegistry, ticks: Ticks) -> None:
        self.writer, self.registry, self.ticks = writer, registry, ticks
        self._sent_at = -float("inf")
        self._gone = False

    def send_due(self) -> None:
        if time.monotonic() - self._sent_at >= REPORT_EVERY:
            self.send()

    def send(self) -> None:
        if self._gone:
            return
        self._sent_at = time.monotonic()
        report = {"families": totals_of(self.registry), "ticked": self.ticks.last}
        try:
            self.writer.send(report)
        except (OSError, ValueError):  # the server is gone (the wake pipe's end tells the rest)
            self._gone = True


class WorkerTotals:
    """The server's side: the totals of the workers that have stopped, plus the latest report
    of the one running; and the worker's scheduler heartbeat (`ticks`), for `/readyz`."""

    def __init__(self) -> None:
        self.ticks = Ticks()
        self._lock = threading.Lock()
        self._stopped: Families = {}
        self._running: Families = {}

    def follow(self, reader: Connection) -> threading.Thread:
        """Read a worker's reports until its end of the pipe closes (it stopped or died)."""
        thread = threading.Thread(
            target=self._read, args=(reader,), name="leadbot-worker-reports", daemon=True
        )
        thread.start()
        return thread

    def _read(self, reader: Connection) -> None:
        try:
            while True:
                self._take(reader.recv())
        except (EOFError, OSError):
            pass
        except Exception:  # a report that cannot be read: keep what came before
            log.exception("unreadable report from the delivery worker")
        finally:
            reader.close()
            self._worker_stopped()

    def _take(self, report: dict[str, Any]) -> None:
        with self._lock:
            self._running = report["families"]
        if report.get("ticked") is not None:
            self.ticks.beat(float(report["ticked"]))

    def _worker_stopped(self) -> None:
        with self._lock:
            self._stopped = _sum(self._stopped, self._running)
            self._running = {}

    def totals(self) -> Families:
        with self._lock:
            return _sum(self._stopped, self._running)

    def merged(self, registry: CollectorRegistry) -> _Merged:
        """What `/metrics` shows: `registry` (the server's) with the worker's totals added."""
        return _Merged(registry, self)


class _Merged:
    """A collector for `generate_latest`: one family per name, the server's and the worker's
    samples of equal name and labels summed."""

    def __init__(self, registry: CollectorRegistry, worker: WorkerTotals) -> None:
        self.registry, self.worker = registry, worker

    def collect(self) -> Iterator[Metric]:
        extra = self.worker.totals()
        for metric in self.registry.collect():
            found = extra.pop(metric.name, None) if metric.type in SUMMED else None
            yield metric if found is None else _with(metric, found[2])
        for name, (kind, documentation, samples) in extra.items():
            yield _with(Metric(name, documentation, kind), samples)


def _with(metric: Metric, added: Samples) -> Metric:
    summed = Metric(metric.name, metric.documentation, metric.type, metric.unit)
    remaining = dict(added)
    for sample in metric.samples:
        key = (sample.name, tuple(sorted(sample.labels.items())))
        summed.add_sample(sample.name, sample.labels, sample.value + remaining.pop(key, 0.0))
    for (name, labels), value in remaining.items():
        summed.add_sample(name, dict(labels), value)
    return summed


def _sum(first: Families, second: Families) -> Families:
    result: Families = {
        name: (kind, doc, dict(samples)) for name, (kind, doc, samples) in first.items()
    }
    for name, (kind, doc, samples) in second.items():
        _, _, into = result.setdefault(name, (kind, doc, {}))
        for key, value in samples.items():
            into[key] = into.get(key, 0.0) + value
    return result
