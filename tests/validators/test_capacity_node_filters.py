"""Node fit by the scheduler's node filters (reference §4): node selector and required node
affinity (NodeAffinity), taints and tolerations (TaintToleration) and cordoned nodes
(NodeUnschedulable) — ``no-node-fits`` when no node's labels, taints or cordon allow the pod."""

from __future__ import annotations

from typing import Any

import pytest
from factories import node, only, pairs, pod, taint, verdict

from .capacity_cases import GPU, GPU_TAINT, NO_FIT, capacity


def _affinity(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
    }


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    e: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        e["values"] = list(values)
    return e


def term(*expressions: dict[str, Any], fields: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    t: dict[str, Any] = {}
    if expressions:
        t["matchExpressions"] = list(expressions)
    if fields:
        t["matchFields"] = list(fields)
    return t


LABELS = {"pool": "standard", "cores": "16", "zone": "a"}
SMALL = {"requests": {"cpu": "1"}}

# ---- node selector and required node affinity (NodeAffinity filter) -----------------------------

AFFINITY_FITS = [
    pytest.param({"nodeSelector": {"pool": "standard"}}, id="node-selector-matches"),
    pytest.param({"nodeSelector": {"pool": "standard", "zone": "a"}}, id="node-selector-all-labels-match"),
    pytest.param({"affinity": _affinity(term(expr("pool", "In", "gpu", "standard")))}, id="in-one-of-values"),
    pytest.param({"affinity": _affinity(term(expr("gpu", "NotIn", "a100")))}, id="notin-label-absent"),
    pytest.param({"affinity": _affinity(term(expr("pool", "NotIn", "gpu")))}, id="notin-other-value"),
    pytest.param(
        {"affinity": _affinity(term(expr("pool", "NotIn", "gpu", "cpu", "big")))}, id="notin-many-values"
    ),
    pytest.param({"affinity": _affinity(term(expr("zone", "Exists")))}, id="exists"),
    pytest.param({"affinity": _affinity(term(expr("gpu", "DoesNotExist")))}, id="does-not-exist"),
    pytest.param({"affinity": _affinity(term(expr("cores", "Gt", "8")))}, id="gt"),
    pytest.param({"affinity": _affinity(term(expr("cores", "Lt", "32")))}, id="lt"),
    pytest.param(
        {"affinity": _affinity(term(fields=(expr("metadata.name", "In", "node-1"),)))},
        id="match-fields-name-in",
    ),
    pytest.param(
        {"affinity": _affinity(term(fields=(expr("metadata.name", "NotIn", "node-2"),)))},
        id="match-fields-name-notin",
    ),
    pytest.param(
        {"affinity": _affinity(term(expr("pool", "In", "gpu")), term(expr("zone", "In", "a")))},
        id="terms-are-ored",
    ),
    pytest.param(
        {"affinity": _affinity(term(expr("pool", "In", "standard"), expr("cores", "Gt", "15")))},
        id="expressions-are-anded-all-match",
    ),
    pytest.param(
        {
            "affinity": _affinity(
                term(expr("zone", "In", "a"), fields=(expr("metadata.name", "In", "node-1"),))
            )
        },
        id="expressions-and-fields-both-match",
    ),
    pytest.param(
        {
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 1, "preference": term(expr("pool", "In", "gpu"))}
                    ]
                }
            }
        },
        id="preferred-affinity-is-not-a-filter",
    ),
    pytest.param({}, id="no-selector-no-affinity"),
]

AFFINITY_MISSES = [
    pytest.param({"nodeSelector": {"pool": "gpu"}}, id="node-selector-other-value"),
    pytest.param({"nodeSelector": {"gpu": "a100"}}, id="node-selector-label-absent"),
    pytest.param({"affinity": _affinity(term(expr("pool", "In", "gpu")))}, id="in-no-value-matches"),
    pytest.param({"affinity": _affinity(term(expr("gpu", "In", "a100")))}, id="in-label-absent"),
    pytest.param({"affinity": _affinity(term(expr("pool", "NotIn", "standard")))}, id="notin-listed-value"),
    pytest.param({"affinity": _affinity(term(expr("gpu", "Exists")))}, id="exists-absent"),
    pytest.param({"affinity": _affinity(term(expr("zone", "DoesNotExist")))}, id="does-not-exist-present"),
    pytest.param({"affinity": _affinity(term(expr("cores", "Gt", "16")))}, id="gt-equal-is-not-greater"),
    pytest.param({"affinity": _affinity(term(expr("cores", "Lt", "16")))}, id="lt-equal-is-not-less"),
    pytest.param({"affinity": _affinity(term(expr("zone", "Gt", "1")))}, id="gt-non-integer-label"),
    pytest.param({"affinity": _affinity(term(expr("gpu", "Lt", "8")))}, id="lt-label-absent"),
    pytest.param(
        {"affinity": _affinity(term(fields=(expr("metadata.name", "In", "node-2"),)))},
        id="match-fields-other-name",
    ),
    pytest.param({"affinity": _affinity(term())}, id="empty-term-matches-nothing"),
    pytest.param({"affinity": _affinity({"matchExpressions": []})}, id="term-with-empty-expressions"),
    pytest.param(
        {"affinity": _affinity(term(expr("pool", "In", "standard"), expr("zone", "In", "b")))},
        id="expressions-are-anded-one-fails",
    ),
    pytest.param(
        {"nodeSelector": {"pool": "standard"}, "affinity": _affinity(term(expr("zone", "In", "b")))},
        id="selector-and-affinity-both-required",
    ),
]


