"""The scheduler's Filter plugins and its FitError message, shared with the autoscaler.

Default profile order, stopping at the first plugin that rejects a node: NodeUnschedulable,
TaintToleration, NodeAffinity, NodeResourcesFit. Reasons and the `0/N nodes are available: …`
format follow pkg/scheduler (v1.31 wording: `node(s) had untolerated taint {key: value}`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .podresources import Resources, pod_requests
from .quantity import Quantity, parse_json_quantity

Obj = dict[str, Any]
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


@dataclass(frozen=True)
class Rejection:
    reasons: tuple[str, ...]
    unresolvable: bool


def tolerates(tolerations: Iterable[Obj], taint: Obj) -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        operator = t.get("operator") or "Equal"
        if operator == "Exists" and not t.get("key"):
            return True
        if t.get("key") != taint.get("key"):
            continue
        if operator == "Exists" or (t.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def _expr_matches(expr: Obj, value: str | None) -> bool:
    op, values = expr.get("operator"), list(expr.get("values") or [])
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt") and value is not None and values:
        try:
            left, right = int(value), int(values[0])
        except ValueError:
            return False
        return left > right if op == "Gt" else left < right
    return False


def affinity_matches(pod: Obj, node: Obj) -> bool:
    spec = pod.get("spec") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    for key, value in (spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if not required:
        return True
    return node_selector_matches(required, node)


# volumebinding ErrReasonNodeConflict as of v1.31 (newer releases: "node(s) didn't match
# PersistentVolume's node affinity", kubernetes-behaviour.md §4.2)
VOLUME_NODE_CONFLICT = "node(s) had volume node affinity conflict"
VOLUME_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"  # ErrReasonBindConflict


def topology_matches(allowed: list[Obj] | None, node: Obj) -> bool:
    """StorageClass.allowedTopologies (v1helper.MatchTopologySelectorTerms): none allows every
    node; else some term's every `matchLabelExpressions` entry has the node's label among its
    values."""
    if not allowed:
        return True
    labels = (node.get("metadata") or {}).get("labels") or {}
    return any(
        all(labels.get(e.get("key", "")) in (e.get("values") or [])
            for e in term.get("matchLabelExpressions") or [])
        for term in allowed)


def node_selector_matches(selector: Obj, node: Obj) -> bool:
    """A v1.NodeSelector (terms ORed, expressions ANDed; an empty term matches nothing)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    for term in selector.get("nodeSelectorTerms") or []:
        exprs = term.get("matchExpressions") or []
        fields = term.get("matchFields") or []
        if not exprs and not fields:
            continue
        if all(_expr_matches(e, labels.get(e.get("key", ""))) for e in exprs) and all(
            _expr_matches(f, node["metadata"]["name"] if f.get("key") == "metadata.name" else None)
            for f in fields
        ):
            return True
    return False


def allocatable(node: Obj) -> Resources:
    status = node.get("status") or {}
    raw = status.get("allocatable") or status.get("capacity") or {}
    return {k: parse_json_quantity(v) for k, v in raw.items()}


def _amount(name: str, q: Quantity) -> int:
    return q.milli_value() if name == "cpu" else q.int_value()


def _resource_order(name: str) -> tuple[int, str]:
    return ({"cpu": 0, "memory": 1, "ephemeral-storage": 2}.get(name, 3), name)


def request_amounts(pod: Obj) -> dict[str, int]:
    """The pod's requests as the scheduler compares them: milli-cpu, integer units otherwise."""
    return {k: _amount(k, q) for k, q in pod_requests(pod).items() if q.value > 0}


@dataclass
class NodeUsage:
    """What the pods already on a node take (the scheduler's NodeInfo)."""

    pods: int = 0
    used: dict[str, int] = field(default_factory=dict)

    def add(self, amounts: dict[str, int]) -> None:
        self.pods += 1
        for k, v in amounts.items():
            self.used[k] = self.used.get(k, 0) + v

    @classmethod
    def of(cls, pods: Iterable[Obj]) -> NodeUsage:
        usage = cls()
        for pod in pods:
            usage.add(request_amounts(pod))
        return usage


def fit(wanted: dict[str, int], node: Obj, usage: NodeUsage) -> Rejection | None:
    """NodeResourcesFit: pod count, then every requested resource against what is free."""
    alloc = allocatable(node)
    reasons: list[str] = []
    unresolvable = False
    max_pods = alloc["pods"].int_value() if "pods" in alloc else 110
    if usage.pods + 1 > max_pods:
        reasons.append("Too many pods")
    for name in sorted(wanted, key=_resource_order):
        need = wanted[name]
        have = _amount(name, alloc[name]) if name in alloc else 0
        if need > have - usage.used.get(name, 0):
            reasons.append(f"Insufficient {name}")
            unresolvable = unresolvable or need > have
    return Rejection(tuple(reasons), unresolvable) if reasons else None


def filter_node(
    pod: Obj, node: Obj, usage: NodeUsage, wanted: dict[str, int] | None = None
) -> Rejection | None:
    spec = pod.get("spec") or {}
    tolerations = spec.get("tolerations") or []
    if (node.get("spec") or {}).get("unschedulable") and not tolerates(
        tolerations, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    ):
        return Rejection(("node(s) were unschedulable",), True)
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(tolerations, taint):
            text = f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value') or ''}}}"
            return Rejection((text,), True)
    if not affinity_matches(pod, node):
        return Rejection(("node(s) didn't match Pod's node affinity/selector",), True)
    return fit(request_amounts(pod) if wanted is None else wanted, node, usage)


def _histogram(reasons: Iterable[str]) -> str:
    counts = Counter(reasons)
    return ", ".join(sorted(f"{n} {reason}" for reason, n in counts.items()))


def fit_error(
    node_count: int, rejections: list[Rejection], prefilter: str | None, post: str | None = None
) -> str:
    """FitError.Error(): `0/N nodes are available: <sorted histogram>.`, then the PostFilter
    (DefaultPreemption) message as ` preemption: <message>`."""
    if node_count == 0:
        return "no nodes available to schedule pods"
    head = f"0/{node_count} nodes are available:"
    if prefilter:
        message = f"{head} {prefilter}."
    else:
        message = f"{head} {_histogram(r for rej in rejections for r in rej.reasons)}."
    return f"{message} preemption: {post}" if post else message
