"""The cyclic collector and leadbot's start: off while leadbot loads, the loaded heap frozen.

Importing leadbot and its libraries makes about 180,000 objects that live as long as the
process. Their allocations set off the collector's passes, each walking everything loaded so
far: about 0.1 s of a 0.8 s import (everything the worker loads, imported in a fresh
interpreter: 0.78–0.80 s, and 0.67–0.69 s with the collector off). After a crash that is
0.1 s before the first card. So the collector is off while `leadbot serve` and its delivery
worker load (`loading`), and what they loaded is frozen out of it (`freeze_the_heap`), so no
later full pass walks it again either.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loading() -> Iterator[None]:
    """The collector off for the block (imports, services built), as it was after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze_the_heap(*, collect: bool = True) -> None:
    """Everything alive now (modules, mappers, config) lives as long as the process: keep it out
    of the cyclic collector's full passes, which otherwise add tens of ms to a sweep. `collect`
    False: after `loading`, whose garbage is a couple of thousand objects, not worth the 0.08 s
    pass over the whole heap that finding them takes."""
    if collect:
        gc.collect()
    gc.freeze()
