"""The delivery worker's counters at the server's /metrics (bot/ops/worker_reports.py): summed
with the server's own, sample by sample, over a real pipe; a stopped worker's last totals kept,
so a restart never makes a counter go back. (Through `leadbot serve`: tests/test_worker.py.)"""

from __future__ import annotations

import multiprocessing
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.ops.ticks import Ticks
from bot.ops.worker_reports import Reporter, WorkerTotals


def registry() -> tuple[CollectorRegistry, Counter, Histogram]:
    r = CollectorRegistry()
    calls = Counter("x_calls_total", "calls", ["method"], registry=r)
    waits = Histogram("x_wait_seconds", "waits", buckets=(1, 10), registry=r)
    Gauge("x_depth", "a gauge: the server's own", registry=r).set(3)
    return r, calls, waits


def values(collector: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(collector).decode()  # type: ignore[arg-type]
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.name.endswith("_created")
    }


def wait_for(condition: object) -> None:
    deadline = time.monotonic() + 10
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_the_workers_totals_are_added_to_the_servers_and_kept_when_it_stops() -> None:
    server, server_calls, server_waits = registry()
    server_calls.labels("chat.update").inc(2)
    server_waits.observe(5)
    totals = WorkerTotals()
    for _life in range(2):  # a worker, then its replacement
        reader, writer = multiprocessing.Pipe(duplex=False)
        thread = totals.follow(reader)
        worker, worker_calls, worker_waits = registry()
        worker_calls.labels("chat.postMessage").inc(3)
        worker_calls.labels("chat.update").inc()
        worker_waits.observe(0.5)
        ticks = Ticks()
        ticks.beat(1234.0)
        Reporter(writer, worker, ticks).send()
        writer.close()  # the worker exits
        thread.join(5)
    merged = values(totals.merged(server))
    assert merged[("x_calls_total", (("method", "chat.postMessage"),))] == 6
    assert merged[("x_calls_total", (("method", "chat.update"),))] == 4
    assert merged[("x_wait_seconds_count", ())] == 3
    assert merged[("x_wait_seconds_bucket", (("le", "1.0"),))] == 2
    assert merged[("x_wait_seconds_sum", ())] == 6
    assert merged[("x_depth", ())] == 3  # a gauge is never summed
    assert totals.ticks.last == 1234.0


def test_a_running_workers_reports_replace_each_other() -> None:
    server, _, _ = registry()
    totals = WorkerTotals()
    reader, writer = multiprocessing.Pipe(duplex=False)
    totals.follow(reader)
    worker, calls, _ = registry()
    reporter = Reporter(writer, worker, Ticks())
    key = ("x_calls_total", (("method", "views.publish"),))
    for count in (1, 2, 3):
        calls.labels("views.publish").inc()
        reporter.send()
        wait_for(lambda count=count: values(totals.merged(server)).get(key) == count)
    writer.close()


def test_a_report_to_a_server_that_is_gone_is_dropped_quietly() -> None:
    reader, writer = multiprocessing.Pipe(duplex=False)
    reader.close()
    worker, _, _ = registry()
    reporter = Reporter(writer, worker, Ticks())
    reporter.send()
    reporter.send_due()  # no exception: the wake pipe's end of file stops the worker
