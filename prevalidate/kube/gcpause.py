"""The cyclic garbage collector held off while a list page is decoded and applied.

A page of 500 pods decodes into about 12,000 dicts and lists, alive until the page is applied.
CPython's collector runs every 700 container allocations and promotes what survives, so each
page pushed thousands of objects into the old generation and triggered full collections over
the whole view again and again: 4 of the 7 seconds of CPU a 150,000-pod list cost the hub. JSON
holds no reference cycles, so nothing is missed; the collector runs as usual between pages.
(kubesim has its own copy, testing/kubesim/gcpause.py: it shares no code with the hub.)
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block. Synchronous code only, never across an await
    (other tasks would run without it); the collector's state is restored after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
