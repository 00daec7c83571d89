"""Admission in kube-apiserver's order with the exact messages of the facts document:
decode (400) → defaults → field validation (422) → LimitRanger (403) → ResourceQuota (403)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes_asyncio import client

from prevalidate.testing.kubesim import KubeSim

from .conftest import CLUSTER, StartSim, api_client, notebook_pod, until

STRICT = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: strict}
spec: {hard: {limits.cpu: "4", requests.memory: 8Gi}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: storage, namespace: strict}
spec: {hard: {requests.storage: 100Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: big, namespace: strict}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 95Gi}}}
"""


async def reject(core: client.CoreV1Api, body: dict[str, Any],
                 ns: str = "jhub") -> tuple[int, dict[str, Any]]:
    with pytest.raises(client.ApiException) as caught:
        await core.create_namespaced_pod(ns, body)
    return caught.value.status, json.loads(caught.value.body)


async def test_over_quota_is_403_with_the_exact_exceeded_quota_message(
        core: client.CoreV1Api) -> None:
    # 2 CPUs and 4Gi are already used by jupyter-existing; hard: requests.cpu 6, requests.memory 16Gi
    status, body = await reject(core, notebook_pod("jupyter-alice", requests={"cpu": "5", "memory": "1Gi"}))
    assert status == 403
    assert body["reason"] == "Forbidden"
    assert body["details"] == {"name": "jupyter-alice", "kind": "pods"}
    assert body["message"] == (
        'pods "jupyter-alice" is forbidden: exceeded quota: compute, requested: requests.cpu=5, '
        "used: requests.cpu=2, limited: requests.cpu=6")


