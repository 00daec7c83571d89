"""One case per understood disagreement in known.py, pinned on the real control plane, plus
the bound-claim case both sides admit. If Kubernetes or prevalidate changes its mind, these
fail and known.py must be revisited."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from prevalidate.testing.realplane import RealCluster, schedule

from .judge import dump, ours

CLUSTER = """
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: agree}}
- apiVersion: v1
  kind: Node
  metadata: {name: worker, labels: {kubernetes.io/hostname: worker, kubernetes.io/os: linux}}
  status: {allocatable: {cpu: "8", memory: 32Gi, pods: "110"}}
- apiVersion: storage.k8s.io/v1
  kind: StorageClass
  metadata: {name: local}
  provisioner: kubernetes.io/no-provisioner
  volumeBindingMode: WaitForFirstConsumer
- apiVersion: storage.k8s.io/v1
  kind: StorageClass
  metadata: {name: fast}
  provisioner: example.com/fast
  volumeBindingMode: Immediate
- apiVersion: v1
  kind: PersistentVolumeClaim
  metadata: {name: CLAIM, namespace: agree}
  spec: {accessModes: [ReadWriteOnce], storageClassName: CLASS, resources: {requests: {storage: 1Gi}}}
  status: {phase: PHASE}
"""


def pod_with_claim(claim: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nb", "namespace": "agree"},
            "spec": {"containers": [{"name": "nb", "image": "quay.io/jupyter/base-notebook:2024-05-27",
                                     "volumeMounts": [{"name": "home", "mountPath": "/home"}]}],
                     "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": claim}}]}}


@pytest.mark.parametrize(
    ("storage_class", "phase", "real_message"),
    [
        # volumebinding PreFilter: UnschedulableAndUnresolvable until the provisioner binds it
        ("fast", "Pending", "pod has unbound immediate PersistentVolumeClaims"),
        # binder.go FindPodVolumes: no-provisioner and no PersistentVolume to bind to
        ("local", "Pending", "didn't find available persistent volumes to bind"),
        # a Bound claim (the loader gives it its PersistentVolume): scheduled
        ("local", "Bound", None),
    ],
)
def test_claims_kubernetes_leaves_pending_are_allowed_by_us(
    real_cluster: RealCluster, tmp_path: Path, storage_class: str, phase: str, real_message: str | None
) -> None:
    real_cluster.load(
        CLUSTER.replace("CLAIM", "home").replace("CLASS", storage_class).replace("PHASE", phase)
    )
    pod = real_cluster.in_namespace(pod_with_claim("home"))
    admission, scheduling = schedule(real_cluster.api, pod)
    assert admission.allowed and scheduling is not None
    if real_message is None:
        assert scheduling.scheduled
    else:
        assert not scheduling.scheduled and real_message in scheduling.message
    cluster_file = tmp_path / "dump.yaml"
    cluster_file.write_text(yaml.safe_dump(dump(real_cluster.api, real_cluster.ns("agree"))))
    # Never a refusal: the claim may yet bind (a provisioner, an admin's PV) — fail open.
    assert ours(pod, cluster_file).allowed


PREEMPTION = """
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: agree}}
- {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: low}, value: 10}
- {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: high}, value: 1000}
- {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: high-never}, value: 1000,
   preemptionPolicy: Never}
- apiVersion: v1
  kind: Node
  metadata: {name: worker, labels: {kubernetes.io/hostname: worker, kubernetes.io/os: linux}}
  status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
- apiVersion: v1
  kind: Pod
  metadata: {name: low-0, namespace: agree}
  spec:
    nodeName: worker
    priorityClassName: low
    containers:
    - {name: c, image: quay.io/jupyter/base-notebook:2024-05-27,
       resources: {requests: {cpu: "4", memory: 1Gi}, limits: {cpu: "4", memory: 1Gi}}}
  status: {phase: Running}
"""


def _victim_goes(real_cluster: RealCluster, seconds: float = 20.0) -> bool:
    """kube-scheduler deletes preemption victims asynchronously (SchedulerAsyncPreemption, on by
    default since v1.33): the nomination can be written before the victim's deletion. Wait for it."""
    deadline = time.monotonic() + seconds
    while True:
        victim = real_cluster.api.get("Pod", "low-0", real_cluster.ns("agree"))
        if victim is None or victim["metadata"].get("deletionTimestamp"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


@pytest.mark.parametrize(("priority_class", "preempts"), [("high", True), ("high-never", False)])
def test_preemption_is_judged_by_the_nomination(
    real_cluster: RealCluster, tmp_path: Path, priority_class: str, preempts: bool
) -> None:
    """The node is full of a `low` pod. kube-scheduler preempts it for a `high` pod: the pod is
    nominated (`status.nominatedNodeName`), the victim deleted, and it binds once a kubelet has
    ended the victim — which counts as allowed, as prevalidate says (preemption-expected). With
    preemptionPolicy Never it stays Unschedulable, and prevalidate refuses (no-node-fits)."""
    real_cluster.load(PREEMPTION)
    pod = real_cluster.in_namespace({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nb", "namespace": "agree"},
        "spec": {"priorityClassName": priority_class, "containers": [{
            "name": "nb", "image": "quay.io/jupyter/base-notebook:2024-05-27",
            "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}})
    cluster_file = tmp_path / "dump.yaml"
    cluster_file.write_text(yaml.safe_dump(dump(real_cluster.api, real_cluster.ns("agree"))))
    verdict = ours(pod, cluster_file)
    admission, scheduling = schedule(real_cluster.api, pod)
    assert admission.allowed and scheduling is not None and not scheduling.scheduled
    assert "1 Insufficient cpu" in scheduling.message
    if preempts:
        assert scheduling.nominated == "worker", scheduling
        assert verdict.allowed, verdict
        assert _victim_goes(real_cluster), "the scheduler nominated the node but kept the victim"
    else:
        assert scheduling.nominated is None, scheduling
        assert not verdict.allowed and verdict.families == {"scheduling"}, verdict
