"""The hub's own view of its event loop during the burst: JupyterHub's `event_loop_interval`
probe (a coroutine that sleeps 20 ms and records how late it woke), read from /hub/metrics
before and after (how many ticks), and its log lines for every stall of 50 ms or more (how
long each was — the histogram cannot say below 50 ms or exactly above it)."""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.loadrun.loopsampler import IDLE
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


def read_samples(path: Path) -> list[tuple[float, str]]:
    """`loopsampler`'s samples of the burst ([] when the hub wrote none)."""
    if not path.exists():
        return []
    return [(float(t), str(owner)) for t, owner in map(json.loads, path.read_text().splitlines())]


@dataclass
class OwnerTime:
    busy_s: float = 0.0  # the loop ran this owner's code
    in_long_s: float = 0.0  # ... inside stretches of >= LONG without returning to select
    longest_ms: float = 0.0  # its longest unbroken run of samples
    runs_ms: list[float] = field(default_factory=list)  # every unbroken run, ms


LONG = 0.05  # a stretch the lag probe (20 ms sleeps) sees as >= 50 ms late, roughly
_GAP_CAP = 0.05  # a sample stands for at most this long (the sampler starved for the GIL)


def attribute(samples: list[tuple[float, str]]) -> tuple[dict[str, OwnerTime], list[float]]:
    """Per owner: busy seconds, seconds inside long stretches, unbroken runs; and the length
    of every stretch (consecutive busy samples) in ms. A sample counts for the time to the
    next one, capped at 50 ms."""
    owners: dict[str, OwnerTime] = {}
    stretches: list[float] = []
    stretch: list[tuple[str, float]] = []
    run_owner, run_s = "", 0.0

    def close_stretch() -> None:
        length = sum(w for _, w in stretch)
        if stretch:
            stretches.append(length * 1000)
        if length >= LONG:
            for owner, weight in stretch:
                owners[owner].in_long_s += weight
        stretch.clear()

    def close_run() -> None:
        if run_owner and run_owner != IDLE:
            owners[run_owner].runs_ms.append(run_s * 1000)
            owners[run_owner].longest_ms = max(owners[run_owner].longest_ms, run_s * 1000)

    for (t, owner), nxt in itertools.pairwise(samples):
        weight = min(nxt[0] - t, _GAP_CAP)
        if owner != run_owner:
            close_run()
            run_owner, run_s = owner, 0.0
        run_s += weight
        if owner == IDLE:
            close_stretch()
            continue
        owners.setdefault(owner, OwnerTime()).busy_s += weight
        stretch.append((owner, weight))
    close_run()
    close_stretch()
    return owners, stretches
