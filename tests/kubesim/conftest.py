"""Fixtures: a running kubesim (in-process) and a kubernetes_asyncio client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from kubernetes_asyncio import client

from prevalidate.testing.kubesim import KubeSim, load_cluster, parse_cluster

FIXTURES = Path(__file__).parent / "fixtures"
CLUSTER = FIXTURES / "cluster.yaml"

StartSim = Callable[..., Awaitable[KubeSim]]


@pytest.fixture
async def start_sim() -> AsyncIterator[StartSim]:
    """Start kubesim from a cluster file path or YAML text (extra YAML appended); stop at teardown."""
    sims: list[KubeSim] = []

    async def start(cluster: Path | str = CLUSTER, extra: str = "") -> KubeSim:
        text = cluster.read_text() if isinstance(cluster, Path) else cluster
        parsed = parse_cluster(text + ("\n---\n" + extra if extra else ""))
        sim = KubeSim(parsed)
        sims.append(sim)
        return await sim.start()

    yield start
    for sim in sims:
        await sim.stop()


@pytest.fixture
async def sim() -> AsyncIterator[KubeSim]:
    """kubesim with tests/kubesim/fixtures/cluster.yaml."""
    async with KubeSim(load_cluster(CLUSTER)) as running:
        yield running


def api_client(sim: KubeSim) -> client.ApiClient:
    return client.ApiClient(client.Configuration(host=sim.url))


@pytest.fixture
async def core(sim: KubeSim) -> AsyncIterator[client.CoreV1Api]:
    """A real kubernetes_asyncio CoreV1Api talking to `sim`."""
    async with api_client(sim) as api:
        yield client.CoreV1Api(api)


async def until(sim: KubeSim, condition: Callable[[], object], timeout: float = 5.0) -> object:
    """Wait (without polling sleeps) until `condition()` is truthy, re-checking on every write."""
    import asyncio

    changed = asyncio.Event()

    def listener(_change: object) -> None:
        changed.set()

    sim.store.listeners.append(listener)
    try:
        async with asyncio.timeout(timeout):
            while True:
                result = condition()
                if result:
                    return result
                changed.clear()
                await changed.wait()
    finally:
        sim.store.listeners.remove(listener)


def pod_events(sim: KubeSim, name: str, namespace: str = "jhub") -> list[tuple[str, str, str]]:
    """(type, reason, message) of the events on a pod, oldest first."""
    events = [e for e in sim.store.items("events", namespace)
              if e["involvedObject"]["name"] == name]
    events.sort(key=lambda e: e["eventTime"])
    return [(e["type"], e["reason"], e["message"]) for e in events]


def notebook_pod(name: str, image: str = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0",
                 requests: dict[str, str] | None = None, limits: dict[str, str] | None = None,
                 **spec: object) -> dict[str, object]:
    resources: dict[str, dict[str, str]] = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "notebook", "image": image,
                                     "resources": resources}], **spec}}
