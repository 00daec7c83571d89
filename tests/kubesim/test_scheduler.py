"""The scheduler's decisions and its FailedScheduling messages (facts document §4)."""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio import client

from prevalidate.testing.kubesim import KubeSim

from .conftest import notebook_pod, pod_events, until

TAINT = "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"


def condition(sim: KubeSim, name: str, ns: str = "default") -> dict[str, Any] | None:
    pod = sim.store.peek("pods", ns, name)
    for cond in ((pod or {}).get("status") or {}).get("conditions") or []:
        if cond["type"] == "PodScheduled":
            return dict(cond)
    return None


async def unschedulable(sim: KubeSim, name: str, ns: str = "default") -> str:
    cond = await until(sim, lambda: (c := condition(sim, name, ns)) and c["status"] == "False" and c)
    assert isinstance(cond, dict)
    assert cond["reason"] == "Unschedulable"
    return str(cond["message"])


async def test_a_pod_that_fits_is_bound_with_a_scheduled_event(sim: KubeSim,
                                                              core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("default", notebook_pod("fits", requests={"cpu": "7"}))
    await until(sim, lambda: sim.store.peek("pods", "default", "fits")["spec"].get("nodeName"))
    pod = sim.store.peek("pods", "default", "fits")
    assert pod["spec"]["nodeName"] == "worker-2"  # worker-1 has only 6 CPUs free
    assert ("Normal", "Scheduled", "Successfully assigned default/fits to worker-2") in \
        pod_events(sim, "fits", "default")


async def test_120_cpus_is_unschedulable_with_the_fit_error_histogram(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("default", notebook_pod("huge", requests={"cpu": "120"}))
    message = await unschedulable(sim, "huge")
    assert message == (
        f"0/3 nodes are available: {TAINT}, 2 Insufficient cpu. preemption: 0/3 nodes are "
        "available: 3 Preemption is not helpful for scheduling.")
    event = next(e for e in sim.store.items("events", "default")
                 if e["reason"] == "FailedScheduling")
    pod = sim.store.peek("pods", "default", "huge")
    assert event["type"] == "Warning" and event["message"] == message
    # the scheduler records through events.k8s.io/v1: no source, no count or timestamps in the
    # core/v1 view, eventTime set (runtime-backstop.md §2.2, §6.2)
    assert event["reportingComponent"] == "default-scheduler" and event["source"] == {}
    assert event["count"] is None and event["lastTimestamp"] is None and event["eventTime"]
    assert event["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert event["involvedObject"]["kind"] == "Pod"


async def test_no_room_now_says_no_preemption_victims(sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("default", notebook_pod("first", requests={"cpu": "7"}))
    await core.create_namespaced_pod("default", notebook_pod("second", requests={"cpu": "7"}))
    message = await unschedulable(sim, "second")
    assert message == (
        f"0/3 nodes are available: {TAINT}, 2 Insufficient cpu. preemption: 0/3 nodes are "
        "available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found "
        "for incoming pod.")


async def test_missing_pvc_is_reported_by_the_prefilter(sim: KubeSim,
                                                        core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", notebook_pod(
        "jupyter-pvc", volumes=[{"name": "home", "persistentVolumeClaim": {"claimName": "lol"}}]))
    message = await unschedulable(sim, "jupyter-pvc", "jhub")
    assert message == ('0/3 nodes are available: persistentvolumeclaim "lol" not found. '
                       "preemption: 0/3 nodes are available: 3 Preemption is not helpful for "
                       "scheduling.")


async def test_unbound_immediate_claim_blocks_scheduling(sim: KubeSim,
                                                         core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", notebook_pod("jupyter-manual", volumes=[
        {"name": "home", "persistentVolumeClaim": {"claimName": "never-bound"}}]))
    message = await unschedulable(sim, "jupyter-manual", "jhub")
    assert message.startswith(
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. ")


async def test_wait_for_first_consumer_claim_is_bound_when_the_pod_is_scheduled(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_persistent_volume_claim("jhub", {
        "metadata": {"name": "claim-ivy"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    await core.create_namespaced_pod("jhub", notebook_pod("jupyter-ivy", volumes=[
        {"name": "home", "persistentVolumeClaim": {"claimName": "claim-ivy"}}]))
    await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-ivy")["spec"].get("nodeName"))
    claim = sim.store.peek("persistentvolumeclaims", "jhub", "claim-ivy")
    assert claim["status"]["phase"] == "Bound"


async def test_selector_and_taints_are_filters(sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("default", notebook_pod(
        "gpu-wanted", nodeSelector={"node-pool": "gpu"}))
    message = await unschedulable(sim, "gpu-wanted")
    assert message.startswith(
        f"0/3 nodes are available: {TAINT}, 2 node(s) didn't match Pod's node affinity/selector.")


async def test_a_pending_pod_is_retried_when_a_node_is_added(sim: KubeSim,
                                                             core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("default", notebook_pod("waits", requests={"cpu": "12"}))
    await unschedulable(sim, "waits")
    await core.create_node({"metadata": {"name": "big-node"},
                            "status": {"allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"}}})
    await until(sim, lambda: sim.store.peek("pods", "default", "waits")["spec"].get("nodeName"))
    assert sim.store.peek("pods", "default", "waits")["spec"]["nodeName"] == "big-node"


async def test_a_pending_pod_is_retried_when_another_pod_goes_away(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("default", notebook_pod("first", requests={"cpu": "7"}))
    await core.create_namespaced_pod("default", notebook_pod("second", requests={"cpu": "7"}))
    await unschedulable(sim, "second")
    await core.delete_namespaced_pod("first", "default", grace_period_seconds=0)
    await until(sim, lambda: sim.store.peek("pods", "default", "second")["spec"].get("nodeName"))


async def test_repeated_failures_are_aggregated_into_one_event(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("default", notebook_pod("huge", requests={"cpu": "120"}))
    await unschedulable(sim, "huge")
    await core.create_node({"metadata": {"name": "small"},
                            "status": {"allocatable": {"cpu": "1", "memory": "1Gi"}}})
    await until(sim, lambda: any(
        e["message"].startswith("0/4") for e in sim.store.items("events", "default")))
    await core.create_namespaced_config_map("default", {"metadata": {"name": "unrelated"}})
    failed = [e for e in sim.store.items("events", "default") if e["reason"] == "FailedScheduling"]
    assert len(failed) == 2  # one per distinct message; repeats only bump `count`


def claim(name: str, mode: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {
        "accessModes": [mode], "resources": {"requests": {"storage": "1Gi"}}}}


def with_claim(pod: dict[str, Any], name: str) -> dict[str, Any]:
    pod["spec"]["volumes"] = [{"name": "home", "persistentVolumeClaim": {"claimName": name}}]
    return pod


async def test_a_read_write_once_pod_claim_in_use_blocks_a_second_pod(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_persistent_volume_claim("jhub", claim("solo", "ReadWriteOncePod"))
    await core.create_namespaced_pod("jhub", with_claim(notebook_pod("first"), "solo"))
    await until(sim, lambda: sim.store.peek("pods", "jhub", "first")["spec"].get("nodeName"))
    await core.create_namespaced_pod("jhub", with_claim(notebook_pod("second"), "solo"))
    message = await unschedulable(sim, "second", "jhub")
    assert message == (
        f"0/3 nodes are available: {TAINT}, 2 node has pod using PersistentVolumeClaim with the "
        "same name and ReadWriteOncePod access mode. preemption: 0/3 nodes are available: "
        "1 Preemption is not helpful for scheduling, 2 No preemption victims found for "
        "incoming pod.")


async def test_a_claim_in_use_stays_terminating_and_blocks_new_pods_until_released(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", with_claim(notebook_pod("user-1"), "shared-data"))
    await until(sim, lambda: sim.store.peek("pods", "jhub", "user-1")["spec"].get("nodeName"))
    terminating = await core.delete_namespaced_persistent_volume_claim("shared-data", "jhub")
    assert terminating.metadata.deletion_timestamp is not None
    assert "kubernetes.io/pvc-protection" in terminating.metadata.finalizers
    await core.create_namespaced_pod("jhub", with_claim(notebook_pod("user-2"), "shared-data"))
    message = await unschedulable(sim, "user-2", "jhub")
    assert message.startswith('0/3 nodes are available: persistentvolumeclaim "shared-data" is '
                              "being deleted.")
    await core.delete_namespaced_pod("user-1", "jhub", grace_period_seconds=0)
    await until(sim, lambda: sim.store.peek("persistentvolumeclaims", "jhub", "shared-data") is None)
