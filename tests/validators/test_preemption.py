"""Preemption: a pod fits a node when it fits once the node's pods of lower priority are gone.

Built from kube-scheduler's DefaultPreemption (pkg/scheduler/framework/plugins/defaultpreemption/
default_preemption.go: ``SelectVictimsOnNode`` removes every pod for which ``isPreemptionAllowed``
— victim priority strictly lower — and runs the filters again; ``PodEligibleToPreemptOthers``
refuses preemptionPolicy Never), pkg/scheduler/framework/preemption/preemption.go (``findCandidates``:
only nodes whose status is Unschedulable, not UnschedulableAndUnresolvable; PDBs only rank the
candidates, ``pickOneNodeForPreemption``), and the Priority admission plugin
(plugin/pkg/admission/priority/admission.go ``admitPod``/``getDefaultPriorityClass``), which
gives the pod its priority and preemptionPolicy. z2jh's placeholder set-up
(jupyterhub/templates/scheduling/: ``<release>-user-placeholder-priority`` at -10, user pods at
``<release>-default-priority`` 0) is the case that matters most.
"""

from __future__ import annotations

from typing import Any

import pytest
from factories import cluster, node, only, pairs, pod, priority_class, taint, verdict, with_code

from prevalidate.messages import render

DEFAULT_CLASS = "jhub-default-priority"
PLACEHOLDER_CLASS = "jhub-user-placeholder-priority"
Z2JH_CLASSES = [
    priority_class(DEFAULT_CLASS, value=0),
    priority_class(PLACEHOLDER_CLASS, value=-10),
]
PREEMPTS = [("preemption-expected", "info")]
NO_ROOM = [("insufficient-capacity", "error")]
ROOM = [("pods", 0)]  # marker: allowed with no finding at all


def running(
    name: str,
    cpu: str,
    priority: int | None,
    node_name: str = "node-1",
    namespace: str = "jhub",
    **extra: Any,
) -> dict[str, Any]:
    """A bound pod as the apiserver stored it: spec.priority set by admission (None: unset)."""
    spec: dict[str, Any] = dict(extra)
    if priority is not None:
        spec["priority"] = priority
    return pod(name, namespace, requests={"cpu": cpu}, node_name=node_name, phase="Running", **spec)


def placeholder(index: int, cpu: str = "3", node_name: str = "node-1") -> dict[str, Any]:
    """z2jh's user-placeholder StatefulSet pod (templates/scheduling/user-placeholder/statefulset.yaml)."""
    return running(f"user-placeholder-{index}", cpu, -10, node_name, priorityClassName=PLACEHOLDER_CLASS)


def user(cpu: str = "2", **spec: Any) -> dict[str, Any]:
    return pod("jupyter-alice", requests={"cpu": cpu}, **spec)


def _capacity(the_pod: dict[str, Any], objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return pairs(verdict(the_pod, objects, settings=only("capacity")))


PDB = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "user-placeholder", "namespace": "jhub"},
    "spec": {"minAvailable": 1, "selector": {"matchLabels": {"component": "user-placeholder"}}},
    "status": {"disruptionsAllowed": 0},
}

