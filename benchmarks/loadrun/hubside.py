"""The hub's own view of its event loop during the burst: JupyterHub's `event_loop_interval`
probe (a coroutine that sleeps 20 ms and records how late it woke), read from /hub/metrics
before and after (how many ticks), and its log lines for every stall of 50 ms or more (how
long each was — the histogram cannot say below 50 ms or exactly above it)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import httpx

from prevalidate.testing.hubprocess import RunningHub

_METRIC = re.compile(r"^jupyterhub_event_loop_interval_seconds_(count|sum) ([0-9.e+-]+)$", re.M)
_STALL = re.compile(r"Event loop was unresponsive for at least ([0-9.]+)s")


@dataclass
class LoopLag:
    ticks: int  # probe wake-ups during the burst
    stalls_ms: list[float]  # each late wake-up of 50 ms or more, ms late
    mean_ms: float  # the metric's sum/count (a tick under 40 ms counts as 20 ms)

    def quantile_ms(self, q: float) -> float | None:
        """The q-quantile of lateness, or None when it is under 50 ms (such ticks are not logged)."""
        rank_from_top = self.ticks - math.ceil(q * self.ticks) + 1
        if self.ticks == 0 or rank_from_top > len(self.stalls_ms):
            return None
        return sorted(self.stalls_ms, reverse=True)[rank_from_top - 1]

    @property
    def max_ms(self) -> float:
        return max(self.stalls_ms, default=0.0)


async def metrics_snapshot(hub: RunningHub) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=60) as http:
        text = (await http.get(hub.url + "/hub/metrics")).text
    return {kind: float(value) for kind, value in _METRIC.findall(text)}


def hub_loop_lag(before: dict[str, float], after: dict[str, float], log: str) -> LoopLag:
    ticks = int(after.get("count", 0) - before.get("count", 0))
    total = after.get("sum", 0.0) - before.get("sum", 0.0)
    stalls = [float(s) * 1000 for s in _STALL.findall(log)]
    return LoopLag(ticks, stalls, total / ticks * 1000 if ticks else 0.0)
