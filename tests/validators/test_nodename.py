"""Pods with ``spec.nodeName``: no scheduler filter applies, only the kubelet's admission.

Built from pkg/kubelet/lifecycle/predicate.go (``predicateAdmitHandler.Admit``: resources and
pod count through pkg/scheduler ``AdmissionCheck``/noderesources ``Fits``, required node affinity
and selector, ``removeMissingExtendedResources``; ``generalFilter``: only untolerated NoExecute
taints), pkg/kubelet/kubelet.go ``rejectPod`` (the pod goes Failed with OutOfcpu … naming no
other node), the DefaultTolerationSeconds admission plugin (not-ready/unreachable NoExecute
tolerated by every pod), pkg/kubelet/preemption (critical pods make room) and pkg/controller/podgc
``gcOrphaned`` (a pod bound to a node that does not exist is deleted after a quarantine).
kube-scheduler never takes a pod whose nodeName is set, so cordons and NoSchedule taints do not
matter.
"""

from __future__ import annotations

from typing import Any

import pytest
from factories import IMAGE, node, only, pairs, pod, taint, verdict, with_code

from prevalidate.messages import render
from prevalidate.model.image_facts import ImageFacts, ImageStatus, Platform

PINNED = "node-2"
OTHER_FULL = pod("bob", requests={"cpu": "4"}, node_name="node-1", phase="Running")


def pinned(cpu: str = "2", node_name: str = PINNED, **spec: Any) -> dict[str, Any]:
    return pod(requests={"cpu": cpu}, node_name=node_name, **spec)


def tol(key: str, effect: str = "NoExecute") -> dict[str, str]:
    return {"key": key, "operator": "Exists", "effect": effect}


def _capacity(
    the_pod: dict[str, Any], objects: list[dict[str, Any]], **settings: Any
) -> list[tuple[str, str]]:
    return pairs(verdict(the_pod, objects, settings=only("capacity", **settings)))


ALLOWED = [
    pytest.param(pinned(), [node(PINNED, unschedulable=True)], [], id="cordoned-node-admits"),
    pytest.param(
        pinned(), [node(PINNED, taints=[taint("dedicated", "x")])], [], id="noschedule-taint-admits"
    ),
    pytest.param(
        pinned(),
        [node(PINNED, taints=[taint("dedicated", "x", "PreferNoSchedule")])],
        [],
        id="prefer-no-schedule",
    ),
    pytest.param(
        pinned(tolerations=[tol("dedicated")]),
        [node(PINNED, taints=[taint("dedicated", "x", "NoExecute")])],
        [],
        id="tolerated-noexecute-taint",
    ),
    pytest.param(
        pinned(),
        [node(PINNED, taints=[taint("node.kubernetes.io/not-ready", "", "NoExecute")])],
        [],
        id="not-ready-noexecute-default-toleration-seconds",
    ),
    pytest.param(
        pinned(nodeSelector={"pool": "a"}), [node(PINNED, labels={"pool": "a"})], [], id="selector-matches"
    ),
    pytest.param(
        pinned(), [node("node-1"), OTHER_FULL, node(PINNED)], [], id="pinned-node-has-room-others-full"
    ),
    pytest.param(
        pod(
            containers=[
                {
                    "name": "nb",
                    "image": "x",
                    "resources": {
                        "limits": {"example.com/dongle": "1"},
                        "requests": {"example.com/dongle": "1"},
                    },
                }
            ],
            node_name=PINNED,
        ),
        [node(PINNED)],
        [],
        id="extended-resource-the-node-lacks-is-dropped",
    ),
    pytest.param(
        pinned("3", priorityClassName="system-node-critical"),
        [node(PINNED), pod("bob", requests={"cpu": "3"}, node_name=PINNED, phase="Running")],
        [],
        id="critical-pod-kubelet-makes-room",
    ),
    pytest.param(
        pinned(), [node("node-1")], [("no-node-fits", "warning")], id="missing-node-is-a-warning-it-may-join"
    ),
]

