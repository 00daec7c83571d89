"""Pods created with `spec.nodeName` in kubesim: the scheduler never takes them; the kubelet
admits them as pkg/kubelet/lifecycle/predicate.go does (resources and pod count, node
affinity/selector, NoExecute taints only; a refused pod is Failed by pkg/kubelet/kubelet.go
``rejectPod`` with `Pod was rejected: …`), and pkg/controller/podgc ``gcOrphaned`` deletes one
bound to a node that stays missing for the quarantine."""

from __future__ import annotations

import asyncio
from typing import Any

import yaml
from kubernetes_asyncio import client

from prevalidate.testing.kubesim import KubeSim

from .conftest import StartSim, api_client, notebook_pod, pod_events, until
from .test_preemption import cluster, node, running


async def create_pinned(sim: KubeSim, cpu: str = "2", node_name: str = "worker-1", **spec: Any) -> None:
    pod = notebook_pod("jupyter-alice", requests={"cpu": cpu}, nodeName=node_name, **spec)
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod("jhub", pod)


def phase(sim: KubeSim) -> str | None:
    pod = sim.store.peek("pods", "jhub", "jupyter-alice")
    return None if pod is None else (pod.get("status") or {}).get("phase")


async def running_or_failed(sim: KubeSim) -> dict[str, Any]:
    await until(sim, lambda: phase(sim) in ("Running", "Failed"))
    pod = sim.store.peek("pods", "jhub", "jupyter-alice")
    assert pod is not None
    return pod


async def test_a_cordoned_node_runs_a_pinned_pod_the_scheduler_never_touches(start_sim: StartSim) -> None:
    sim = await start_sim(cluster(node("worker-1", unschedulable=True)))
    await create_pinned(sim)
    pod = await running_or_failed(sim)
    assert pod["status"]["phase"] == "Running"
    assert not [e for e in pod_events(sim, "jupyter-alice") if e[1] in ("Scheduled", "FailedScheduling")]


async def test_noschedule_taints_do_not_stop_a_pinned_pod(start_sim: StartSim) -> None:
    tainted = node("worker-1", taints=[{"key": "dedicated", "value": "x", "effect": "NoSchedule"}])
    sim = await start_sim(cluster(tainted))
    await create_pinned(sim)
    assert (await running_or_failed(sim))["status"]["phase"] == "Running"


async def test_an_extended_resource_the_node_does_not_have_is_not_checked(start_sim: StartSim) -> None:
    sim = await start_sim(cluster(node("worker-1")))
    pod = notebook_pod(
        "jupyter-alice",
        requests={"example.com/dongle": "1"},
        limits={"example.com/dongle": "1"},
        nodeName="worker-1",
    )
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod("jhub", pod)
    assert (await running_or_failed(sim))["status"]["phase"] == "Running"


async def test_no_room_on_the_pinned_node_fails_the_pod_out_of_cpu(start_sim: StartSim) -> None:
    sim = await start_sim(cluster(node("worker-1"), node("worker-2"), running("bob", "worker-1", "3", 0)))
    await create_pinned(sim)
    pod = await running_or_failed(sim)
    text = "Node didn't have enough resource: cpu, requested: 2000, used: 3000, capacity: 4000"
    assert pod["status"] == {
        "phase": "Failed",
        "reason": "OutOfcpu",
        "message": f"Pod was rejected: {text}",
        "qosClass": "Burstable",
    }
    assert ("Warning", "OutOfcpu", text) in pod_events(sim, "jupyter-alice")


async def test_a_full_pod_count_fails_the_pod_out_of_pods(start_sim: StartSim) -> None:
    small = node("worker-1")
    small["status"]["allocatable"]["pods"] = "1"
    sim = await start_sim(cluster(small, running("bob", "worker-1", "1", 0)))
    await create_pinned(sim, "1")
    pod = await running_or_failed(sim)
    assert pod["status"]["reason"] == "OutOfpods"
    assert pod["status"]["message"].endswith("pods, requested: 1, used: 1, capacity: 1")


async def test_a_selector_the_node_does_not_match_fails_the_pod(start_sim: StartSim) -> None:
    sim = await start_sim(cluster(node("worker-1")))
    await create_pinned(sim, nodeSelector={"pool": "gpu"})
    pod = await running_or_failed(sim)
    assert pod["status"]["reason"] == "NodeAffinity"
    assert pod["status"]["message"] == (
        "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"
    )


async def test_an_untolerated_noexecute_taint_fails_the_pod(start_sim: StartSim) -> None:
    tainted = node("worker-1", taints=[{"key": "dedicated", "value": "x", "effect": "NoExecute"}])
    sim = await start_sim(cluster(tainted))
    await create_pinned(sim)
    pod = await running_or_failed(sim)
    assert pod["status"]["reason"] == "TaintToleration"
    assert pod["status"]["message"].endswith("node(s) had taints that the pod didn't tolerate")


async def test_lower_priority_pods_are_not_preempted_for_a_pinned_pod(start_sim: StartSim) -> None:
    sim = await start_sim(cluster(node("worker-1"), running("user-placeholder-0", "worker-1", "3", -10)))
    await create_pinned(sim)
    assert (await running_or_failed(sim))["status"]["reason"] == "OutOfcpu"
    assert sim.store.peek("pods", "jhub", "user-placeholder-0") is not None


GC = {
    "apiVersion": "kubesim.prevalidate.dev/v1",
    "kind": "SimSettings",
    "spec": {"podGCQuarantineSeconds": 0.3},
}


async def test_a_pod_on_a_node_that_does_not_exist_is_deleted_by_podgc(start_sim: StartSim) -> None:
    sim = await start_sim(cluster(node("worker-1")), yaml.safe_dump(GC))
    await create_pinned(sim, node_name="worker-9")
    assert phase(sim) == "Pending"  # stored: nothing checks that the node exists

    states: list[dict[str, Any]] = []

    def watch(change: Any) -> None:
        if change.resource == "pods":
            states.append(change.obj)

    sim.store.listeners.append(watch)
    assert await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-alice") is None)
    last = states[-1]
    assert last["status"]["phase"] == "Failed"
    (condition,) = [c for c in last["status"]["conditions"] if c["type"] == "DisruptionTarget"]
    assert (condition["reason"], condition["message"]) == ("DeletionByPodGC", "PodGC: node no longer exists")


async def test_a_node_that_joins_within_the_quarantine_runs_the_pod(start_sim: StartSim) -> None:
    sim = await start_sim(cluster(node("worker-1")), yaml.safe_dump(GC))
    await create_pinned(sim, node_name="worker-9")
    sim.store.create("nodes", node("worker-9"))  # its kubelet registers and runs the pods bound to it
    assert (await running_or_failed(sim))["status"]["phase"] == "Running"
    await asyncio.sleep(0.5)  # past the quarantine: the sweep finds the node and leaves the pod alone
    assert not sim.pod_gc._waiting
    assert phase(sim) == "Running"
