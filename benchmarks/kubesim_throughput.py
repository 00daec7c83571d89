"""kubesim throughput: pods created, watched and run per second through a real client.

`python -m benchmarks.kubesim_throughput` — kubesim in-process on 127.0.0.1 (plain HTTP),
kubernetes_asyncio 36 as the client in the same event loop (so the figures include the
client's own cost). Later benchmarks use these numbers to show kubesim is not their
bottleneck: a spawn needs one pod create and a handful of watch events.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from kubernetes_asyncio import client, watch

from benchmarks._results import write_section
from prevalidate.testing.kubesim import KubeSim, parse_cluster

NODES = 50
CLUSTER = (
    "\n".join(
        [
            "apiVersion: v1",
            "kind: List",
            "items:",
            "- {apiVersion: v1, kind: Namespace, metadata: {name: bench}}",
            "- apiVersion: v1\n  kind: ResourceQuota\n  metadata: {name: compute, namespace: bench}\n"
            "  spec: {hard: {requests.cpu: '100000', requests.memory: 100000Gi, pods: '100000'}}",
        ]
        + [
            f"- apiVersion: v1\n  kind: Node\n  metadata: {{name: node-{i:03d}}}\n"
            f"  status: {{allocatable: {{cpu: '64', memory: 256Gi, pods: '1000'}}}}"
            for i in range(NODES)
        ]
    )
    + """
---
apiVersion: kubesim.prevalidate.dev/v1
kind: ImageCatalog
spec: {images: [{image: "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"}]}
---
apiVersion: kubesim.prevalidate.dev/v1
kind: SimSettings
spec: {kubeletDelaySeconds: 0, pullSeconds: 0}
"""
)


def pod(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"component": "singleuser-server"}},
        "spec": {
            "containers": [
                {
                    "name": "notebook",
                    "image": "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0",
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "256Mi"},
                        "limits": {"memory": "512Mi"},
                    },
                }
            ]
        },
    }


async def create_many(core: client.CoreV1Api, prefix: str, count: int, concurrency: int) -> float:
    """Seconds to create `count` pods with `concurrency` requests in flight."""
    queue = list(range(count))

    async def worker() -> None:
        while queue:
            index = queue.pop()
            await core.create_namespaced_pod("bench", pod(f"{prefix}-{index}"))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def watched_while_creating(core: client.CoreV1Api, count: int) -> tuple[float, float]:
    """(seconds until a watcher saw all `count` ADDED events, seconds until all were Running)."""
    rv = (await core.list_namespaced_pod("bench")).metadata.resource_version
    added: set[str] = set()
    running: set[str] = set()
    started = time.perf_counter()
    seen_all = 0.0

    async def follow() -> None:
        nonlocal seen_all
        async with watch.Watch().stream(
            core.list_namespaced_pod,
            "bench",
            resource_version=rv,
            label_selector="component=singleuser-server",
            timeout_seconds=120,
        ) as stream:
            async for event in stream:
                obj = event["raw_object"]
                name = obj["metadata"]["name"]
                if not name.startswith("w-"):
                    continue
                added.add(name)
                if len(added) == count and not seen_all:
                    seen_all = time.perf_counter() - started
                if obj["status"].get("phase") == "Running":
                    running.add(name)
                    if len(running) == count:
                        return

    follower = asyncio.ensure_future(follow())
    await asyncio.sleep(0)
    await create_many(core, "w", count, concurrency=20)
    await asyncio.wait_for(follower, 120)
    return seen_all, time.perf_counter() - started


async def list_latency(core: client.CoreV1Api, rounds: int = 20) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await core.list_namespaced_pod("bench", _preload_content=False)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def run() -> str:
    async with (
        KubeSim(parse_cluster(CLUSTER)) as sim,
        client.ApiClient(client.Configuration(host=sim.url)) as api,
    ):
        core = client.CoreV1Api(api)
        await create_many(core, "warm", 20, 1)
        serial = await create_many(core, "s", 300, 1)
        parallel = await create_many(core, "p", 1000, 20)
        seen, running = await watched_while_creating(core, 500)
        pods_now = len(list(sim.store.items("pods", "bench")))
        listing = await list_latency(core)
        events = len(list(sim.store.items("events", "bench")))
    return f"""
## kubesim throughput (issue 4)

`python -m benchmarks.kubesim_throughput` — kubesim in-process on 127.0.0.1 (plain HTTP,
tornado), {NODES} nodes, one namespace with a ResourceQuota (so every create runs full
admission: defaults, LimitRange, field validation, quota charge), a real kubernetes_asyncio
client in the same event loop (figures include the client's cost), scheduler and kubelet on.

| measurement | result |
|---|---|
| pod creates, 1 in flight (300 pods) | {300 / serial:,.0f} pods/s ({serial / 300 * 1000:.2f} ms each) |
| pod creates, 20 in flight (1,000 pods) | {1000 / parallel:,.0f} pods/s |
| watch: ADDED seen for 500 pods created 20 in flight | {500 / seen:,.0f} pods/s ({seen:.2f} s) |
| created → scheduled → kubelet → Running, on the watch (500 pods) | \
{500 / running:,.0f} pods/s ({running:.2f} s) |
| list {pods_now:,} pods (raw, median of 20) | {listing * 1000:.1f} ms |

{events:,} events were recorded on the way (Scheduled, Pulling, Pulled, Created, Started per pod).
A spawn needs one create and about six watch events, so kubesim serves hundreds of spawns per
second: benchmarks measuring seconds-to-error (ours vs. stock KubeSpawner) are not bounded by it.
"""


def main() -> None:
    markdown = asyncio.run(run())
    print(markdown)
    write_section("kubesim", markdown)


if __name__ == "__main__":
    main()
