"""Runtime failures after a pod starts: crash loops, OOM kills, start errors, evictions and the
log endpoint — the texts of the facts document runtime-backstop.md §5.2–§5.3, driven through a
real kubernetes_asyncio client (zonal volumes, pulls and event series: test_runtime_scheduling)."""

from __future__ import annotations

import json
import re

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.kubesim.containers import go_duration
from prevalidate.testing.kubesim.store import Change

from .conftest import StartSim, api_client, notebook_pod, pod_events, until

WAIT = 30.0  # generous: the machine is shared

CLUSTER = """
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: node-a1
    labels: {kubernetes.io/os: linux, topology.kubernetes.io/zone: zone-a}
  status:
    allocatable: {cpu: "8", memory: 32Gi, pods: "110"}
    nodeInfo: {architecture: amd64, operatingSystem: linux}
- apiVersion: v1
  kind: Node
  metadata:
    name: node-a2
    labels: {kubernetes.io/os: linux, topology.kubernetes.io/zone: zone-a}
  status:
    allocatable: {cpu: "8", memory: 32Gi, pods: "110"}
    nodeInfo: {architecture: amd64, operatingSystem: linux}
- apiVersion: v1
  kind: PersistentVolume
  metadata: {name: disk-b}
  spec:
    capacity: {storage: 10Gi}
    accessModes: [ReadWriteOnce]
    storageClassName: zonal
    nodeAffinity:
      required:
        nodeSelectorTerms:
        - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [zone-b]}]
- apiVersion: v1
  kind: PersistentVolumeClaim
  metadata: {name: claim-zonal, namespace: jhub}
  spec:
    accessModes: [ReadWriteOnce]
    storageClassName: zonal
    volumeName: disk-b
    resources: {requests: {storage: 10Gi}}
- apiVersion: v1
  kind: PersistentVolume
  metadata: {name: disk-a}
  spec:
    capacity: {storage: 10Gi}
    accessModes: [ReadWriteOnce]
    storageClassName: zonal
    nodeAffinity:
      required:
        nodeSelectorTerms:
        - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [zone-a]}]
- apiVersion: v1
  kind: PersistentVolumeClaim
  metadata: {name: claim-here, namespace: jhub}
  spec:
    accessModes: [ReadWriteOnce]
    storageClassName: zonal
    volumeName: disk-a
    resources: {requests: {storage: 10Gi}}
---
apiVersion: kubesim.prevalidate.dev/v1
kind: ImageCatalog
spec:
  images:
  - image: quay.io/jupyterhub/k8s-singleuser-sample:4.0.0
    logs: ["[I 2026-12-05 ServerApp] Jupyter Server is running at http://jupyter-a:8888/"]
  - image: quay.io/org/crashes:1
    exitCode: 1
    logs: ["Traceback (most recent call last):", "  File \\"/opt/start.py\\", line 3",
           "ModuleNotFoundError: No module named 'jupyterhub'"]
  - image: quay.io/org/hungry:1
    oomKilled: true
    runSeconds: 0.05
  - image: quay.io/org/evicted:1
    evicted: true
    runSeconds: 0.1
  - image: quay.io/org/done:1
    exitCode: 0
---
apiVersion: kubesim.prevalidate.dev/v1
kind: SimSettings
spec: {crashLoopBackOffSeconds: 0.2, maxCrashLoopBackOffSeconds: 0.4, kubeletDelaySeconds: 0.01,
       imagePullBackOffSeconds: 0.2, maxImagePullBackOffSeconds: 0.4}
"""


def status_message(exc: ApiException) -> str:
    return str(json.loads(exc.body)["message"])


def container_status(sim: KubeSim, name: str) -> dict:
    pod = sim.store.peek("pods", "jhub", name) or {}
    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
    return statuses[0]


def kubespawner_pod(name: str, image: str, **resources: dict[str, str]) -> dict:
    pod = notebook_pod(name, image=image, restartPolicy="OnFailure", **resources)  # type: ignore[arg-type]
    return pod


@pytest.fixture
async def runtime(start_sim: StartSim) -> KubeSim:
    return await start_sim(CLUSTER)


