"""kubesim's scheduler preempts as kube-scheduler's DefaultPreemption does, written from
pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go (SelectVictimsOnNode,
PodEligibleToPreemptOthers, isPreemptionAllowed) and pkg/scheduler/framework/preemption/
preemption.go (findCandidates, pickOneNodeForPreemption, prepareCandidate, the victim's
DisruptionTarget condition and the `Preempted` event `Preempted by pod <uid> on node <node>`),
with the FitError of pkg/scheduler/framework/types.go."""

from __future__ import annotations

from typing import Any

import yaml
from kubernetes_asyncio import client

from prevalidate.testing.kubesim import KubeSim

from .conftest import StartSim, api_client, notebook_pod, pod_events, until

IMAGE = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"
SETTINGS = {
    "apiVersion": "kubesim.prevalidate.dev/v1",
    "kind": "SimSettings",
    "spec": {"kubeletDelaySeconds": 0.01, "pullSeconds": 0.01, "terminationSeconds": 0.3},
}
CATALOG = {
    "apiVersion": "kubesim.prevalidate.dev/v1",
    "kind": "ImageCatalog",
    "spec": {"images": [{"image": IMAGE}]},
}


def node(name: str, cpu: str = "4", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": spec,
        "status": {"allocatable": {"cpu": cpu, "memory": "16Gi", "pods": "110"}},
    }


def priority_class(name: str, value: int, policy: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
    }
    if policy:
        obj["preemptionPolicy"] = policy
    return obj


