"""The capacity check follows the cluster view as node and pod events change it: pods come and
go, nodes shrink, leave and return, labels, taints and cordons change."""

from __future__ import annotations

from typing import Any

from factories import cluster, node, only, pairs, pod, taint, verdict

from .capacity_cases import NO_FIT, NO_ROOM, ON

# ---- the view follows node and pod events --------------------------------------------------------


def _fits(view: Any, the_pod: Any) -> list[tuple[str, str]]:
    return pairs(verdict(the_pod, view=view, settings=only("capacity", autoscaler="absent")))  # starts empty


def test_node_and_pod_events_update_capacity() -> None:
    asking = pod(requests={"cpu": "2"})
    view = cluster()
    assert _fits(view, asking) == NO_FIT
    view.apply(node(cpu="4"))
    assert _fits(view, asking) == []
    busy = pod("busy", requests={"cpu": "3"}, node_name=ON, phase="Running")
    view.apply(busy)
    assert _fits(view, asking) == NO_ROOM
    view.apply(node("node-2", cpu="2"))
    assert _fits(view, asking) == []
    view.remove(node("node-2"))
    assert _fits(view, asking) == NO_ROOM
    view.apply(pod("busy", requests={"cpu": "3"}, node_name=ON, phase="Succeeded"))
    assert _fits(view, asking) == []
    view.apply(busy)
    view.remove(busy)
    assert _fits(view, asking) == []
    view.apply(node(cpu="1"))  # the node shrinks (allocatable changed)
    assert _fits(view, asking) == NO_FIT


def test_pods_applied_before_their_node_are_counted() -> None:
    view = cluster(pod("busy", requests={"cpu": "3"}, node_name=ON, phase="Running"), node(cpu="4"))
    assert _fits(view, pod(requests={"cpu": "2"})) == NO_ROOM


def test_a_node_removed_and_added_again_still_counts_its_pods() -> None:
    # A relist or a re-registered node: its bound pods are still there and still use it.
    view = cluster(node(cpu="4"), pod("busy", requests={"cpu": "3"}, node_name=ON, phase="Running"))
    view.remove(node())
    view.apply(node(cpu="4"))
    assert _fits(view, pod(requests={"cpu": "2"})) == NO_ROOM
    view.remove(pod("busy", node_name=ON))
    assert _fits(view, pod(requests={"cpu": "4"})) == []


def test_capacity_check_is_skipped_when_nodes_cannot_be_read() -> None:
    view = cluster(known={"Pod"})
    assert pairs(verdict(pod(requests={"cpu": "999"}), view=view, settings=only("capacity"))) == [
        ("check-skipped", "warning")
    ]


def test_label_taint_and_cordon_changes_reach_the_cached_node_filters() -> None:
    selective = pod(requests={"cpu": "1"}, nodeSelector={"pool": "a"})
    plain = pod("jupyter-bob", requests={"cpu": "1"})
    view = cluster(node())
    assert _fits(view, selective) == NO_FIT
    assert _fits(view, plain) == []
    view.apply(node(labels={"pool": "a"}))
    assert _fits(view, selective) == []
    view.apply(node(labels={"pool": "a"}, taints=[taint("maintenance")]))
    assert _fits(view, selective) == NO_FIT
    assert _fits(view, plain) == NO_FIT
    view.apply(node(labels={"pool": "a"}, unschedulable=True))
    assert _fits(view, plain) == NO_FIT
    view.apply(node(labels={"pool": "a"}))
    assert _fits(view, selective) == []
    assert _fits(view, plain) == []