async def test_a_crashing_notebook_goes_into_crash_loop_back_off(runtime: KubeSim) -> None:
    sim = runtime
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_pod("jhub", kubespawner_pod("jupyter-crash", "quay.io/org/crashes:1"))
        await until(sim, lambda: container_status(sim, "jupyter-crash").get("restartCount", 0) >= 2, WAIT)
        await until(sim, lambda: "waiting" in container_status(sim, "jupyter-crash").get("state", {}), WAIT)
        pod = await core.read_namespaced_pod("jupyter-crash", "jhub")  # deserialises cleanly
    cs = pod.status.container_statuses[0]
    uid = pod.metadata.uid
    assert pod.status.phase == "Running"  # restartPolicy OnFailure: the pod keeps running
    assert cs.state.waiting.reason == "CrashLoopBackOff"
    assert re.fullmatch(
        rf"back-off (200ms|400ms) restarting failed container=notebook pod=jupyter-crash_jhub\({uid}\)",
        cs.state.waiting.message)
    assert cs.last_state.terminated.exit_code == 1
    assert cs.last_state.terminated.reason == "Error"
    assert cs.ready is False
    events = pod_events(sim, "jupyter-crash")
    assert ("Warning", "BackOff",
            f"Back-off restarting failed container notebook in pod jupyter-crash_jhub({uid})") in events
    assert ("Normal", "Pulled",
            'Container image "quay.io/org/crashes:1" already present on machine') in events
    backoffs = [e for e in sim.store.items("events", "jhub")
                if e["involvedObject"]["name"] == "jupyter-crash" and e["reason"] == "BackOff"]
    assert len(backoffs) == 1 and backoffs[0]["count"] >= 2  # repeats aggregate, as the recorder does


async def test_an_oom_killed_notebook_says_oomkilled_with_exit_137(runtime: KubeSim) -> None:
    sim = runtime
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_pod("jhub", kubespawner_pod(
            "jupyter-oom", "quay.io/org/hungry:1", limits={"memory": "1Gi"}))
        await until(sim, lambda: (container_status(sim, "jupyter-oom").get("lastState") or {}).get(
            "terminated"), WAIT)
        pod = await core.read_namespaced_pod("jupyter-oom", "jhub")
    last = pod.status.container_statuses[0].last_state.terminated
    assert (last.reason, last.exit_code) == ("OOMKilled", 137)
    assert pod.status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"


async def test_an_evicted_pod_fails_with_the_eviction_managers_message(runtime: KubeSim) -> None:
    sim = runtime
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_pod("jhub", kubespawner_pod(
            "jupyter-evict", "quay.io/org/evicted:1", requests={"memory": "1Gi"}))
        await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-evict")["status"].get(
            "phase") == "Failed", WAIT)
        pod = await core.read_namespaced_pod("jupyter-evict", "jhub")
    expected = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki. "
                "Container notebook was using 2Gi, request is 1Gi, has larger consumption of memory. ")
    assert (pod.status.reason, pod.status.message) == ("Evicted", expected)
    conditions = {c.type: c for c in pod.status.conditions}
    assert conditions["DisruptionTarget"].reason == "TerminationByKubelet"
    assert conditions["Ready"].status == "False"
    assert pod.status.container_statuses[0].state.terminated.exit_code == 137
    assert ("Warning", "Evicted", expected) in pod_events(sim, "jupyter-evict")
    assert ("Normal", "Killing", "Stopping container notebook") in pod_events(sim, "jupyter-evict")


async def test_exit_zero_with_on_failure_completes(runtime: KubeSim) -> None:
    sim = runtime
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod(
            "jhub", kubespawner_pod("jupyter-done", "quay.io/org/done:1"))
    await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-done")["status"].get(
        "phase") == "Succeeded", WAIT)
    assert container_status(sim, "jupyter-done")["state"]["terminated"]["reason"] == "Completed"


async def test_the_log_endpoint_serves_current_and_previous_runs(runtime: KubeSim) -> None:
    sim = runtime
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_pod("jhub", kubespawner_pod("jupyter-crash", "quay.io/org/crashes:1"))
        await until(sim, lambda: container_status(sim, "jupyter-crash").get("restartCount", 0) >= 1, WAIT)
        text = await core.read_namespaced_pod_log("jupyter-crash", "jhub", tail_lines=1)
        assert text == "ModuleNotFoundError: No module named 'jupyterhub'\n"
        previous = await core.read_namespaced_pod_log("jupyter-crash", "jhub", previous=True,
                                                      container="notebook")
        assert previous.splitlines()[0] == "Traceback (most recent call last):"
        assert len(previous.splitlines()) == 3

        await core.create_namespaced_pod("jhub", kubespawner_pod(
            "jupyter-ok", "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"))
        await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-ok")["status"].get(
            "phase") == "Running", WAIT)
        assert "Jupyter Server is running" in await core.read_namespaced_pod_log("jupyter-ok", "jhub")
        with pytest.raises(ApiException) as caught:
            await core.read_namespaced_pod_log("jupyter-ok", "jhub", previous=True)
        assert caught.value.status == 400
        assert status_message(caught.value) == \
            'previous terminated container "notebook" in pod "jupyter-ok" not found'
        with pytest.raises(ApiException) as caught:
            await core.read_namespaced_pod_log("jupyter-ok", "jhub", container="sidecar")
        assert caught.value.status == 400
        assert status_message(caught.value) == "container sidecar is not valid for pod jupyter-ok"
        with pytest.raises(ApiException) as caught:
            await core.read_namespaced_pod_log("nobody", "jhub")
        assert caught.value.status == 404


