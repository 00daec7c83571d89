"""Fixtures: a running kubesim (in-process) and a kubernetes_asyncio client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from kubernetes_asyncio import client

from prevalidate.testing.kubesim import KubeSim, load_cluster
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim, start_kubesim, until

__all__ = ["start_kubesim", "until"]  # the fixture and helper, re-exported for these tests

FIXTURES = Path(__file__).parent / "fixtures"
CLUSTER = FIXTURES / "cluster.yaml"

StartSim = Callable[..., Awaitable[KubeSim]]


@pytest.fixture
async def start_sim(start_kubesim: StartKubeSim) -> StartKubeSim:
    """Start kubesim from a cluster path or YAML text; defaults to fixtures/cluster.yaml."""

    async def start(cluster: Path | str = CLUSTER, extra: str = "") -> KubeSim:
        return await start_kubesim(cluster, extra)

    return start


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
