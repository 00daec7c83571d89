"""Node pools: TriggeredScaleUp then a new node, or NotTriggerScaleUp (facts document §5)."""

from __future__ import annotations

from kubernetes_asyncio import client

from .conftest import CLUSTER, StartSim, api_client, notebook_pod, pod_events, until

POOL = """
apiVersion: kubesim.prevalidate.dev/v1
kind: NodePool
metadata: {name: gpu-pool}
spec:
  maxCount: 1
  provisionSeconds: 0.3
  template:
    metadata: {labels: {node-pool: gpu}}
    status: {allocatable: {cpu: "8", memory: 32Gi, nvidia.com/gpu: "1", pods: "110"}}
---
apiVersion: kubesim.prevalidate.dev/v1
kind: SimSettings
spec: {autoscalerIntervalSeconds: 0.05}
"""


def gpu_pod(name: str) -> dict[str, object]:
    return notebook_pod(name, limits={"nvidia.com/gpu": "1"})


async def test_a_pod_that_fits_a_pool_triggers_a_scale_up_and_gets_the_new_node(
        start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER, POOL)
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod("default", gpu_pod("gpu-1"))
    await until(sim, lambda: sim.store.peek("pods", "default", "gpu-1")["spec"].get("nodeName"))
    events = pod_events(sim, "gpu-1", "default")
    reasons = [r for _, r, _ in events]
    assert reasons.index("FailedScheduling") < reasons.index("TriggeredScaleUp") \
        < reasons.index("Scheduled")
    assert ("Normal", "TriggeredScaleUp", "pod triggered scale-up: [{gpu-pool 0->1 (max: 1)}]") \
        in events
    scale_up = next(e for e in sim.store.items("events", "default")
                    if e["reason"] == "TriggeredScaleUp")
    assert scale_up["source"]["component"] == "cluster-autoscaler"
    assert sim.store.peek("pods", "default", "gpu-1")["spec"]["nodeName"] == "gpu-pool-1"


async def test_a_full_pool_or_a_pod_no_template_fits_does_not_trigger_a_scale_up(
        start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER, POOL)
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_pod("default", gpu_pod("gpu-1"))
        await until(sim, lambda: sim.store.peek("nodes", "", "gpu-pool-1"))
        await core.create_namespaced_pod("default", gpu_pod("gpu-2"))
        await core.create_namespaced_pod("default", notebook_pod("huge", requests={"cpu": "120"}))
    await until(sim, lambda: "NotTriggerScaleUp" in [r for _, r, _ in pod_events(sim, "gpu-2", "default")])
    await until(sim, lambda: "NotTriggerScaleUp" in [r for _, r, _ in pod_events(sim, "huge", "default")])
    assert ("Normal", "NotTriggerScaleUp", "pod didn't trigger scale-up: 1 max node group size reached") \
        in pod_events(sim, "gpu-2", "default")
    assert ("Normal", "NotTriggerScaleUp", "pod didn't trigger scale-up: 1 Insufficient cpu") \
        in pod_events(sim, "huge", "default")


async def test_a_new_node_is_not_ready_first_and_the_message_turns_to_its_taint(
        start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER, POOL.replace("provisionSeconds: 0.3",
                                                "provisionSeconds: 0.1\n  readySeconds: 0.5"))
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod("default", gpu_pod("gpu-1"))
    await until(sim, lambda: sim.store.peek("pods", "default", "gpu-1")["spec"].get("nodeName"))
    messages = [m for _, r, m in pod_events(sim, "gpu-1", "default") if r == "FailedScheduling"]
    assert messages[0].startswith("0/3 nodes are available:")
    assert any(m.startswith("0/4 nodes are available: 1 node(s) had untolerated taint "
                            "{node-role.kubernetes.io/control-plane: }, 1 node(s) had untolerated "
                            "taint {node.kubernetes.io/not-ready: }") for m in messages[1:])
