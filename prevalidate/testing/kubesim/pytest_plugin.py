"""pytest fixtures for tests that need a Kubernetes API: `pytest_plugins = [this module]`.

    pytest_plugins = ["prevalidate.testing.kubesim.pytest_plugin"]

    async def test_x(start_kubesim):
        sim = await start_kubesim("tests/fixtures/cluster.yaml")   # path, or YAML text
        ...
        await until(sim, lambda: sim.store.peek("pods", "ns", "p") is None)

`until` waits for a condition by re-checking it on every write to the store, so tests need no
polling sleeps. Every simulator started through `start_kubesim` is stopped at teardown.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from .cluster import parse_cluster
from .server import KubeSim
from .store import Change

StartKubeSim = Callable[..., Awaitable[KubeSim]]


async def until(sim: KubeSim, condition: Callable[[], object], timeout: float = 5.0) -> object:
    """Return `condition()` once it is truthy, re-checking after every store write."""
    changed = asyncio.Event()

    def listener(_change: Change) -> None:
        changed.set()

    sim.store.listeners.append(listener)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while True:
            result = condition()
            if result:
                return result
            changed.clear()
            # asyncio.timeout() is 3.11+; the package supports 3.10
            await asyncio.wait_for(changed.wait(), max(0.0, deadline - loop.time()))
    finally:
        sim.store.listeners.remove(listener)


@pytest.fixture
async def start_kubesim() -> AsyncIterator[StartKubeSim]:
    """Start kubesim from a cluster file path or YAML text (plus optional extra YAML)."""
    sims: list[KubeSim] = []

    async def start(cluster: Path | str, extra: str = "") -> KubeSim:
        text = cluster.read_text() if isinstance(cluster, Path) else cluster
        sim = KubeSim(parse_cluster(text + ("\n---\n" + extra if extra else "")))
        sims.append(sim)
        return await sim.start()

    yield start
    for sim in sims:
        await sim.stop()
