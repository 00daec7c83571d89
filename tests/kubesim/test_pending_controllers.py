"""kubesim: states the controllers have not reached yet (issue 9, family 5), and prevalidate's
verdict on the same cluster file.

- A ResourceQuota is enforced only from `status.hard`, which the resourcequota controller writes
  (staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go `CheckRequest`
  reads `Status.Hard`/`Status.Used` only; pkg/controller/resourcequota `syncResourceQuota`
  copies `spec.hard`). `SimSettings.quotaSyncSeconds` is how long that controller takes.
- A claim of a storage class with no StorageClass object is bound statically by class name
  (pkg/controller/volume/persistentvolume `syncUnboundClaim` -> `findBestMatchForClaim`;
  `IsDelayBindingMode` treats a missing class as Immediate).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes_asyncio import client

from prevalidate.kube.dump import load_cluster
from prevalidate.model.settings import Settings
from prevalidate.testing.kubesim import KubeSim
from prevalidate.validators import run_all

from .conftest import StartSim, api_client, notebook_pod, until

BASE = """
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: jhub}}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: default, namespace: jhub}}
- apiVersion: v1
  kind: Node
  metadata: {name: worker-1, labels: {kubernetes.io/os: linux, kubernetes.io/arch: amd64}}
  status: {allocatable: {cpu: "8", memory: 32Gi, pods: "110"}}
- apiVersion: storage.k8s.io/v1
  kind: StorageClass
  metadata:
    name: standard
    annotations: {storageclass.kubernetes.io/is-default-class: "true"}
  provisioner: rancher.io/local-path
  volumeBindingMode: WaitForFirstConsumer
"""
UNSYNCED_QUOTA = """
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: jhub}
spec: {hard: {requests.cpu: "1", pods: "0"}}
"""
SLOW_CONTROLLER = """
---
apiVersion: kubesim.prevalidate.dev/v1
kind: SimSettings
spec: {quotaSyncSeconds: %s}
"""
CPU_POD = notebook_pod("jupyter-alice", requests={"cpu": "2"})


def _pod(name: str, **spec: Any) -> dict[str, Any]:
    body = notebook_pod(name, requests={"cpu": "2"}, **spec)
    body["metadata"]["namespace"] = "jhub"
    return body


async def _create(sim: KubeSim, body: dict[str, Any]) -> int:
    async with api_client(sim) as api:
        response = await client.CoreV1Api(api).create_namespaced_pod("jhub", body, _preload_content=False)
        response.release()
        return int(response.status)


def _ours(path: Path, body: dict[str, Any], **kw: Any) -> Any:
    return run_all(body, load_cluster(path), Settings(offline=True), **kw)


async def test_a_quota_from_a_dump_not_yet_synced_admits_the_pod_and_so_do_we(
    start_sim: StartSim, tmp_path: Path
) -> None:
    text = BASE + UNSYNCED_QUOTA + SLOW_CONTROLLER % 3600
    path = tmp_path / "cluster.yaml"
    path.write_text(text)
    verdict = _ours(path, _pod("jupyter-alice"))
    assert verdict.allowed and [f.code.value for f in verdict.findings] == ["quota-not-synced"]
    sim = await start_sim(text)
    assert sim.store.peek("resourcequotas", "jhub", "compute")["status"] == {}
    assert await _create(sim, _pod("jupyter-alice")) == 201


async def test_the_same_quota_once_synced_refuses_the_pod_and_so_do_we(
    start_sim: StartSim, tmp_path: Path
) -> None:
    text = BASE + UNSYNCED_QUOTA  # quotaSyncSeconds 0: the controller has already run
    sim = await start_sim(text)
    synced = sim.store.peek("resourcequotas", "jhub", "compute")
    assert synced["status"]["hard"] == {"requests.cpu": "1", "pods": "0"}
    assert await _create(sim, _pod("jupyter-alice")) == 403
    path = tmp_path / "cluster.yaml"
    path.write_text(BASE + UNSYNCED_QUOTA + 'status: {hard: {requests.cpu: "1", pods: "0"}, used: {}}\n')
    assert not _ours(path, _pod("jupyter-alice")).allowed


async def test_a_quota_created_through_the_api_is_enforced_only_after_the_controller_syncs(
    start_sim: StartSim,
) -> None:
    sim = await start_sim(BASE + SLOW_CONTROLLER % 0.3)
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        quota = await core.create_namespaced_resource_quota(
            "jhub", {"metadata": {"name": "compute"}, "spec": {"hard": {"pods": "1"}}}
        )
        assert quota.status is None or not quota.status.hard  # PrepareForCreate drops status
    assert await _create(sim, _pod("p1")) == 201
    assert await _create(sim, _pod("p2")) == 201  # pods: 1 is not in status.hard yet
    await until(
        sim, lambda: (sim.store.peek("resourcequotas", "jhub", "compute").get("status") or {}).get("hard")
    )
    assert sim.store.peek("resourcequotas", "jhub", "compute")["status"]["used"] == {"pods": "2"}
    assert await _create(sim, _pod("p3")) == 403


async def test_an_edited_quota_keeps_its_old_status_hard_until_synced(start_sim: StartSim) -> None:
    sim = await start_sim(BASE + SLOW_CONTROLLER % 0.3)
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_resource_quota(
            "jhub", {"metadata": {"name": "compute"}, "spec": {"hard": {"pods": "5"}}}
        )
        await until(
            sim, lambda: (sim.store.peek("resourcequotas", "jhub", "compute").get("status") or {}).get("hard")
        )
        await core.patch_namespaced_resource_quota("compute", "jhub", {"spec": {"hard": {"pods": "0"}}})
        assert await _create(sim, _pod("p1")) == 201  # status.hard still says 5
        await until(
            sim,
            lambda: sim.store.peek("resourcequotas", "jhub", "compute")["status"]["hard"] == {"pods": "0"},
        )
        assert await _create(sim, _pod("p2")) == 403


# ---- claims of a storage class that has no StorageClass object -------------------------------------

FAST_CLAIM = """
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim-alice, namespace: jhub}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Gi}}
  storageClassName: fast
