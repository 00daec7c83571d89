"""Pods with ``spec.nodeName``: the scheduler never sees them; only that node's kubelet admits
them.

Pure, no I/O here. kube-scheduler only takes pods whose nodeName is empty, so none of its
filters apply: a cordoned node or a NoSchedule taint does not stop such a pod. The kubelet
admits it with its GeneralPredicates (pkg/kubelet/lifecycle/predicate.go ``Admit`` and
``generalFilter``, over pkg/scheduler ``AdmissionCheck``):

- resources and pod count against the node's allocatable minus what its active pods request
  (noderesources ``Fits``); extended resources the node does not advertise at all are dropped
  first (``removeMissingExtendedResources``);
- the node selector and required node affinity;
- host ports (not modelled here: a hub's pods do not use them, so this never refuses);
- untolerated taints with effect NoExecute only. The DefaultTolerationSeconds admission plugin
  (on by default) gives every pod tolerations for ``node.kubernetes.io/not-ready`` and
  ``node.kubernetes.io/unreachable`` NoExecute, so those two never refuse.

A pod that fails is not left Pending: the kubelet sets it Failed with reason ``OutOfcpu``,
``OutOfmemory``, ``OutOfpods``, ``NodeAffinity`` or ``TaintToleration`` and a message such as
``Pod was rejected: Node didn't have enough resource: cpu, requested: …, used: …, capacity: …``
(pkg/kubelet/kubelet.go ``rejectPod``). A critical pod (priority >= 2,000,000,000) that lacks
only room makes the kubelet evict other pods instead (pkg/kubelet/preemption).

A nodeName naming no Node: the pod is stored, no kubelet ever runs it, and the pod garbage
collector deletes it once the node has been missing for its quarantine period (40 s,
pkg/controller/podgc ``gcOrphaned``). The node may still be joining, so that is a warning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..model.demand import Toleration
from ..model.findings import Code, Finding, Severity
from ..model.objects import NodeInfo, Taint
from ..model.podmath import Units
from ..model.priority import SYSTEM_CRITICAL_PRIORITY, Priority
from ..model.resources import PODS, is_extended
from .context import CheckInput
from .nodefilter import REASON_AFFINITY, matches_affinity, tolerates

# DefaultTolerationSeconds adds tolerations for these NoExecute taints to every pod.
DEFAULT_TOLERATED = frozenset({"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"})
REASON_NO_EXECUTE = "node(s) had untolerated taint"


def untolerated_no_execute(node: NodeInfo, tolerations: Sequence[Toleration]) -> Taint | None:
    for taint in node.taints:
        if taint.effect != "NoExecute" or taint.key in DEFAULT_TOLERATED:
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def _admitted_resources(need: Units, node: NodeInfo) -> Units:
    """removeMissingExtendedResources: what the kubelet checks of the pod's requests."""
    return {r: v for r, v in need.items() if not is_extended(r) or r in node.allocatable}


def check(ctx: CheckInput, need: Units, allocatable: Mapping[str, int], priority: Priority) -> list[Finding]:
    """The kubelet's admission of a pod bound to ``ctx.demand.node_name``. ``allocatable`` is
    that node's, in scheduler units (None-safe: unused when the node is missing)."""
    cluster, demand = ctx.cluster, ctx.demand
    name = demand.node_name
    base = {"requested": need, "node_name": name, "nodes_total": len(cluster.nodes), "pools": []}
    node = cluster.nodes.get(name)
    if node is None:
        facts = dict(base, node_missing=True)
        return [Finding(Code.NO_NODE_FITS, Severity.WARNING, subject="pod", facts=facts)]
    need = _admitted_resources(need, node)
    base["requested"] = need
    reasons: dict[str, int] = {}
    for resource, value in need.items():
        if resource != PODS and value > allocatable.get(resource, 0):
            reasons[f"Insufficient {resource}"] = 1
    if not matches_affinity(node, demand):
        reasons[REASON_AFFINITY] = 1
    taint = untolerated_no_execute(node, demand.tolerations)
    if taint is not None:
        reasons[f"{REASON_NO_EXECUTE} {{{taint.key}: {taint.value}}}"] = 1
    largest = {r: allocatable.get(r, 0) for r in need}
    if reasons:
        compatible = not any(not r.startswith("Insufficient") for r in reasons)
        facts = dict(base, reasons=reasons, compatible_nodes=int(compatible), largest=largest)
        return [Finding(Code.NO_NODE_FITS, Severity.ERROR, subject="pod", facts=facts)]
    usage = cluster.usage.get(name)
    used: Mapping[str, int] = usage.requested if usage is not None else {}
    pods_in_use = usage.pods if usage is not None else 0
    free = {r: allocatable.get(r, 0) - used.get(r, 0) for r in need if r != PODS}
    slots = allocatable.get(PODS, 0) - pods_in_use
    short = slots < 1 or any(need[r] > free[r] for r in free)
    critical = priority.value is not None and priority.value >= SYSTEM_CRITICAL_PRIORITY
    if not short or critical:
        return []
    severity = Severity.WARNING if ctx.settings.capacity_policy == "warn" else Severity.ERROR
    facts = dict(base, could_fit=1, largest_free=free, free_pod_slots=slots, largest=largest)
    return [Finding(Code.INSUFFICIENT_CAPACITY, severity, subject="pod", facts=facts)]
