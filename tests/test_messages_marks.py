"""The few words next to a choice that cannot start, what each finding is about, and the
headroom line: from the facts the validators give (run on the demo cluster), never invented."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from prevalidate import demo
from prevalidate.kube.dump import load_cluster
from prevalidate.messages.marks import concerns, headroom_line, mark
from prevalidate.model.findings import Code, Finding, Severity
from prevalidate.model.settings import Settings
from prevalidate.validators import run_all
from prevalidate.validators.headroom import largest_free_node, quota_room


def view() -> Any:
    cluster = load_cluster(Path(demo.__file__).parent / "cluster.yaml")
    cluster.mark_known("PriorityClass")
    return cluster


def pod(cpu: str = "1", gpu: str = "", claim: str = "") -> dict[str, Any]:
    requests = {"cpu": cpu, **({"nvidia.com/gpu": gpu} if gpu else {})}
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "notebook",
                "image": "quay.io/jupyter/base-notebook:latest",
                "resources": {"requests": requests, "limits": requests},
            }
        ]
    }
    if gpu:
        spec["nodeSelector"] = {"pool": "gpu"}
        spec["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists"}]
    if claim:
        spec["volumes"] = [{"name": "home", "persistentVolumeClaim": {"claimName": claim}}]
    return {"kind": "Pod", "metadata": {"name": "jupyter-x", "namespace": "jhub"}, "spec": spec}


def _node(cluster: Any, name: str) -> dict[str, Any]:
    """A node of the view back as the object a watch would send (enough for apply)."""
    node = cluster.nodes[name]
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": dict(node.labels)},
        "status": {"allocatable": {k: str(v) for k, v in node.allocatable.items()}},
    }


def errors(p: dict[str, Any], cluster: Any = None) -> dict[Code, Finding]:
    verdict = run_all(p, cluster or view(), Settings(offline=True))
    return {f.code: f for f in verdict.errors}


def test_the_two_marks_of_the_issue_come_from_the_findings() -> None:
    found = errors(pod("64"))
    assert mark(found[Code.NO_NODE_FITS]) == "needs 64 CPUs; the largest node has 62.5"
    assert mark(found[Code.QUOTA_EXCEEDED]) == "over your quota: 14 of 40 CPUs free"
    assert concerns(found[Code.NO_NODE_FITS]) == {"cpu"} == concerns(found[Code.QUOTA_EXCEEDED])


def test_a_full_gpu_node_is_about_the_gpu_and_a_missing_claim_about_storage() -> None:
    cluster = view()
    cluster.apply(
        {
            "kind": "Pod",
            "metadata": {"name": "train", "namespace": "default"},
            "spec": {
                "nodeName": "gpu-1",
                "containers": [{"name": "c", "resources": {"requests": {"nvidia.com/gpu": "4"}}}],
            },
            "status": {"phase": "Running"},
        }
    )
    found = errors(pod("1", gpu="1"), cluster)
    assert mark(found[Code.INSUFFICIENT_CAPACITY]) == "all GPUs in use now"
    assert concerns(found[Code.INSUFFICIENT_CAPACITY]) == {"nvidia.com/gpu"}
    missing = errors(pod(claim="claim-alcie"))[Code.PVC_NOT_FOUND]
    assert mark(missing) == "volume claim claim-alcie does not exist" and concerns(missing) == {"storage"}


def test_a_profile_no_node_accepts_is_about_placement() -> None:
    finding = Finding(
        Code.NO_NODE_FITS,
        Severity.ERROR,
        "pod",
        {"nodes_total": 5, "compatible_nodes": 0, "requested": {"cpu": 1000}},
    )
    assert concerns(finding) == {"placement"} and mark(finding) == "no node accepts this profile"


def test_the_headroom_line_of_the_demo_cluster() -> None:
    cluster = view()
    room = quota_room(cluster, "jhub")
    assert room["cpu"] == (Decimal(14), Decimal(40))
    node = largest_free_node(cluster)
    assert node is not None and node["cpu"] == Decimal("62.5")
    line = headroom_line(room, node)
    assert line == (
        "Free in your quota: 14 of 40 CPUs, 80 GiB of 160 GiB memory. Largest free node: 62.5 CPUs, 250 GiB. "
        "GPUs free on one node: 4."
    )
    # The tainted GPU node is never "the largest free node" for CPUs (an ordinary server cannot
    # go there), but its GPUs count; when they are all taken, the line says so.
    cordoned = view()
    cordoned.apply({**_node(cordoned, "big-1"), "spec": {"unschedulable": True}})
    assert largest_free_node(cordoned)["cpu"] == Decimal("15.5")  # type: ignore[index]
    cordoned.apply(
        {
            "kind": "Pod",
            "metadata": {"name": "train", "namespace": "default"},
            "spec": {
                "nodeName": "gpu-1",
                "containers": [{"name": "c", "resources": {"requests": {"nvidia.com/gpu": "4"}}}],
            },
            "status": {"phase": "Running"},
        }
    )
    assert headroom_line({}, largest_free_node(cordoned)).endswith("GPUs free on one node: none.")


def test_no_numbers_from_kinds_that_could_not_be_listed() -> None:
    cluster = view()
    cluster.mark_unknown("ResourceQuota")
    cluster.mark_unknown("Node")
    assert quota_room(cluster, "jhub") == {} and largest_free_node(cluster) is None
    assert headroom_line({}, None) == ""
