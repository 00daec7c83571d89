"""Result caches with a lifetime per entry, and one request in flight per key.

cachetools' ``TLRUCache`` gives each entry its own expiry, which is what we need: a manifest
that exists is cached for minutes, one that does not for seconds (a user who just pushed must
get through quickly), a rate-limited answer for as long as ``Retry-After`` asks, a token
until its ``expires_in``.

``SingleFlight`` makes concurrent callers with the same key share one task, so 200 spawns of
the same uncached image send one manifest request. Callers wait on it with their own time
budget (budget.py): a caller that gives up does not cancel the shared work, which then still
fills the cache for the next spawn.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

from cachetools import TLRUCache

__all__ = ["ExpiringCache", "SingleFlight", "within"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    """A bounded map whose entries each expire after the ``ttl`` given when stored."""

    def __init__(self, maxsize: int, timer: Callable[[], float] = time.monotonic) -> None:
        self._cache: TLRUCache[K, tuple[float, V]] = TLRUCache(
            maxsize=maxsize, ttu=lambda _key, value, now: now + value[0], timer=timer
        )

    def get(self, key: K) -> V | None:
        entry = self._cache.get(key)
        return None if entry is None else entry[1]

    def put(self, key: K, value: V, ttl: float) -> None:
        if ttl > 0:
            self._cache[key] = (ttl, value)
        else:
            self._cache.pop(key, None)

    def clear(self) -> None:
        self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)


class SingleFlight(Generic[K, V]):
    """At most one running task per key; later callers get the running task."""

    def __init__(self) -> None:
        self._tasks: dict[K, asyncio.Task[V]] = {}
        self.started = 0
        self.joined = 0

    def run(self, key: K, factory: Callable[[], Awaitable[V]]) -> asyncio.Task[V]:
        task = self._tasks.get(key)
        if task is not None:
            self.joined += 1
            return task
        task = asyncio.ensure_future(factory())
        self._tasks[key] = task
        self.started += 1

        def forget(done: asyncio.Task[V], key: K = key) -> None:
            if self._tasks.get(key) is done:
                del self._tasks[key]
            if not done.cancelled():
                done.exception()  # retrieved here so an unawaited failure is not logged

        task.add_done_callback(forget)
        return task

    def in_flight(self) -> int:
        return len(self._tasks)

    async def cancel_all(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def within(coro: Coroutine[Any, Any, V], seconds: float) -> V:
    """``coro``'s result, or ``TimeoutError`` after ``seconds``. On Python 3.11+ this runs
    in the current task (``asyncio.timeout``); ``wait_for`` would wrap it in another task,
    one more event-loop round trip on every cold lookup."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await coro
    return await asyncio.wait_for(coro, seconds)
