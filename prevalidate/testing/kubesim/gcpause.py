"""The cyclic garbage collector held off while a big batch of acyclic JSON objects is built.

CPython's collector runs every 700 container allocations and, as objects survive, collects the
older generations too; decoding a 134 MB cluster file (millions of dicts and lists, all alive)
and seeding it made it traverse the growing heap again and again: 60% of a 150,000-pod load
(30 s -> 13 s without it). JSON data holds no reference cycles, so nothing is left for the
collector to find; it runs as usual once the batch is built.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block (synchronous code only: never across an await,
    where other tasks would run without it); the collector's state is restored after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def startup_heap_frozen() -> Iterator[None]:
    """For a process that loads a cluster at startup and then serves it (``prevalidate sim``):
    no collection while loading, then ``gc.freeze()`` moves everything loaded into the
    collector's permanent generation. Without it, the first collections after a 150,000-pod
    load traversed the millions of loaded objects (5 of the 28 s before it answered), and every
    later full collection would again. Not for a process that starts many simulators (tests):
    what it froze is never examined for cycles again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if was_enabled:
            gc.enable()
