"""The seeds/000 failures, reproduced on a real kube-apiserver and kube-scheduler (v1.37, built
by scripts/bootstrap-k8s), and `prevalidate check`'s verdict on the same cluster file and pod.

The hub operator's notes list four failures: the quota 403 (`exceeded quota: ...`), 120 CPUs
left Pending with `0/N nodes are available: ... Insufficient cpu`, a PVC that does not exist
(`persistentvolumeclaim "x" not found` from the scheduler) and an image that does not exist.
The first three come from admission (plugin/pkg/admission/resourcequota) and the scheduler
(pkg/scheduler/framework/plugins/noderesources/fit.go, volumebinding/volume_binding.go); the
fourth only from a kubelet pulling the image, which this plane has not got.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from prevalidate.kube.dump import load_cluster
from prevalidate.model.settings import Settings
from prevalidate.testing.realplane import RealCluster, admit, failed_scheduling_events, schedule
from prevalidate.testing.realplane.api import wait_for
from prevalidate.validators import run_all

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CLUSTER = EXAMPLES / "cluster.yaml"


def example_pod(name: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / "pods" / f"{name}.yaml").read_text())


def with_roomy_quota(tmp_path: Path) -> Path:
    """examples/cluster.yaml with the compute quota raised far above any node, so that only
    the nodes can refuse 120 CPUs: the seed's "allowed by quota but fits no node"."""
    text = CLUSTER.read_text().replace(
        'requests.cpu: "32", requests.memory: 128Gi, limits.cpu: "64"',
        'requests.cpu: "512", requests.memory: 128Gi, limits.cpu: "512"',
    )
    assert text != CLUSTER.read_text()
    path = tmp_path / "cluster.yaml"
    path.write_text(text)
    return path


def ours(cluster: Path, pod: dict[str, Any]) -> tuple[bool, set[str]]:
    """`prevalidate check --offline`'s verdict: allowed, and the codes of its errors."""
    verdict = run_all(pod, load_cluster(cluster), Settings(offline=True), {})
    return verdict.allowed, {f.code.value for f in verdict.findings if f.severity.value == "error"}


def test_quota_403_is_the_apiservers_own_text(real_cluster: RealCluster) -> None:
    """8 CPUs guaranteed with 6 of 32 left: the ResourceQuota admission plugin's 403
    (plugin/pkg/admission/resourcequota/controller.go, checkRequest), word for word."""
    real_cluster.load(CLUSTER)
    pod = example_pod("quota-exceeded")
    admission = admit(real_cluster.api, real_cluster.in_namespace(pod))
    assert admission.status == 403 and admission.reason == "Forbidden"
    assert admission.message == (
        'pods "jupyter-alice" is forbidden: exceeded quota: compute, requested: requests.cpu=8, '
        "used: requests.cpu=26, limited: requests.cpu=32"
    )
    assert ours(CLUSTER, pod) == (False, {"quota-exceeded"})


def test_a_pod_using_exactly_the_quota_left_is_admitted_by_both(real_cluster: RealCluster) -> None:
    """6 CPUs when 6 are left: the quota check is `used + requested > hard`, so it fits."""
    real_cluster.load(CLUSTER)
    pod = example_pod("quota-exceeded")
    pod["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "6", "memory": "16Gi"}, "limits": {"cpu": "6", "memory": "16Gi"}
    }
    admission, scheduling = schedule(real_cluster.api, real_cluster.in_namespace(pod))
    assert admission.allowed and scheduling is not None and scheduling.scheduled
    assert ours(CLUSTER, pod) == (True, set())