ALLOWED = [
    pytest.param(
        user(priorityClassName=DEFAULT_CLASS),
        [node(), *Z2JH_CLASSES, placeholder(0)],
        PREEMPTS,
        id="z2jh-user-pod-displaces-placeholder",
    ),
    pytest.param(
        user(),
        [node(), *Z2JH_CLASSES, placeholder(0)],
        PREEMPTS,
        id="classless-pod-is-priority-0-without-default-class",
    ),
    pytest.param(
        user(),
        [node(), priority_class("normal", True, value=100), running("batch", "3", 50)],
        PREEMPTS,
        id="classless-pod-gets-global-default-value",
    ),
    pytest.param(
        user(priorityClassName="high"),
        [node(), priority_class("high", value=1000), running("other", "3", 0)],
        PREEMPTS,
        id="higher-class-preempts-priority-0",
    ),
    pytest.param(
        user("3"),
        [node(), *Z2JH_CLASSES, placeholder(0, "1"), placeholder(1, "1"), placeholder(2, "1")],
        PREEMPTS,
        id="several-victims-on-one-node",
    ),
    pytest.param(
        user("2", priorityClassName=DEFAULT_CLASS),
        [node(), *Z2JH_CLASSES, running("bob", "2", 0), placeholder(0, "2")],
        PREEMPTS,
        id="evicting-only-the-lower-pods-is-enough",
    ),
    pytest.param(
        user("1", priorityClassName=DEFAULT_CLASS),
        [node(pods="2"), *Z2JH_CLASSES, running("bob", "1", 0), placeholder(0, "1")],
        PREEMPTS,
        id="eviction-frees-a-pod-slot",
    ),
    pytest.param(
        user(priorityClassName=DEFAULT_CLASS),
        [node(), *Z2JH_CLASSES, placeholder(0), PDB],
        PREEMPTS,
        id="pod-disruption-budget-does-not-block",
    ),
    pytest.param(
        user(priorityClassName=DEFAULT_CLASS),
        [node(), *Z2JH_CLASSES, running("old-placeholder", "3", -10, terminating=True)],
        PREEMPTS,
        id="terminating-lower-pod-is-a-victim",
    ),
    pytest.param(
        user(priorityClassName="system-cluster-critical"),
        [node(), priority_class("high", value=1000), running("other", "3", 1000)],
        PREEMPTS,
        id="built-in-system-class-needs-no-object",
    ),
    pytest.param(
        user(priorityClassName=DEFAULT_CLASS),
        [node(), *Z2JH_CLASSES, running("batch", "3", -5, namespace="batch")],
        PREEMPTS,
        id="victims-in-other-namespaces",
    ),
    pytest.param(
        user(priorityClassName=DEFAULT_CLASS),
        [
            node("node-1"),
            node("node-2"),
            *Z2JH_CLASSES,
            running("bob", "3", 0, "node-1"),
            placeholder(0, node_name="node-2"),
        ],
        PREEMPTS,
        id="the-node-with-lower-pods-is-the-candidate",
    ),
    pytest.param(
        user(priorityClassName=DEFAULT_CLASS),
        [node(), *Z2JH_CLASSES, placeholder(0, "1")],
        ROOM,
        id="room-without-preemption-needs-no-note",
    ),
    pytest.param(
        user("2", priorityClassName="high"),
        [
            node(),
            priority_class("high", value=1000),
            running("kube-proxy", "2", 2_000_001_000),
            running("bob", "2", 0),
        ],
        PREEMPTS,
        id="priority-0-pods-make-way-system-pods-stay",
    ),
    pytest.param(
        user("3", priorityClassName=DEFAULT_CLASS),
        [node(), *Z2JH_CLASSES, running("batch", "1", -5), placeholder(0, "2")],
        PREEMPTS,
        id="victims-of-two-lower-priorities",
    ),
]

REFUSED = [
    pytest.param(
        user(priorityClassName=DEFAULT_CLASS),
        [node(), *Z2JH_CLASSES, running("bob", "3", 0)],
        NO_ROOM,
        id="equal-priority-never-preempts",
    ),
    pytest.param(
        user(priorityClassName="lowest"),
        [node(), *Z2JH_CLASSES, priority_class("lowest", value=-20), placeholder(0)],
        NO_ROOM,
        id="lower-than-everything-cannot-preempt",
    ),
    pytest.param(
        user(priorityClassName="polite"),
        [
            node(),
            *Z2JH_CLASSES,
            priority_class("polite", value=100, preemption_policy="Never"),
            placeholder(0),
        ],
        NO_ROOM,
        id="class-preemption-policy-never",
    ),
    pytest.param(
        user(preemptionPolicy="Never"),
        [node(), placeholder(0)],
        NO_ROOM,
        id="pod-preemption-policy-never-without-class",
    ),
    pytest.param(
        user("4", priorityClassName=DEFAULT_CLASS),
        [node(), *Z2JH_CLASSES, running("bob", "1", 0), placeholder(0, "3")],
        NO_ROOM,
        id="evicting-every-lower-pod-is-not-enough",
    ),
    pytest.param(
        user(priorityClassName=DEFAULT_CLASS),
        [
            node("node-1"),
            node("node-2", taints=[taint("dedicated", "batch")]),
            *Z2JH_CLASSES,
            running("bob", "3", 0, "node-1"),
            placeholder(0, node_name="node-2"),
        ],
        NO_ROOM,
        id="lower-pods-on-a-node-the-pod-cannot-use",
    ),
    pytest.param(
        user(),
        [node(), priority_class("low-default", True, value=-10), placeholder(0)],
        NO_ROOM,
        id="global-default-class-equal-to-the-victims",
    ),
    pytest.param(
        user(),
        [node(), priority_class("a", True, value=100), priority_class("b", True, value=-10), placeholder(0)],
        NO_ROOM,
        id="of-two-default-classes-the-lowest-value-wins",
    ),
    pytest.param(
        user("3", priorityClassName="high"),
        [
            node(),
            priority_class("high", value=1000),
            running("kube-proxy", "2", 2_000_001_000),
            running("bob", "2", 0),
        ],
        NO_ROOM,
        id="higher-priority-system-pods-are-never-victims",
    ),
]


