"""Getting a notebook pod to run, and what stands in the way without being fatal or is fatal
only by its nature: a zonal volume no node can reach (kubernetes-behaviour.md §4.2), transient
pull failures that clear on retry and slow pulls (runtime-backstop.md §7, §5.5), and the
scheduler's events as events.k8s.io/v1 series (§6.2). The cluster is test_runtime's."""

from __future__ import annotations

import asyncio
import re

import pytest
from kubernetes_asyncio import client

from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.kubesim.store import Change

from .conftest import StartSim, api_client, pod_events, until
from .test_runtime import CLUSTER, WAIT, kubespawner_pod, runtime

__all__ = ["runtime"]  # the fixture, shared with test_runtime


async def test_a_claim_on_a_volume_in_another_zone_is_unschedulable(runtime: KubeSim) -> None:
    sim = runtime
    pod = kubespawner_pod("jupyter-zone", "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0")
    pod["spec"]["volumes"] = [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-zonal"}}]
    here = kubespawner_pod("jupyter-here", "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0")
    here["spec"]["volumes"] = [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-here"}}]
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_pod("jhub", pod)
        await core.create_namespaced_pod("jhub", here)
        await until(sim, lambda: any(r == "FailedScheduling" for _, r, _ in pod_events(sim, "jupyter-zone")),
                    WAIT)
        await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-here")["status"].get(
            "phase") == "Running", WAIT)
    message = next(m for _, r, m in pod_events(sim, "jupyter-zone") if r == "FailedScheduling")
    assert message == ("0/2 nodes are available: 2 node(s) had volume node affinity conflict. "
                       "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")


async def test_a_storage_class_limited_to_another_zone_cannot_provision_here(start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER + """---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: zone-b-only}
provisioner: pd.csi.storage.gke.io
volumeBindingMode: WaitForFirstConsumer
allowedTopologies:
- matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [zone-b]}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: zone-a-too}
provisioner: pd.csi.storage.gke.io
volumeBindingMode: WaitForFirstConsumer
allowedTopologies:
- matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [zone-a, zone-b]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim-b, namespace: jhub}
spec: {accessModes: [ReadWriteOnce], storageClassName: zone-b-only, resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim-ab, namespace: jhub}
spec: {accessModes: [ReadWriteOnce], storageClassName: zone-a-too, resources: {requests: {storage: 1Gi}}}
""")
    image = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        for name, claim in (("jupyter-b", "claim-b"), ("jupyter-ab", "claim-ab")):
            pod = kubespawner_pod(name, image)
            pod["spec"]["volumes"] = [{"name": "home", "persistentVolumeClaim": {"claimName": claim}}]
            await core.create_namespaced_pod("jhub", pod)
        await until(sim, lambda: any(r == "FailedScheduling" for _, r, _ in pod_events(sim, "jupyter-b")),
                    WAIT)
        await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-ab")["status"].get(
            "phase") == "Running", WAIT)
    message = next(m for _, r, m in pod_events(sim, "jupyter-b") if r == "FailedScheduling")
    assert message == ("0/2 nodes are available: 2 node(s) didn't find available persistent volumes to "
                       "bind. preemption: 0/2 nodes are available: 2 Preemption is not helpful for "
                       "scheduling.")
    assert sim.store.peek("persistentvolumeclaims", "jhub", "claim-b")["status"].get("phase") != "Bound"