async def test_logs_of_a_container_still_pulling_are_refused_as_the_kubelet_does(
        runtime: KubeSim) -> None:
    sim = runtime
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_pod("jhub", kubespawner_pod("jupyter-pull", "quay.io/org/missing:1"))
        await until(sim, lambda: (container_status(sim, "jupyter-pull").get("state") or {}).get(
            "waiting", {}).get("reason") in ("ErrImagePull", "ImagePullBackOff"), WAIT)
        with pytest.raises(ApiException) as caught:
            await core.read_namespaced_pod_log("jupyter-pull", "jhub")
    assert caught.value.status == 400
    assert re.fullmatch(r'container "notebook" in pod "jupyter-pull" is waiting to start: '
                        r"(image can't be pulled|trying and failing to pull image)",
                        status_message(caught.value))


async def test_forbidding_pods_log_refuses_only_the_log(start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER + """---
apiVersion: kubesim.prevalidate.dev/v1
kind: SimSettings
spec: {forbid: [pods/log]}
""")
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_pod("jhub", kubespawner_pod(
            "jupyter-ok", "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"))
        await core.read_namespaced_pod("jupyter-ok", "jhub")
        with pytest.raises(ApiException) as caught:
            await core.read_namespaced_pod_log("jupyter-ok", "jhub")
    assert caught.value.status == 403
    assert status_message(caught.value) == (
        'pods "jupyter-ok" is forbidden: User "system:serviceaccount:jhub:hub" cannot get resource '
        '"pods/log" in API group "" in the namespace "jhub"')


def test_go_durations_print_as_time_duration_does() -> None:
    assert [go_duration(s) for s in (10, 20, 40, 80, 160, 300, 0.2, 1.5, 3600)] == [
        "10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "200ms", "1.5s", "1h0m0s"]


async def test_a_container_that_dies_at_once_is_never_reported_ready(runtime: KubeSim) -> None:
    """KubeSpawner's wait takes a Running pod with ready containers for a started server: one
    that crashed within the kubelet's status period must never look like that."""
    sim = runtime
    seen: list[bool] = []

    def watch(change: Change) -> None:
        if change.resource == "pods" and change.obj["metadata"]["name"] == "jupyter-crash":
            seen.append(any(s.get("ready") for s in change.obj.get("status", {}).get(
                "containerStatuses") or []))

    sim.store.listeners.append(watch)
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod(
            "jhub", kubespawner_pod("jupyter-crash", "quay.io/org/crashes:1"))
    await until(sim, lambda: container_status(sim, "jupyter-crash").get("restartCount", 0) >= 2, WAIT)
    assert seen and not any(seen)  # each run: terminated straight away


async def test_an_image_without_the_command_fails_to_start_then_backs_off(start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER + """---
apiVersion: kubesim.prevalidate.dev/v1
kind: ImageCatalog
spec: {images: [{image: docker.io/library/python:3.12, startError: true}]}
""")
    pod = kubespawner_pod("jupyter-nocmd", "python:3.12")
    pod["spec"]["containers"][0]["command"] = ["jupyterhub-singleuser"]
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod("jhub", pod)
    await until(sim, lambda: (container_status(sim, "jupyter-nocmd").get("state") or {}).get(
        "waiting", {}).get("reason") == "CrashLoopBackOff", WAIT)
    cs = container_status(sim, "jupyter-nocmd")
    expected = ('failed to create containerd task: failed to create shim task: OCI runtime create failed: '
                'runc create failed: unable to start container process: exec: "jupyterhub-singleuser": '
                "executable file not found in $PATH: unknown")
    assert cs["lastState"]["terminated"]["reason"] == "StartError"
    assert cs["lastState"]["terminated"]["exitCode"] == 128
    assert cs["lastState"]["terminated"]["message"] == expected
    events = pod_events(sim, "jupyter-nocmd")
    assert ("Warning", "Failed", f"Error: {expected}") in events
    assert not any(r == "Started" for _, r, _ in events)


async def test_a_running_pod_can_be_evicted_on_demand(runtime: KubeSim) -> None:
    sim = runtime
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod("jhub", kubespawner_pod(
            "jupyter-ok", "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0", limits={"memory": "3Gi"}))
    await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-ok")["status"].get("phase") == "Running",
                WAIT)
    await sim.kubelet.evict("jhub", "jupyter-ok")
    status = sim.store.peek("pods", "jhub", "jupyter-ok")["status"]
    assert (status["phase"], status["reason"]) == ("Failed", "Evicted")
    assert "Container notebook was using 3Gi, request is 3Gi" in status["message"]