async def test_quota_lists_every_exceeded_resource_sorted(core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", notebook_pod("jupyter-big", limits={"memory": "8Gi"}))
    _status, body = await reject(core, notebook_pod(
        "jupyter-bob", requests={"cpu": "5", "memory": "5Gi"}, limits={"memory": "5Gi"}))
    assert body["message"] == (
        'pods "jupyter-bob" is forbidden: exceeded quota: compute, requested: '
        "requests.cpu=5,requests.memory=5Gi, used: requests.cpu=2100m,requests.memory=12Gi, "
        "limited: requests.cpu=6,requests.memory=16Gi")


async def test_quota_used_is_charged_on_create_and_released_on_delete(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", notebook_pod("jupyter-carol", limits={"memory": "2Gi"}))
    quota = await core.read_namespaced_resource_quota("compute", "jhub")
    # limits are copied to missing requests; LimitRange defaultRequest gives cpu 100m
    assert quota.status.used == {"requests.cpu": "2100m", "requests.memory": "6Gi",
                                 "limits.memory": "6Gi", "pods": "2"}
    await core.delete_namespaced_pod("jupyter-carol", "jhub", grace_period_seconds=0)
    await until(sim, lambda: sim.store.peek("resourcequotas", "jhub", "compute")["status"]["used"]
                ["pods"] == "1")
    quota = await core.read_namespaced_resource_quota("compute", "jhub")
    assert quota.status.used == {"requests.cpu": "2", "requests.memory": "4Gi",
                                 "limits.memory": "4Gi", "pods": "1"}


async def test_limitrange_defaults_are_applied_and_annotated(core: client.CoreV1Api) -> None:
    pod = await core.create_namespaced_pod("jhub", notebook_pod("jupyter-dave"))
    resources = pod.spec.containers[0].resources
    assert resources.requests == {"cpu": "100m", "memory": "512Mi"}
    assert resources.limits == {"memory": "1Gi"}
    assert pod.metadata.annotations["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container notebook; "
        "memory limit for container notebook")


async def test_limitrange_max_violation_is_403(core: client.CoreV1Api) -> None:
    status, body = await reject(core, notebook_pod("jupyter-erin", limits={"memory": "16Gi"}))
    assert status == 403
    assert body["message"] == (
        'pods "jupyter-erin" is forbidden: maximum memory usage per Container is 12Gi, '
        "but limit is 16Gi")


async def test_field_validation_422_wins_over_quota_403(core: client.CoreV1Api) -> None:
    status, body = await reject(core, notebook_pod(
        "jupyter-alice", requests={"cpu": "200"}, limits={"cpu": "100"}))
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"] == (
        'Pod "jupyter-alice" is invalid: spec.containers[0].resources.requests: Invalid value: '
        '"200": must be less than or equal to cpu limit of 100')
    assert body["details"]["causes"][0]["field"] == "spec.containers[0].resources.requests"


async def test_several_field_errors_are_listed_together(core: client.CoreV1Api) -> None:
    status, body = await reject(core, notebook_pod(
        "jupyter-alice", image="", limits={"nvidia.com/gpu": "0.5"}))
    assert status == 422
    assert body["message"] == (
        'Pod "jupyter-alice" is invalid: [spec.containers[0].image: Required value, '
        'spec.containers[0].resources.limits[nvidia.com/gpu]: Invalid value: "500m": '
        "must be an integer, "
        # the limit was copied to the missing request before validation, so it fails too
        'spec.containers[0].resources.requests[nvidia.com/gpu]: Invalid value: "500m": '
        "must be an integer]")


async def test_bad_quantity_is_400_with_go_parse_error(core: client.CoreV1Api) -> None:
    status, body = await reject(core, notebook_pod("jupyter-alice", requests={"memory": "1K"}))
    assert (status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == (
        "Pod in version \"v1\" cannot be handled as a Pod: unable to parse quantity's suffix")


async def test_quantities_are_echoed_as_the_apiserver_prints_them(core: client.CoreV1Api) -> None:
    pod = await core.create_namespaced_pod("jhub", notebook_pod(
        "jupyter-frank", requests={"cpu": "0.5", "memory": " 1.5Gi"}, limits={"memory": "2048Mi"}))
    assert pod.spec.containers[0].resources.requests == {"cpu": "500m", "memory": "1536Mi"}
    assert pod.spec.containers[0].resources.limits == {"memory": "2Gi"}


async def test_must_specify_lists_missing_resources_per_container(start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER, STRICT)
    body = notebook_pod("jupyter-alice", requests={"memory": "1Gi"})
    body["spec"]["initContainers"] = [{"name": "init-home", "image": "busybox"}]
    async with api_client(sim) as api:
        status, answer = await reject(client.CoreV1Api(api), body, "strict")
    assert status == 403
    assert answer["message"] == (
        'pods "jupyter-alice" is forbidden: failed quota: compute: must specify '
        "limits.cpu for: init-home,notebook; requests.memory for: init-home")


async def test_pvc_over_storage_quota_is_403(start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER, STRICT)
    claim = {"metadata": {"name": "claim-alice"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        with pytest.raises(client.ApiException) as caught:
            await core.create_namespaced_persistent_volume_claim("strict", claim)
    assert caught.value.status == 403
    assert json.loads(caught.value.body)["message"] == (
        'persistentvolumeclaims "claim-alice" is forbidden: exceeded quota: storage, '
        "requested: requests.storage=10Gi, used: requests.storage=95Gi, "
        "limited: requests.storage=100Gi")


async def test_default_storage_class_is_filled_into_new_claims(core: client.CoreV1Api) -> None:
    claim = await core.create_namespaced_persistent_volume_claim("jhub", {
        "metadata": {"name": "claim-gina"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    assert claim.spec.storage_class_name == "standard"
    assert claim.status.phase == "Pending"  # WaitForFirstConsumer: bound when a pod is scheduled


async def test_missing_service_account_is_403(core: client.CoreV1Api) -> None:
    status, body = await reject(core, notebook_pod("jupyter-hal", serviceAccountName="robot"))
    assert status == 403
    assert body["message"] == ('pods "jupyter-hal" is forbidden: error looking up service '
                               'account jhub/robot: serviceaccount "robot" not found')


PRIORITY = """
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: default-users}
value: 100
globalDefault: true
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: users-only, namespace: default}
spec:
  hard: {requests.cpu: "1"}
  scopeSelector:
    matchExpressions: [{scopeName: PriorityClass, operator: In, values: [default-users]}]
"""


async def test_the_global_default_priority_class_is_filled_in_and_scopes_quota(
        start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER, PRIORITY)
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        pod = await core.create_namespaced_pod("default", notebook_pod("p1", requests={"cpu": "1"}))
        assert (pod.spec.priority_class_name, pod.spec.priority) == ("default-users", 100)
        _, body = await reject(core, notebook_pod("p2", requests={"cpu": "1"}), "default")
        assert body["message"] == ('pods "p2" is forbidden: exceeded quota: users-only, requested: '
                                   "requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1")
        # a pod in another class is outside the quota's scope
        await core.create_namespaced_pod("default", notebook_pod(
            "p3", requests={"cpu": "1"}, priorityClassName="system-cluster-critical"))


async def test_an_unknown_priority_class_is_403(core: client.CoreV1Api) -> None:
    status, body = await reject(core, notebook_pod("p", priorityClassName="vip"))
    assert status == 403
    assert body["message"] == 'pods "p" is forbidden: no PriorityClass with name vip was found'