@pytest.mark.parametrize(("kind", "text"), [
    ("429", "429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate"),
    ("502", ": 502 Bad Gateway"),
    ("qps", "pull QPS exceeded"),
    ("timeout", ": i/o timeout"),
])
async def test_a_transient_pull_failure_clears_on_retry(start_sim: StartSim, kind: str, text: str) -> None:
    sim = await start_sim(CLUSTER + f"""---
apiVersion: kubesim.prevalidate.dev/v1
kind: ImageCatalog
spec:
  images: [{{image: quay.io/org/busy:1, transientPullFailures: 2, transientPullError: "{kind}"}}]
""")
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod(
            "jhub", kubespawner_pod("jupyter-busy", "quay.io/org/busy:1"))
    await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-busy")["status"].get(
        "phase") == "Running", WAIT)
    failed = [m for _, r, m in pod_events(sim, "jupyter-busy") if r == "Failed" and "Failed to pull" in m]
    assert failed and all(text in m for m in failed)
    pulling = next(e for e in sim.store.items("events", "jhub")
                   if e["involvedObject"]["name"] == "jupyter-busy" and e["reason"] == "Pulling")
    assert pulling["count"] == 3  # two failures, then the pull that worked


async def test_a_slow_pull_keeps_the_pod_pulling(start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER + """---
apiVersion: kubesim.prevalidate.dev/v1
kind: ImageCatalog
spec: {images: [{image: quay.io/org/huge:1, pullSeconds: 1.5}]}
""")
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod(
            "jhub", kubespawner_pod("jupyter-huge", "quay.io/org/huge:1"))
    await until(sim, lambda: any(r == "Pulling" for _, r, _ in pod_events(sim, "jupyter-huge")), WAIT)
    pulling_at = asyncio.get_running_loop().time()
    await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-huge")["status"].get(
        "phase") == "Running", WAIT)
    assert asyncio.get_running_loop().time() - pulling_at >= 1.4
    pulled = next(m for _, r, m in pod_events(sim, "jupyter-huge") if r == "Pulled")
    assert re.match(r'Successfully pulled image "quay.io/org/huge:1" in 1\.\d+s', pulled)


async def test_the_kubelet_goes_quiet_after_25_events_while_the_status_goes_on(runtime: KubeSim) -> None:
    """client-go's spam filter (runtime-backstop.md §0.9, §6.1): 25 events per (source, pod),
    then one per 5 minutes; the pod status keeps telling the truth."""
    sim = runtime
    back_offs = 0

    def watch(change: Change) -> None:
        nonlocal back_offs
        if change.resource != "pods":
            return
        statuses = change.obj.get("status", {}).get("containerStatuses") or [{}]
        if ((statuses[0].get("state") or {}).get("waiting") or {}).get("reason") == "ImagePullBackOff":
            back_offs += 1

    sim.store.listeners.append(watch)
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod(
            "jhub", kubespawner_pod("jupyter-gone", "quay.io/org/missing:1"))
    await until(sim, lambda: back_offs >= 10, WAIT)
    kubelet = [e for e in sim.store.items("events", "jhub")
               if e["involvedObject"]["name"] == "jupyter-gone" and e["source"].get("component") == "kubelet"]
    assert sum(e["count"] for e in kubelet) == 25


async def test_scheduler_events_repeat_as_a_series_not_a_count(runtime: KubeSim) -> None:
    """events.k8s.io/v1 as the core/v1 view shows it: the first repeat sets series.count 2,
    later repeats stay in the recorder's cache (runtime-backstop.md §6.2)."""
    sim = runtime

    def failed(name: str) -> list[dict]:
        return [e for e in sim.store.items("events", "jhub")
                if e["involvedObject"]["name"] == name and e["reason"] == "FailedScheduling"]

    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_pod("jhub", kubespawner_pod("jupyter-huge", "python:3.12",
                                                                 requests={"cpu": "100"}))
        await until(sim, lambda: failed("jupyter-huge"), WAIT)
        for index in range(3):  # each new pending pod makes the scheduler try every pending pod again
            await core.create_namespaced_pod("jhub", kubespawner_pod(f"jupyter-also{index}", "python:3.12",
                                                                     requests={"cpu": "100"}))
            await until(sim, lambda index=index: failed(f"jupyter-also{index}"), WAIT)
    events = failed("jupyter-huge")
    assert len(events) == 1, events
    assert events[0]["count"] is None and events[0]["firstTimestamp"] is None
    assert events[0]["series"]["count"] == 2 and events[0]["series"]["lastObservedTime"]