@pytest.mark.parametrize("spec", AFFINITY_FITS)
def test_node_affinity_allows_matching_node(spec: dict[str, Any]) -> None:
    assert capacity(pod(**SMALL, **spec), [node(labels=LABELS)]) == []


@pytest.mark.parametrize("spec", AFFINITY_MISSES)
def test_node_affinity_rejects_when_no_node_matches(spec: dict[str, Any]) -> None:
    v = verdict(pod(**SMALL, **spec), [node(labels=LABELS)], settings=only("capacity"))
    assert pairs(v) == NO_FIT
    assert v.findings[0].facts["reasons"] == {"node(s) didn't match Pod's node affinity/selector": 1}


# ---- taints, tolerations and cordoned nodes (TaintToleration, NodeUnschedulable) ---------------


def tol(key: str = "", operator: str | None = None, value: str = "", effect: str = "") -> dict[str, str]:
    t = {"key": key, "value": value, "effect": effect}
    if operator:
        t["operator"] = operator
    return {k: v for k, v in t.items() if v}


TAINT_FITS = [
    pytest.param(
        [taint("dedicated", "ml", "PreferNoSchedule")], [], False, id="prefer-no-schedule-only-scores"
    ),
    pytest.param(
        [GPU_TAINT], [tol(GPU, "Equal", "present", "NoSchedule")], False, id="equal-key-value-effect"
    ),
    pytest.param([GPU_TAINT], [tol(GPU, value="present")], False, id="operator-omitted-means-equal"),
    pytest.param(
        [taint("x", "y", "NoExecute")], [tol("x", "Exists", effect="NoExecute")], False, id="exists-key"
    ),
    pytest.param(
        [GPU_TAINT, taint("x", "", "NoExecute")],
        [tol(operator="Exists")],
        False,
        id="exists-empty-key-tolerates-all",
    ),
    pytest.param(
        [taint(GPU, "", "NoSchedule"), taint(GPU, "", "NoExecute")],
        [tol(GPU, "Exists")],
        False,
        id="effect-less-toleration-tolerates-every-effect",
    ),
    pytest.param([], [], False, id="untainted"),
    pytest.param(
        [GPU_TAINT], [tol(GPU, "Exists", effect="NoSchedule")], False, id="exists-ignores-taint-value"
    ),
    pytest.param(
        [],
        [tol("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule")],
        True,
        id="cordon-tolerated",
    ),
    pytest.param([], [tol(operator="Exists")], True, id="cordon-tolerated-by-wildcard"),
]

TAINT_MISSES = [
    pytest.param([GPU_TAINT], [], False, "node(s) had untolerated taint", id="no-schedule-untolerated"),
    pytest.param([taint("x", "y", "NoExecute")], [], False, "node(s) had untolerated taint", id="no-execute"),
    pytest.param(
        [taint("x", "y", "NoExecute")],
        [tol("x", "Exists", effect="NoSchedule")],
        False,
        "node(s) had untolerated taint",
        id="toleration-effect-differs",
    ),
    pytest.param(
        [GPU_TAINT], [tol(GPU, "Equal", "absent")], False, "node(s) had untolerated taint", id="value-differs"
    ),
    pytest.param(
        [GPU_TAINT], [tol("other", "Exists")], False, "node(s) had untolerated taint", id="key-differs"
    ),
    pytest.param([], [], True, "node(s) were unschedulable", id="cordoned"),
    pytest.param(
        [],
        [tol("node.kubernetes.io/unschedulable", "Exists", effect="NoExecute")],
        True,
        "node(s) were unschedulable",
        id="cordon-toleration-wrong-effect",
    ),
]


@pytest.mark.parametrize(("taints", "tolerations", "cordoned"), TAINT_FITS)
def test_tolerated_or_soft_taints_allow(taints: Any, tolerations: Any, cordoned: bool) -> None:
    objects = [node(taints=taints, unschedulable=cordoned)]
    assert capacity(pod(**SMALL, tolerations=tolerations), objects) == []


@pytest.mark.parametrize(("taints", "tolerations", "cordoned", "reason"), TAINT_MISSES)
def test_untolerated_taints_and_cordons_reject(
    taints: Any, tolerations: Any, cordoned: bool, reason: str
) -> None:
    v = verdict(
        pod(**SMALL, tolerations=tolerations),
        [node(taints=taints, unschedulable=cordoned)],
        settings=only("capacity"),
    )
    assert pairs(v) == NO_FIT
    (got,) = v.findings[0].facts["reasons"]
    assert got.startswith(reason)