"""


def _volume(
    name: str, klass: str = "fast", size: str = "20Gi", modes: tuple[str, ...] = ("ReadWriteOnce",)
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": list(modes),
            "storageClassName": klass,
            "hostPath": {"path": f"/data/{name}"},
        },
    }


def _claim_phase(sim: KubeSim) -> str:
    return str(
        (sim.store.peek("persistentvolumeclaims", "jhub", "claim-alice") or {}).get("status", {}).get("phase")
    )


async def test_a_claim_of_a_class_without_object_waits_then_binds_to_a_volume_of_that_class(
    start_sim: StartSim, tmp_path: Path
) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(BASE + FAST_CLAIM)
    body = _pod(
        "jupyter-alice", volumes=[{"name": "home", "persistentVolumeClaim": {"claimName": "claim-alice"}}]
    )
    verdict = _ours(path, body)
    assert verdict.allowed  # a warning, not a refusal
    assert [(f.code.value, f.facts["state"]) for f in verdict.findings] == [
        ("pvc-not-bound", "no-storage-class")
    ]

    sim = await start_sim(BASE + FAST_CLAIM)
    assert await _create(sim, body) == 201
    await until(
        sim,
        lambda: any(
            c.get("reason") == "Unschedulable"
            for c in (sim.store.peek("pods", "jhub", "jupyter-alice") or {})
            .get("status", {})
            .get("conditions", [])
        ),
    )
    assert _claim_phase(sim) == "Pending"
    await _create_volumes(sim, _volume("small", size="1Gi"), _volume("other-class", klass="slow"))
    await until(sim, lambda: sim.store.peek("persistentvolumes", "", "other-class"))
    assert _claim_phase(sim) == "Pending"  # too small, another class: no match
    await _create_volumes(sim, _volume("fast-1"))
    await until(sim, lambda: _claim_phase(sim) == "Bound")
    claim = sim.store.peek("persistentvolumeclaims", "jhub", "claim-alice")
    assert claim["spec"]["volumeName"] == "fast-1"
    assert sim.store.peek("persistentvolumes", "", "fast-1")["spec"]["claimRef"]["name"] == "claim-alice"
    await until(
        sim, lambda: (sim.store.peek("pods", "jhub", "jupyter-alice") or {}).get("spec", {}).get("nodeName")
    )


async def test_a_new_claim_of_a_class_without_object_binds_at_once_to_an_existing_volume(
    start_sim: StartSim,
) -> None:
    sim = await start_sim(BASE)
    await _create_volumes(sim, _volume("fast-1", modes=("ReadWriteOnce", "ReadOnlyMany")))
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_persistent_volume_claim(
            "jhub",
            {
                "metadata": {"name": "claim-alice"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "10Gi"}},
                    "storageClassName": "fast",
                },
            },
        )
    await until(sim, lambda: _claim_phase(sim) == "Bound")


async def test_the_newest_default_class_is_filled_into_a_claim(start_sim: StartSim) -> None:
    """pkg/volume/util/storageclass.go GetDefaultClass: newest creationTimestamp wins."""
    newer = """
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: zz-newer
  creationTimestamp: "2100-01-01T00:00:00Z"
  annotations: {storageclass.beta.kubernetes.io/is-default-class: "true"}
provisioner: example.com/csi
volumeBindingMode: WaitForFirstConsumer
"""
    sim = await start_sim(BASE + newer)
    async with api_client(sim) as api:
        claim = await client.CoreV1Api(api).create_namespaced_persistent_volume_claim(
            "jhub",
            {
                "metadata": {"name": "c"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            },
        )
    assert claim.spec.storage_class_name == "zz-newer"


async def _create_volumes(sim: KubeSim, *volumes: dict[str, Any]) -> None:
    async with api_client(sim) as api:
        for volume in volumes:
            await client.CoreV1Api(api).create_persistent_volume(volume)