@pytest.mark.parametrize(("the_pod", "objects", "expected"), ALLOWED)
def test_lower_priority_pods_make_way(the_pod: Any, objects: Any, expected: Any) -> None:
    assert _capacity(the_pod, objects) == ([] if expected == ROOM else expected)


@pytest.mark.parametrize(("the_pod", "objects", "expected"), REFUSED)
def test_no_room_when_nothing_of_lower_priority_can_make_way(
    the_pod: Any, objects: Any, expected: Any
) -> None:
    assert _capacity(the_pod, objects) == expected


def test_too_big_for_any_node_is_no_node_fits_whatever_the_priority() -> None:
    objects = [node(), priority_class("high", value=1000), running("low", "3", 0)]
    assert _capacity(user("8", priorityClassName="high"), objects) == [("no-node-fits", "error")]


def test_a_class_that_does_not_exist_is_refused_as_the_apiserver_does() -> None:
    """admitPod: ``no PriorityClass with name X was found`` (403) for a named class the lister lacks."""
    result = verdict(
        user(priorityClassName="jhub-default-priorty"), [node(), *Z2JH_CLASSES], checks=["capacity"]
    )
    (finding,) = with_code(result, "priorityclass-not-found")
    assert finding.severity.value == "error"
    assert '"jhub-default-priorty"' in render(finding)


@pytest.mark.parametrize(
    "class_name", [DEFAULT_CLASS, "system-node-critical", "system-cluster-critical", ""], ids=repr
)
def test_classes_that_exist_or_are_built_in_are_not_refused(class_name: str) -> None:
    spec = {"priorityClassName": class_name} if class_name else {}
    assert _capacity(user(**spec), [node(), *Z2JH_CLASSES]) == []


def test_unreadable_classes_never_refuse_the_class_and_skip_an_undecidable_preemption() -> None:
    """Without the PriorityClass list the pod's priority is unknown: no class is refused, and when
    evicting lower pods could make room the check says it could not decide and allows."""
    objects = [node(), placeholder(0)]
    view = cluster(*objects, known={"Node", "Pod"})
    result = verdict(user(priorityClassName="anything"), view=view, settings=only("capacity"))
    assert pairs(result) == [("check-skipped", "warning")]
    assert result.findings[0].facts["kind"] == "PriorityClass"
    # Nothing below the highest user priority can make way: that is still a refusal.
    view = cluster(node(), running("system", "3", 2_000_000_000), known={"Node", "Pod"})
    assert pairs(verdict(user(priorityClassName="anything"), view=view, settings=only("capacity"))) == NO_ROOM


def test_a_copied_pod_keeps_its_own_priority_when_classes_are_unreadable() -> None:
    view = cluster(node(), placeholder(0), known={"Node", "Pod"})
    assert pairs(verdict(user(priority=0), view=view, settings=only("capacity"))) == PREEMPTS
    assert pairs(verdict(user(priority=-10), view=view, settings=only("capacity"))) == NO_ROOM


def test_no_room_message_counts_what_evictions_could_free() -> None:
    objects = [node(), *Z2JH_CLASSES, running("bob", "1", 0), placeholder(0, "2")]
    (finding,) = verdict(user("4", priorityClassName=DEFAULT_CLASS), objects, checks=["capacity"]).findings
    assert finding.facts["largest_free"]["cpu"] == 3000  # 1 free + 2 held by the placeholder
    assert "3 CPUs" in render(finding)


def test_the_preemption_note_says_lower_priority_pods_make_way() -> None:
    objects = [node(), *Z2JH_CLASSES, placeholder(0)]
    (finding,) = verdict(user(priorityClassName=DEFAULT_CLASS), objects, checks=["capacity"]).findings
    assert finding.facts["node"] == "node-1" and finding.facts["lower_priority_pods"] == 1
    assert "lower-priority pods" in render(finding)
    assert verdict(user(priorityClassName=DEFAULT_CLASS), objects, checks=["capacity"]).allowed


def test_priorities_follow_pod_events() -> None:
    view = cluster(node(), *Z2JH_CLASSES)
    the_pod = user(priorityClassName=DEFAULT_CLASS)
    view.apply(running("bob", "3", 0))
    assert pairs(verdict(the_pod, view=view, settings=only("capacity"))) == NO_ROOM
    view.remove(running("bob", "3", 0))
    view.apply(placeholder(0))
    assert view.has_bound_below(0) and not view.has_bound_below(-10)
    assert pairs(verdict(the_pod, view=view, settings=only("capacity"))) == PREEMPTS
    view.apply({**placeholder(0), "status": {"phase": "Succeeded"}})  # finished: holds nothing
    assert not view.has_bound_below(0)
    assert pairs(verdict(the_pod, view=view, settings=only("capacity"))) == []
    assert view.usage["node-1"].by_priority == {}
