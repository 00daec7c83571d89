"""The apiserver's field validation (422) of what places a pod: labels, node selector,
tolerations, node affinity, and the image pull policy — exactly what pkg/apis/core/validation
refuses, and nothing it accepts."""

from __future__ import annotations

from typing import Any

import pytest

from prevalidate.model.podfields import field_problems

from .podfield_cases import nb, spec

# ---- labels, node selector, tolerations, node affinity, pull policy ---------------------------

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
USER_TOLERATION = {
    "key": "hub.jupyter.org/dedicated",
    "operator": "Equal",
    "value": "user",
    "effect": "NoSchedule",
}


def required_affinity(*expressions: dict[str, Any], terms: list[Any] | None = None) -> dict[str, Any]:
    selector = {
        "nodeSelectorTerms": terms if terms is not None else [{"matchExpressions": list(expressions)}]
    }
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": selector}}


def preferred_affinity(weight: Any, *expressions: dict[str, Any]) -> dict[str, Any]:
    term = {"weight": weight, "preference": {"matchExpressions": list(expressions)}}
    return {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [term]}}


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    return (
        {"key": key, "operator": operator, "values": list(values)}
        if values
        else {"key": key, "operator": operator}
    )


SCHEDULING_ALLOWED = [
    pytest.param(spec(nodeSelector={"hub.jupyter.org/node-purpose": "user", "gpu": ""}), id="node-selector"),
    pytest.param(spec(tolerations=[GPU_TOLERATION, USER_TOLERATION]), id="z2jh-tolerations"),
    pytest.param(spec(tolerations=[{"operator": "Exists"}]), id="tolerate-everything"),
    pytest.param(
        spec(
            tolerations=[{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}]
        ),
        id="toleration-seconds-with-no-execute",
    ),
    pytest.param(spec(tolerations=[{"key": "k", "value": "v"}]), id="empty-operator-is-equal"),
    pytest.param(
        spec(tolerations=[{"key": "k", "operator": "Gt", "value": "5"}]), id="numeric-operator-left-to-newer"
    ),
    pytest.param(
        spec(
            affinity=required_affinity(
                expr("node-pool", "In", "user"), expr("gpu", "Exists"), expr("cores", "Gt", "8")
            )
        ),
        id="required-affinity",
    ),
    pytest.param(
        spec(affinity=preferred_affinity(100, expr("pool", "NotIn", "spot"))), id="preferred-affinity"
    ),
    pytest.param(
        spec([nb(imagePullPolicy="Always")], initContainers=[nb("init", imagePullPolicy="Never")]), id="pull"
    ),
    pytest.param(spec([nb(imagePullPolicy="")]), id="empty-pull-policy-is-defaulted"),
]


@pytest.mark.parametrize("pod", SCHEDULING_ALLOWED)
def test_scheduling_fields_kubernetes_accepts_pass(pod: dict[str, Any]) -> None:
    assert field_problems(pod) == []


def test_labels_kubernetes_accepts_pass() -> None:
    pod = spec()
    pod["metadata"]["labels"] = {
        "hub.jupyter.org/username": "alice-40uni-2eedu",
        "hub.jupyter.org/servername": "",
    }
    assert field_problems(pod) == []


SCHEDULING_REJECTED = [
    pytest.param(
        spec(nodeSelector={"node pool": "user"}),
        [("spec.nodeSelector", "name part must consist")],
        id="selector-key",
    ),
    pytest.param(
        spec(nodeSelector={"pool": "GPU nodes"}),
        [("spec.nodeSelector", "a valid label must be")],
        id="selector-value",
    ),
    pytest.param(
        spec(tolerations=[{**GPU_TOLERATION, "effect": "NoScheduled"}]),
        [("spec.tolerations[0].effect", 'Unsupported value: "NoScheduled"')],
        id="toleration-effect-typo",
    ),
    pytest.param(
        spec(tolerations=[{**GPU_TOLERATION, "operator": "exists"}]),
        [("spec.tolerations[0].operator", 'Unsupported value: "exists"')],
        id="toleration-operator-case",
    ),
    pytest.param(
        spec(tolerations=[{**GPU_TOLERATION, "value": "present"}]),
        [("spec.tolerations[0].operator", "value must be empty when `operator` is 'Exists'")],
        id="exists-with-value",
    ),
    pytest.param(
        spec(tolerations=[{"effect": "NoSchedule"}]),
        [("spec.tolerations[0].operator", "operator must be Exists when `key` is empty")],
        id="empty-key-without-exists",
    ),
    pytest.param(
        spec(tolerations=[{**USER_TOLERATION, "tolerationSeconds": 30}]),
        [("spec.tolerations[0].effect", "effect must be 'NoExecute' when `tolerationSeconds` is set")],
        id="toleration-seconds-without-no-execute",
    ),
    pytest.param(
        spec(tolerations=[{**USER_TOLERATION, "value": "user pods"}]),
        [("spec.tolerations[0].operator", "a valid label must be")],
        id="toleration-value-not-a-label-value",
    ),
    pytest.param(
        spec(affinity=required_affinity(expr("pool", "In"))),
        [
            (
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                ".matchExpressions[0].values",
                "Required value: must be specified when `operator` is 'In' or 'NotIn'",
            )
        ],
        id="in-without-values",
    ),
    pytest.param(
        spec(affinity=required_affinity(expr("pool", "Exists", "user"))),
        [
            (
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                ".matchExpressions[0].values",
                "Forbidden",
            )
        ],
        id="exists-with-values",
    ),
    pytest.param(
        spec(affinity=required_affinity(expr("pool", "Equals", "user"))),
        [
            (
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                ".matchExpressions[0].operator",
                "not a valid selector operator",
            )
        ],
        id="unknown-operator",
    ),
    pytest.param(
        spec(affinity=required_affinity(terms=[])),
        [
            (
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
                "Required value: must have at least one node selector term",
            )
        ],
        id="no-terms",
    ),
    pytest.param(
        spec(affinity=preferred_affinity(0, expr("pool", "In", "user"))),
        [
            (
                "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
                "must be in the range 1-100",
            )
        ],
        id="preferred-weight",
    ),
    pytest.param(
        spec([nb(imagePullPolicy="always")]),
        [("spec.containers[0].imagePullPolicy", 'Unsupported value: "always"')],
        id="pull-policy-case",
    ),
]


@pytest.mark.parametrize(("pod", "expected"), SCHEDULING_REJECTED)
def test_scheduling_fields_kubernetes_refuses_are_input_invalid(
    pod: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    problems = field_problems(pod)
    got = [(f.facts["field"], f.facts["reason"]) for f in problems]
    assert [
        (path, reason[: len(want)]) for (path, reason), (_, want) in zip(got, expected, strict=True)
    ] == expected
    assert all(f.code.value == "input-invalid" and f.blocks for f in problems)


def test_an_invalid_label_value_is_refused() -> None:
    pod = spec()
    pod["metadata"]["labels"] = {"user": "alice@uni.edu"}
    assert [(f.facts["field"], f.facts["value"]) for f in field_problems(pod)] == [
        ("metadata.labels", "alice@uni.edu")
    ]
