"""A node pool scaled to zero: no Node to check against, yet the autoscaler adds one when the pod
is Pending (z2jh's "Optimizations" guide autoscales the user pool; GPU and large profiles get a
pool of their own at zero, chosen by nodeSelector). kube-scheduler then binds the pod: refusing
it would be a false rejection. prevalidate/model/autoscaling.py decides when nodes we cannot see
may be added; these tests hold the capacity check and its messages to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from factories import cluster, node, only, pairs, pod, pool, verdict, with_code

from prevalidate.messages import render
from prevalidate.model.autoscaling import NODE_GROUP_LABELS, node_group_label, unseen_nodes_possible
from prevalidate.model.objects import NodeInfo

GKE = {"cloud.google.com/gke-nodepool": "core-pool"}
GPU_POD = pod(requests={"cpu": "1"}, limits={"nvidia.com/gpu": "1"})


def _gpu_on(pool_label: dict[str, str]) -> dict[str, Any]:
    """The z2jh GPU profile: a nodeSelector for the GPU pool (at zero nodes: none has the label)."""
    the_pod = pod(requests={"cpu": "1"}, limits={"nvidia.com/gpu": "1"})
    the_pod["spec"]["nodeSelector"] = pool_label
    return the_pod


def _label(nodes: dict[str, NodeInfo]) -> Callable[[], str | None]:
    return lambda: node_group_label(nodes.values())


def _capacity(the_pod: Any, nodes: list[Any], **settings: Any) -> list[tuple[str, str]]:
    return pairs(verdict(the_pod, nodes, settings=only("capacity", **settings)))


@pytest.mark.parametrize("key", NODE_GROUP_LABELS)
def test_each_node_group_label_shows_an_autoscaler_can_add_nodes(key: str) -> None:
    nodes = {"n": NodeInfo.from_dict(node("n", labels={key: "pool-a"}))}
    assert node_group_label(nodes.values()) == key
    assert unseen_nodes_possible("auto", (), _label(nodes)) == f"label:{key}"
    assert unseen_nodes_possible("absent", (), _label(nodes)) is None


def test_a_cluster_without_node_groups_cannot_scale_and_the_admin_can_say_otherwise() -> None:
    kubeadm = {"n": NodeInfo.from_dict(node("n", labels={"kubernetes.io/hostname": "n"}))}
    assert unseen_nodes_possible("auto", (), _label(kubeadm)) is None
    assert unseen_nodes_possible("present", (), _label(kubeadm)) == "declared"
    assert unseen_nodes_possible("present", (), _label({})) == "declared"
    assert unseen_nodes_possible("auto", (), _label({})) is None  # no node, no label: more nodes never hurt


def test_declared_pools_decide_over_detection() -> None:
    gke = {"n": NodeInfo.from_dict(node("n", labels=GKE))}
    assert unseen_nodes_possible("auto", (pool(),), _label(gke)) is None
    assert unseen_nodes_possible("present", (pool(),), _label(gke)) is None


@pytest.mark.parametrize(
    ("the_pod", "why"),
    [
        pytest.param(GPU_POD, "no running node has a GPU", id="gpu-pool-at-zero"),
        pytest.param(_gpu_on({"cloud.google.com/gke-nodepool": "gpu-pool"}), "selector", id="gpu-selector"),
        pytest.param(
            _gpu_on({"node.kubernetes.io/instance-type": "n1-highmem-16"}), "selector", id="instance-type"
        ),
        pytest.param(pod(requests={"cpu": "60", "memory": "400Gi"}), "bigger than any", id="huge-profile"),
    ],
)
def test_a_pool_at_zero_is_a_warning_where_an_autoscaler_shows(the_pod: Any, why: str) -> None:
    nodes = [node("core-1", cpu="4", memory="16Gi", labels=GKE)]
    assert _capacity(the_pod, nodes) == [("no-node-fits", "warning")], why
    assert _capacity(the_pod, nodes, autoscaler="absent") == [("no-node-fits", "error")]
    message = render(with_code(verdict(the_pod, nodes, settings=only("capacity")), "no-node-fits")[0])
    assert "autoscaler can add nodes" in message
    assert "Choose at most" not in message  # the node it adds may be bigger than any running now


def test_without_a_node_group_label_no_node_fits_stays_an_error() -> None:
    nodes = [node("kind-worker", labels={"kubernetes.io/hostname": "kind-worker"})]
    assert _capacity(GPU_POD, nodes) == [("no-node-fits", "error")]
    assert _capacity(GPU_POD, nodes, autoscaler="present") == [("no-node-fits", "warning")]


def test_declared_pools_that_cannot_hold_it_keep_the_error() -> None:
    nodes = [node("core-1", labels=GKE)]
    small = pool("pool-small", cpu="8", memory="32Gi")
    assert _capacity(GPU_POD, nodes, node_pools=(small,)) == [("no-node-fits", "error")]
    gpu = pool("pool-gpu", cpu="8", memory="32Gi", extra={"nvidia.com/gpu": "1"})
    assert _capacity(GPU_POD, nodes, node_pools=(gpu,)) == [("no-node-fits", "warning")]


def test_full_nodes_are_a_warning_where_an_autoscaler_adds_more() -> None:
    nodes = [node("user-1", cpu="4", labels=GKE)]
    running = pod("jupyter-bob", requests={"cpu": "3"}, node_name="user-1", phase="Running")
    asking = pod(requests={"cpu": "2"})
    assert _capacity(asking, [*nodes, running]) == [("insufficient-capacity", "warning")]
    assert _capacity(asking, [*nodes, running], autoscaler="absent") == [("insufficient-capacity", "error")]
    judged = verdict(asking, [*nodes, running], settings=only("capacity"))
    finding = with_code(judged, "insufficient-capacity")
    assert "autoscaler can add nodes" in render(finding[0])


def test_a_pod_pinned_to_a_node_is_not_helped_by_an_autoscaler() -> None:
    """spec.nodeName: only that node's kubelet admits it; a new node changes nothing."""
    nodes = [node("user-1", cpu="4", labels=GKE)]
    pinned = pod(requests={"cpu": "8"}, node_name="user-1")
    assert _capacity(pinned, nodes) == [("no-node-fits", "error")]


def test_a_live_view_sees_a_node_group_label_arrive_and_go() -> None:
    """The label is looked for once per node generation (a cache): a node joining or leaving, or
    relabelled, must be seen."""
    view = cluster(node("kind-1"))
    settings = only("capacity")
    assert pairs(verdict(GPU_POD, view=view, settings=settings)) == [("no-node-fits", "error")]
    view.apply(node("core-1", labels=GKE))
    assert pairs(verdict(GPU_POD, view=view, settings=settings)) == [("no-node-fits", "warning")]
    view.apply(node("core-1"))  # relabelled: no node group any more
    assert pairs(verdict(GPU_POD, view=view, settings=settings)) == [("no-node-fits", "error")]
    view.apply(node("core-1", labels=GKE))
    view.remove(node("core-1"))
    assert pairs(verdict(GPU_POD, view=view, settings=settings)) == [("no-node-fits", "error")]
