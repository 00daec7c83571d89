"""The pod's priority as the Priority admission plugin resolves it
(plugin/pkg/admission/priority/admission.go ``admitPod``, ``getDefaultPriorityClass``; the
built-in classes of pkg/apis/scheduling ``SystemPriorityClasses``; v1 ``SetDefaults_PriorityClass``
defaulting preemptionPolicy), and an existing pod's (component-helpers ``PodPriority``)."""

from __future__ import annotations

import pytest

from prevalidate.model.priority import PriorityClassInfo, global_default, pod_priority, resolve


def pc(
    name: str, value: int, default: bool = False, policy: str = "PreemptLowerPriority"
) -> PriorityClassInfo:
    return PriorityClassInfo(name, value, default, policy)


CLASSES = {c.name: c for c in (pc("high", 1000), pc("never", 500, policy="Never"), pc("normal", 0, True))}


@pytest.mark.parametrize(
    ("class_name", "spec_priority", "policy", "classes", "expected"),
    [
        ("high", None, "", CLASSES, (1000, "high", True, "")),
        ("never", None, "", CLASSES, (500, "never", False, "")),
        ("", None, "", CLASSES, (0, "normal", True, "")),  # the global default fills the name
        ("", None, "", {}, (0, "", True, "")),  # no default class: 0
        ("", None, "Never", {}, (0, "", False, "")),  # the pod's own policy stands without a class
        ("high", None, "Never", CLASSES, (1000, "high", True, "")),  # the class's policy wins
        ("system-node-critical", None, "", {}, (2_000_001_000, "system-node-critical", True, "")),
        ("system-cluster-critical", None, "", {}, (2_000_000_000, "system-cluster-critical", True, "")),
        ("typo", None, "", CLASSES, (None, "typo", True, "typo")),  # 403 no PriorityClass with name
    ],
)
def test_resolution_follows_the_admission_plugin(
    class_name: str,
    spec_priority: int | None,
    policy: str,
    classes: dict[str, PriorityClassInfo],
    expected: tuple,
) -> None:
    got = resolve(class_name, spec_priority, policy, classes, True)
    assert (got.value, got.class_name, got.preempts, got.missing_class) == expected


def test_unreadable_classes_leave_the_priority_unknown_unless_the_pod_carries_it() -> None:
    assert resolve("high", None, "", {}, False).value is None
    assert resolve("", None, "", {}, False).value is None  # a default class may exist
    assert resolve("high", 7, "", {}, False).value == 7
    assert resolve("high", None, "", {}, False).missing_class == ""  # never refused unseen


def test_of_several_default_classes_the_lowest_value_wins() -> None:
    chosen = global_default({"a": pc("a", 100, True), "b": pc("b", -10, True), "c": pc("c", -50)})
    assert chosen is not None and chosen.name == "b"


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"metadata": {"name": "x"}, "value": -10}, ("x", -10, False, "PreemptLowerPriority")),
        (
            {"metadata": {"name": "y"}, "value": 5, "globalDefault": True, "preemptionPolicy": "Never"},
            ("y", 5, True, "Never"),
        ),
        ({"metadata": {"name": "z"}, "value": "high"}, ("z", 0, False, "PreemptLowerPriority")),
    ],
)
def test_priority_class_objects_are_read_with_api_defaults(obj: dict, expected: tuple) -> None:
    got = PriorityClassInfo.from_dict(obj)
    assert (got.name, got.value, got.global_default, got.preemption_policy) == expected


@pytest.mark.parametrize(
    ("spec", "expected"), [({"priority": -10}, -10), ({}, 0), ({"priority": "x"}, 0), ({"priority": True}, 0)]
)
def test_an_existing_pods_priority_is_spec_priority_or_zero(spec: dict, expected: int) -> None:
    assert pod_priority({"spec": spec}) == expected
