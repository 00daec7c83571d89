"""A validation's registry time budget that does not charge the hub's own stalls.

The budget (``c.Prevalidator.time_budget``, 2 s) bounds how long a spawn waits on a slow
registry. Measured in wall time alone, it also runs out while the hub's event loop is not
running at all: in a class's login burst JupyterHub's own sqlite commits stalled the loop for
seconds at a time (16.7 s of a 200-user burst, benchmarks/RESULTS.md "Load"), and a registry
answer that had arrived during a stall found its deadline gone when the loop came back, so a
typo'd image was let through unverified (failing open) instead of being refused inline.

So the budget is charged only for time the loop was free to run: a waiter wakes at least every
``SLICE`` seconds, and a wake-up later than ``SLICE + SLACK`` means the loop was stalled; the
lateness is credited back. Several waiters of one validation (a pod's images, gathered) share
one ``Budget`` and credit each stalled interval once. The credit is capped
(``max_credit``), so a loop that stays stalled still ends the wait, and the form never waits
longer than the budget plus the stalls the user sat through anyway (capped).
"""

from __future__ import annotations

import asyncio
from typing import TypeVar

T = TypeVar("T")

SLICE = 0.1  # seconds between wake-ups of a waiter (a timer per waiter per slice: cheap)
SLACK = 0.05  # a timer this late is a busy loop, not a stall; charged as normal time
MAX_CREDIT = 10.0  # seconds of stalls credited back at most, per validation


class Budget:
    """``seconds`` of registry time, from now, on the running loop."""

    def __init__(self, seconds: float, *, max_credit: float | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.seconds = seconds
        self.started = self.loop.time()
        self.max_credit = MAX_CREDIT if max_credit is None else max_credit
        self.credit = 0.0  # seconds of stalls credited back
        self._credited_until = self.started  # stalls before this instant are already counted

    def remaining(self) -> float:
        return self.started + self.seconds + self.credit - self.loop.time()

    def _saw_stall(self, since: float, now: float) -> None:
        """A wake-up due at ``since`` ran at ``now``: credit the part not yet credited."""
        begin = max(since + SLACK, self._credited_until)
        if now > begin:
            self.credit = min(self.max_credit, self.credit + (now - begin))
            self._credited_until = now

    async def wait(self, task: asyncio.Task[T]) -> T:
        """The task's result if it arrives within the budget; ``TimeoutError`` otherwise. The
        task keeps running on timeout (it is shared: the next spawn finds its answer cached)."""
        while True:
            if task.done():
                return task.result()
            left = self.remaining()
            if left <= 0:
                raise asyncio.TimeoutError
            step = min(SLICE, left)
            due = self.loop.time() + step
            # asyncio.wait neither cancels the task on timeout nor wraps it in another task.
            await asyncio.wait((task,), timeout=step)
            now = self.loop.time()
            if now > due + SLACK:
                self._saw_stall(due, now)


__all__ = ["MAX_CREDIT", "SLACK", "SLICE", "Budget"]