def test_120_cpus_fit_no_node_in_the_schedulers_words(real_cluster: RealCluster, tmp_path: Path) -> None:
    """Quota allows 120 CPUs, no node has them: the scheduler's FailedScheduling event and
    PodScheduled condition say `0/6 nodes are available: ... Insufficient cpu`
    (noderesources/fit.go; the untolerated taint and the cordoned node from their plugins)."""
    cluster = with_roomy_quota(tmp_path)
    real_cluster.load(cluster)
    pod = example_pod("too-many-cpus")
    admission, scheduling = schedule(real_cluster.api, real_cluster.in_namespace(pod))
    assert admission.allowed, admission.message
    assert scheduling is not None and not scheduling.scheduled
    assert scheduling.reason == "Unschedulable"
    assert scheduling.message.startswith("0/6 nodes are available: ")
    assert "4 Insufficient cpu" in scheduling.message
    assert "1 node(s) had untolerated taint(s)" in scheduling.message or \
        "1 node(s) had untolerated taint {nvidia.com/gpu: present}" in scheduling.message
    assert "1 node(s) were unschedulable" in scheduling.message
    ns = real_cluster.ns("jhub")
    events = wait_for(lambda: failed_scheduling_events(real_cluster.api, ns, "jupyter-alice"), 10,
                      "the FailedScheduling event")
    assert events[0] == scheduling.message
    assert ours(cluster, pod) == (False, {"no-node-fits"})


def test_the_largest_node_exactly_is_scheduled_by_both(real_cluster: RealCluster, tmp_path: Path) -> None:
    """62.5 CPUs is big-1's whole allocatable and nothing runs there: it fits (fit.go compares
    requested + used > allocatable)."""
    cluster = with_roomy_quota(tmp_path)
    real_cluster.load(cluster)
    pod = example_pod("too-many-cpus")
    pod["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "62500m", "memory": "16Gi"}, "limits": {"cpu": "62500m", "memory": "16Gi"}
    }
    admission, scheduling = schedule(real_cluster.api, real_cluster.in_namespace(pod))
    assert admission.allowed and scheduling is not None and scheduling.node == "big-1"
    assert ours(cluster, pod) == (True, set())


def test_missing_pvc_is_the_schedulers_not_found(real_cluster: RealCluster) -> None:
    """A claim that does not exist: admission accepts the pod, the VolumeBinding plugin's
    PreFilter refuses it on every node with `persistentvolumeclaim "claim-alcie" not found`."""
    real_cluster.load(CLUSTER)
    pod = example_pod("missing-pvc")
    admission, scheduling = schedule(real_cluster.api, real_cluster.in_namespace(pod))
    assert admission.allowed, admission.message
    assert scheduling is not None and not scheduling.scheduled
    assert re.match(r'0/6 nodes are available: persistentvolumeclaim "claim-alcie" not found\.',
                    scheduling.message), scheduling.message
    assert ours(CLUSTER, pod) == (False, {"pvc-not-found"})


def test_the_valid_spawn_is_admitted_and_scheduled_by_both(real_cluster: RealCluster) -> None:
    """The same pod with the right claim names: admitted, defaulted by the LimitRange, bound."""
    real_cluster.load(CLUSTER)
    pod = example_pod("valid")
    admission, scheduling = schedule(real_cluster.api, real_cluster.in_namespace(pod))
    assert admission.allowed and scheduling is not None and scheduling.scheduled
    # 2 CPUs of 15.5 on std-1 (12 used) and std-2 (14 used) do not fit; the scheduler picks
    # std-3 (its Succeeded pod no longer counts) or big-1.
    assert scheduling.node in {"std-3", "big-1"}
    assert ours(CLUSTER, pod) == (True, set())


@pytest.mark.parametrize("name", ["invalid-image"])
def test_image_failures_need_a_kubelet_so_only_we_can_see_them(real_cluster: RealCluster, name: str) -> None:
    """Out of scope for the plane: the apiserver only rejects an image with surrounding
    whitespace (pkg/apis/core/validation, validateContainerCommon), so a malformed or missing
    image is admitted and scheduled, and only a kubelet pulling it would fail
    (InvalidImageName / ErrImagePull). We refuse it before the pod exists."""
    real_cluster.load(CLUSTER)
    pod = example_pod(name)
    admission, scheduling = schedule(real_cluster.api, real_cluster.in_namespace(pod))
    assert admission.allowed and scheduling is not None and scheduling.scheduled
    assert ours(CLUSTER, pod) == (False, {"image-reference-invalid"})
