"""Start work on many threads at the same instant (a barrier), for races worth losing in tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def all_at_once(count: int, work: Callable[[int], T]) -> list[T]:
    """`work(i)` for i in range(count), each on its own thread, released together; the results
    in index order."""
    gate = threading.Barrier(count)
    results: dict[int, T] = {}

    def run(index: int) -> None:
        gate.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[i] for i in range(count)]
