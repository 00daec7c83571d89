"""Fixtures: kubesim (the example cluster) and a LiveCluster watching it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client

from prevalidate.kube.live import LiveCluster
from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim, start_kubesim, until

__all__ = ["start_kubesim", "until"]  # the fixture and helper, re-exported for these tests

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CLUSTER = ROOT / "examples" / "cluster.yaml"
EXAMPLE_PODS = sorted((ROOT / "examples" / "pods").glob("*.yaml"))
LOGGER = "test.prevalidate.live"

# Fast retries, so outage and RBAC tests take milliseconds; the production defaults are
# 5 s (backoff cap) and 300 s (RBAC retry).
FAST = {"retry_cap": 0.05, "refused_retry": 0.1}

StartLive = Callable[..., Awaitable[LiveCluster]]


async def eventually(condition: Callable[[], object], timeout: float = 5.0) -> object:
    """Return ``condition()`` once truthy. The view changes on the client side, after the
    store write that kubesim's ``until`` would see, so this re-checks every few ms."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition still false after {timeout} s")
        await asyncio.sleep(0.005)


def api_client(url: str) -> client.ApiClient:
    return client.ApiClient(client.Configuration(host=url))


@pytest.fixture
async def start_live() -> AsyncIterator[StartLive]:
    """Start a LiveCluster on a URL (or a KubeSim); stopped, with its client, at teardown."""
    started: list[tuple[LiveCluster, client.ApiClient]] = []

    async def start(
        target: KubeSim | str, namespaces: Sequence[str] | None = None, **options: Any
    ) -> LiveCluster:
        api = api_client(target if isinstance(target, str) else target.url)
        live = LiveCluster(api, namespaces=namespaces, log=logging.getLogger(LOGGER), **options)
        started.append((live, api))
        await live.start()
        return live

    yield start
    for live, api in started:
        await live.stop()
        await api.close()


@pytest.fixture
async def example_sim(start_kubesim: StartKubeSim) -> KubeSim:
    return await start_kubesim(EXAMPLE_CLUSTER)


def records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]
