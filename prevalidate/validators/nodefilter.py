"""The scheduler's static Filter plugins for one node: NodeUnschedulable, NodeAffinity (node
selector and required affinity, every operator), TaintToleration.

Pure, no I/O here. "Static" means they depend on the node object and the pod spec only, never
on other pods — so their result can be cached per (pod scheduling signature, node generation).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..model.demand import SpawnDemand, Toleration
from ..model.objects import NodeInfo, Taint

UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")

REASON_UNSCHEDULABLE = "node(s) were unschedulable"
REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
REASON_TAINT = "node(s) had untolerated taint"


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    """v1 ``Toleration.ToleratesTaint`` (staging/src/k8s.io/api/core/v1/toleration.go) with
    ``enableComparisonOperators``: ``Lt``/``Gt`` compare the taint's value with the
    toleration's as decimal integers. Those operators are behind the TaintTolerationComparisonOperators
    feature gate (alpha, off in v1.37): where it is off the apiserver refuses the pod (422) before
    any scheduling, so comparing as a gate-on scheduler does can never wrongly refuse a spawn,
    while treating them as "no match" refused pods a gate-on cluster runs."""
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    if toleration.operator == "Exists":
        return True
    if toleration.operator in ("Equal", ""):
        return toleration.value == taint.value
    if toleration.operator in ("Lt", "Gt"):
        wanted, offered = _decimal_integer(toleration.value), _decimal_integer(taint.value)
        if wanted is None or offered is None:
            return False
        return offered < wanted if toleration.operator == "Lt" else offered > wanted
    return False


_INT64 = (-(2**63), 2**63 - 1)


def _decimal_integer(text: str) -> int | None:
    """apimachinery ``content.IsDecimalInteger`` then ``strconv.ParseInt(text, 10, 64)``: an
    optional minus, no leading zeros, no plus sign, no "-0"."""
    if not re.fullmatch(r"0|-?[1-9][0-9]*", text):
        return None
    value = int(text)
    return value if _INT64[0] <= value <= _INT64[1] else None


# Taints the node lifecycle controller or a cloud provider put on a node that is starting or
# briefly unhealthy (pkg/controller/nodelifecycle; the cloud node controller removes the
# uninitialized taint): they go away by themselves.
TRANSIENT_TAINT_KEYS = frozenset(
    {
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/network-unavailable",
        "node.cloudprovider.kubernetes.io/uninitialized",
    }
)


def untolerated_taint(
    node: NodeInfo, tolerations: Sequence[Toleration], ignore: frozenset[str] = frozenset()
) -> Taint | None:
    for taint in node.taints:
        if taint.effect not in ("NoSchedule", "NoExecute") or taint.key in ignore:
            continue  # PreferNoSchedule only affects scoring
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def _expression_matches(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key = str(expr.get("key", ""))
    operator = expr.get("operator")
    values = [str(v) for v in expr.get("values") or ()]
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and len(values) == 1:
        try:
            have, bound = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > bound if operator == "Gt" else have < bound
    return False


def _term_matches(term: Mapping[str, Any], node: NodeInfo) -> bool:
    expressions = term.get("matchExpressions") or ()
    fields = term.get("matchFields") or ()
    if not expressions and not fields:
        return False  # an empty term matches no node
    if not all(_expression_matches(e, node.labels) for e in expressions):
        return False
    name_labels = {"metadata.name": node.name}
    return all(
        e.get("key") == "metadata.name"
        and e.get("operator") in ("In", "NotIn")
        and _expression_matches(e, name_labels)
        for e in fields
    )


def matches_affinity(node: NodeInfo, demand: SpawnDemand) -> bool:
    if any(node.labels.get(k) != v for k, v in demand.node_selector.items()):
        return False
    terms = demand.node_affinity_terms
    return not terms or any(_term_matches(t, node) for t in terms)


def static_rejection(node: NodeInfo, demand: SpawnDemand) -> str | None:
    """The first static reason ``node`` can never run the pod, or None. Order as the
    scheduler's default profile runs them."""
    if node.unschedulable and not any(tolerates(t, UNSCHEDULABLE_TAINT) for t in demand.tolerations):
        return REASON_UNSCHEDULABLE
    if not matches_affinity(node, demand):
        return REASON_AFFINITY
    taint = untolerated_taint(node, demand.tolerations)
    if taint is not None:
        return f"{REASON_TAINT} {{{taint.key}: {taint.value}}}"
    return None


def only_transiently_rejected(node: NodeInfo, demand: SpawnDemand) -> bool:
    """Rejected now, but only by taints that clear by themselves (a node still starting)."""
    return (
        static_rejection(node, demand) is not None
        and not (
            node.unschedulable and not any(tolerates(t, UNSCHEDULABLE_TAINT) for t in demand.tolerations)
        )
        and matches_affinity(node, demand)
        and untolerated_taint(node, demand.tolerations, TRANSIENT_TAINT_KEYS) is None
    )


def scheduling_signature(demand: SpawnDemand) -> tuple[object, ...]:
    """Everything static_rejection reads from the pod, hashable."""
    return (
        tuple(sorted(demand.node_selector.items())),
        repr(demand.node_affinity_terms),
        demand.tolerations,
    )