REFUSED = [
    pytest.param(
        pinned("3"),
        [node(PINNED), pod("bob", requests={"cpu": "2"}, node_name=PINNED, phase="Running")],
        [("insufficient-capacity", "error")],
        id="out-of-cpu",
    ),
    pytest.param(
        pinned("1"),
        [node(PINNED, pods="1"), pod("bob", node_name=PINNED, phase="Running")],
        [("insufficient-capacity", "error")],
        id="out-of-pods",
    ),
    pytest.param(pinned("8"), [node(PINNED)], [("no-node-fits", "error")], id="larger-than-the-node"),
    pytest.param(
        pinned(nodeSelector={"pool": "a"}),
        [node(PINNED, labels={"pool": "b"})],
        [("no-node-fits", "error")],
        id="selector-mismatch",
    ),
    pytest.param(
        pinned(
            affinity={
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}]
                    }
                }
            }
        ),
        [node(PINNED)],
        [("no-node-fits", "error")],
        id="required-affinity-mismatch",
    ),
    pytest.param(
        pinned(),
        [node(PINNED, taints=[taint("dedicated", "x", "NoExecute")])],
        [("no-node-fits", "error")],
        id="untolerated-noexecute-taint",
    ),
    pytest.param(
        pinned("3"),
        [
            node(PINNED),
            pod("low", requests={"cpu": "3"}, node_name=PINNED, phase="Running", priority=-10),
        ],
        [("insufficient-capacity", "error")],
        id="no-preemption-for-a-pinned-pod",
    ),
]


@pytest.mark.parametrize(("the_pod", "objects", "expected"), ALLOWED)
def test_the_kubelet_admits(the_pod: Any, objects: Any, expected: Any) -> None:
    assert _capacity(the_pod, objects) == expected


@pytest.mark.parametrize(("the_pod", "objects", "expected"), REFUSED)
def test_the_kubelet_refuses(the_pod: Any, objects: Any, expected: Any) -> None:
    assert _capacity(the_pod, objects) == expected


@pytest.mark.parametrize(("the_pod", "objects", "_expected"), REFUSED)
def test_every_refusal_names_the_pinned_node(the_pod: Any, objects: Any, _expected: Any) -> None:
    (finding,) = verdict(the_pod, objects, checks=["capacity"]).findings
    assert f'node "{PINNED}"' in render(finding), render(finding)


def test_the_numbers_are_those_of_the_pinned_node() -> None:
    objects = [node("node-1", cpu="64"), node(PINNED), pod("bob", requests={"cpu": "3"}, node_name=PINNED)]
    (finding,) = verdict(pinned("2"), objects, checks=["capacity"]).findings
    message = render(finding)
    assert "You asked for 2 CPUs" in message and "only 1 CPU free" in message, message
    assert "Choose at most 1 CPU" in message
    (finding,) = verdict(pinned("8"), [node("node-1", cpu="64"), node(PINNED)], checks=["capacity"]).findings
    assert "has 4 CPUs allocatable. Choose at most 4 CPUs." in render(finding)


def test_a_missing_node_says_the_pod_will_be_deleted() -> None:
    (finding,) = with_code(verdict(pinned(), [node("node-1")], checks=["capacity"]), "no-node-fits")
    assert 'node "node-2"' in render(finding) and "deletes" in render(finding)


def test_capacity_policy_warn_applies_to_a_full_pinned_node() -> None:
    objects = [node(PINNED), pod("bob", requests={"cpu": "3"}, node_name=PINNED, phase="Running")]
    assert _capacity(pinned("3"), objects, capacity_policy="warn") == [("insufficient-capacity", "warning")]


def test_the_image_platform_is_checked_against_the_pinned_node_alone() -> None:
    """The kubelet of that node pulls the image: its os/arch is the one that matters, even when
    the scheduler's filters (a cordon here) would exclude it."""
    arm = Platform("linux", "arm64")
    facts = {IMAGE: ImageFacts(IMAGE, ImageStatus.EXISTS, platforms=frozenset({arm}))}
    nodes = [
        node("node-1", labels={"kubernetes.io/arch": "amd64"}),
        node(PINNED, labels={"kubernetes.io/arch": "arm64"}, unschedulable=True),
    ]
    checks = only("image", "capacity")
    assert pairs(verdict(pinned(), nodes, settings=checks, images=facts)) == []
    assert pairs(verdict(pinned(node_name="node-1"), nodes, settings=checks, images=facts)) == [
        ("image-platform-unsupported", "error")
    ]