def running(
    name: str, node_name: str, cpu: str, priority: int, grace: int = 0, **meta: Any
) -> dict[str, Any]:
    """A pod already running, as a dump shows it (admission set spec.priority long ago)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "jhub", **meta},
        "spec": {
            "nodeName": node_name,
            "priority": priority,
            "terminationGracePeriodSeconds": grace,
            "containers": [{"name": "pause", "image": IMAGE, "resources": {"requests": {"cpu": cpu}}}],
        },
        "status": {"phase": "Running", "startTime": "2026-01-01T00:00:00Z"},
    }


Z2JH = [
    priority_class("jhub-default-priority", 0),
    priority_class("jhub-user-placeholder-priority", -10),
]


def cluster(*objects: dict[str, Any]) -> str:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "jhub"}}
    items = [namespace, *objects]
    return yaml.safe_dump_all([{"apiVersion": "v1", "kind": "List", "items": items}, SETTINGS, CATALOG])


async def create(sim: KubeSim, cpu: str, name: str = "jupyter-alice", **spec: Any) -> dict[str, Any]:
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod(
            "jhub", notebook_pod(name, requests={"cpu": cpu}, **spec)
        )
    pod = sim.store.peek("pods", "jhub", name)
    assert pod is not None
    return pod


def bound_to(sim: KubeSim, name: str) -> str | None:
    pod = sim.store.peek("pods", "jhub", name) or {}
    return (pod.get("spec") or {}).get("nodeName")


def scheduled_condition(sim: KubeSim, name: str) -> dict[str, Any]:
    pod = sim.store.peek("pods", "jhub", name) or {}
    return next(c for c in pod["status"].get("conditions") or [] if c["type"] == "PodScheduled")


async def failed_scheduling(sim: KubeSim, name: str) -> str:
    await until(sim, lambda: any(r == "FailedScheduling" for _, r, _ in pod_events(sim, name)))
    return [m for _, r, m in pod_events(sim, name) if r == "FailedScheduling"][-1]


async def test_a_user_pod_displaces_the_z2jh_placeholder(start_sim: StartSim) -> None:
    placeholder = running(
        "user-placeholder-0", "worker-1", "3", -10, priorityClassName="jhub-user-placeholder-priority"
    )
    sim = await start_sim(cluster(node("worker-1"), *Z2JH, placeholder))
    pod = await create(sim, "2", priorityClassName="jhub-default-priority")
    assert await until(sim, lambda: bound_to(sim, "jupyter-alice") == "worker-1")
    assert sim.store.peek("pods", "jhub", "user-placeholder-0") is None
    uid = pod["metadata"]["uid"]
    preempted = [e for e in sim.store.items("events", "jhub") if e["reason"] == "Preempted"]
    assert len(preempted) == 1
    event = preempted[0]
    assert event["message"] == f"Preempted by pod {uid} on node worker-1"
    assert (event["type"], event["action"], event["source"]["component"]) == (
        "Normal",
        "Preempting",
        "default-scheduler",
    )
    assert event["involvedObject"]["name"] == "user-placeholder-0"
    assert event["related"]["uid"] == uid
    events = pod_events(sim, "jupyter-alice")
    # The preemptor's own attempt fails (no preemption part: it nominated a node), then it is bound.
    assert ("Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.") in events
    assert ("Normal", "Scheduled", "Successfully assigned jhub/jupyter-alice to worker-1") in events
    assert sim.store.peek("pods", "jhub", "jupyter-alice")["status"]["nominatedNodeName"] == "worker-1"


async def test_a_victim_with_a_grace_period_is_marked_and_the_preemptor_waits_for_it(
    start_sim: StartSim,
) -> None:
    sim = await start_sim(cluster(node("worker-1"), *Z2JH, running("batch", "worker-1", "3", -10, grace=30)))
    await create(sim, "2")

    def marked() -> dict[str, Any] | None:
        victim = sim.store.peek("pods", "jhub", "batch")
        return victim if victim and "deletionTimestamp" in victim["metadata"] else None

    victim = await until(sim, marked)
    assert isinstance(victim, dict)
    (condition,) = [c for c in victim["status"]["conditions"] if c["type"] == "DisruptionTarget"]
    assert condition["status"] == "True" and condition["reason"] == "PreemptionByScheduler"
    assert condition["message"] == "default-scheduler: preempting to accommodate a higher priority pod"
    assert bound_to(sim, "jupyter-alice") is None  # not before the victim is gone
    assert await until(sim, lambda: bound_to(sim, "jupyter-alice") == "worker-1", timeout=10)
    assert sim.store.peek("pods", "jhub", "batch") is None


async def test_equal_priority_never_preempts(start_sim: StartSim) -> None:
    sim = await start_sim(cluster(node("worker-1"), *Z2JH, running("bob", "worker-1", "3", 0)))
    await create(sim, "2", priorityClassName="jhub-default-priority")
    message = await failed_scheduling(sim, "jupyter-alice")
    assert message == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        "1 No preemption victims found for incoming pod."
    )
    assert sim.store.peek("pods", "jhub", "bob") is not None


async def test_preemption_policy_never_of_the_class_is_copied_and_respected(start_sim: StartSim) -> None:
    classes = [*Z2JH, priority_class("polite", 100, "Never")]
    sim = await start_sim(
        cluster(node("worker-1"), *classes, running("user-placeholder-0", "worker-1", "3", -10))
    )
    await create(sim, "2", priorityClassName="polite")
    message = await failed_scheduling(sim, "jupyter-alice")
    assert message.endswith("preemption: not eligible due to preemptionPolicy=Never.")
    assert sim.store.peek("pods", "jhub", "jupyter-alice")["spec"]["preemptionPolicy"] == "Never"
    assert sim.store.peek("pods", "jhub", "user-placeholder-0") is not None


async def test_when_evicting_everything_lower_is_not_enough_nothing_is_evicted(start_sim: StartSim) -> None:
    objects = [running("bob", "worker-1", "2", 0), running("user-placeholder-0", "worker-1", "1", -10)]
    sim = await start_sim(cluster(node("worker-1"), *Z2JH, *objects))
    await create(sim, "3")
    message = await failed_scheduling(sim, "jupyter-alice")
    head = "0/1 nodes are available: 1 Insufficient cpu."
    assert message == f"{head} preemption: {head}"
    assert sim.store.peek("pods", "jhub", "user-placeholder-0") is not None


async def test_victims_are_the_fewest_least_important_pods(start_sim: StartSim) -> None:
    """Removing all lower pods, then reprieving the most important first: the -5 pod stays."""
    objects = [running("batch", "worker-1", "2", -5), running("user-placeholder-0", "worker-1", "2", -10)]
    sim = await start_sim(cluster(node("worker-1"), *Z2JH, *objects))
    await create(sim, "2")
    assert await until(sim, lambda: bound_to(sim, "jupyter-alice") == "worker-1")
    assert sim.store.peek("pods", "jhub", "batch") is not None
    assert sim.store.peek("pods", "jhub", "user-placeholder-0") is None


async def test_the_node_whose_most_important_victim_is_least_important_is_chosen(start_sim: StartSim) -> None:
    objects = [running("batch", "worker-a", "3", -5), running("user-placeholder-0", "worker-b", "3", -10)]
    sim = await start_sim(cluster(node("worker-a"), node("worker-b"), *Z2JH, *objects))
    await create(sim, "2")
    assert await until(sim, lambda: bound_to(sim, "jupyter-alice") == "worker-b")
    assert sim.store.peek("pods", "jhub", "batch") is not None


async def test_nodes_rejected_for_other_reasons_are_not_candidates(start_sim: StartSim) -> None:
    tainted = node("worker-b", taints=[{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}])
    objects = [running("bob", "worker-a", "3", 0), running("user-placeholder-0", "worker-b", "3", -10)]
    sim = await start_sim(cluster(node("worker-a"), tainted, *Z2JH, *objects))
    await create(sim, "2")
    message = await failed_scheduling(sim, "jupyter-alice")
    assert message == (
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: batch}. "
        "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
        "1 Preemption is not helpful for scheduling."
    )
    assert sim.store.peek("pods", "jhub", "user-placeholder-0") is not None


POOL = """
apiVersion: kubesim.prevalidate.dev/v1
kind: NodePool
metadata: {name: spare}
spec:
  maxCount: 1
  provisionSeconds: 0.2
  template:
    status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: kubesim.prevalidate.dev/v1
kind: SimSettings
spec: {autoscalerIntervalSeconds: 0.02, terminationSeconds: 0.3}
"""


async def test_a_pod_waiting_for_its_victims_does_not_make_the_autoscaler_add_a_node(
    start_sim: StartSim,
) -> None:
    """cluster-autoscaler's FilterOutExpendableAndSplit sets aside pods nominated to an existing
    node: they wait for lower-priority pods to go, a new node would not help."""
    sim = await start_sim(
        cluster(node("worker-1"), *Z2JH, running("batch", "worker-1", "3", -10, grace=30)), POOL
    )
    await create(sim, "2")
    assert await until(sim, lambda: bound_to(sim, "jupyter-alice") == "worker-1", timeout=10)
    reasons = {r for _, r, _ in pod_events(sim, "jupyter-alice")}
    assert "TriggeredScaleUp" not in reasons
    assert [n["metadata"]["name"] for n in sim.store.items("nodes")] == ["worker-1"]
