"""Node fit: could any node ever run the pod (``no-node-fits``), and does one have room now
(``insufficient-capacity``)? Mirrors kube-scheduler's filters (pkg/scheduler/framework/plugins:
noderesources/fit.go, nodeaffinity, tainttoleration, nodeunschedulable) and its
DefaultPreemption (plugins/defaultpreemption).

Pure, no I/O here. Static filters (cordon, selector/affinity, taints, allocatable) are cached
per pod scheduling signature until a node's static shape changes; the dynamic part compares the
demand, in scheduler units, with allocatable minus the requests of bound non-terminal pods,
stopping at the first node with room. When none has room, a node where evicting the pods of
lower priority than this one makes room will do (``preemption-expected``, see preemption.py).
Declared node pools (templates an autoscaler can add) turn capacity errors into warnings when a
template fits; without declared pools, an autoscaler that may add nodes we cannot see (a pool
scaled to zero: model/autoscaling.py) turns them into warnings too. A pod with
``spec.nodeName`` skips all of this: only that node's kubelet admits it (nodename.py). The
pod's priority is the Priority admission plugin's; a PriorityClass that does not exist makes
the apiserver refuse the pod.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cachetools import LRUCache

from ..model.autoscaling import node_group_label, unseen_nodes_possible
from ..model.cluster import ClusterView, NodeUsage
from ..model.demand import SpawnDemand
from ..model.findings import Code, Finding, Severity
from ..model.objects import NodeInfo
from ..model.podmath import Units
from ..model.priority import Priority
from ..model.resources import PODS, scheduler_units
from . import nodename, preemption
from .context import CheckInput, skipped
from .nodefilter import only_transiently_rejected, scheduling_signature, static_rejection


def demand_units(demand: SpawnDemand) -> Units:
    return {name: scheduler_units(name, value) for name, value in demand.requests.items() if value > 0}


def allocatable_units(node: NodeInfo) -> Units:
    units = {name: scheduler_units(name, value) for name, value in node.allocatable.items()}
    units.setdefault(PODS, 110)  # kubelet's default maxPods when a dump omits it
    return units


def resource_shortfalls(need: Units, have: Mapping[str, int], pods_in_use: int = 0) -> list[str]:
    """NodeResourcesFit reasons, in the scheduler's words."""
    reasons = []
    if pods_in_use + 1 > have.get(PODS, 0):
        reasons.append("Too many pods")
    for name, value in need.items():
        if name != PODS and value > have.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


@dataclass
class _Compatible:
    """The nodes that pass the static filters for one scheduling signature, grouped by
    allocatable shape (node pools make a handful of shapes out of thousands of nodes), and
    the filter histogram of the others."""

    names: list[str]
    rejected: Counter[str]
    shapes: list[tuple[Units, list[str]]]
    starting: list[str]  # rejected only by taints that clear by themselves (not-ready ...)
    # the statically rejected nodes by (reason, allocatable shape): how many would be big
    # enough, so a message never calls a node "too small" that a taint or selector excludes
    excluded: Counter[tuple[str, tuple[tuple[str, int], ...]]] = field(default_factory=Counter)


# How many scheduling signatures keep their compatible nodes. Profiles give a handful, but a
# signature holds the pod's node selector, affinity and tolerations, which a free-text form field
# or the REST API can make different on every spawn: unbounded, the cache would grow by a list of
# node names per distinct request until the nodes next change. An evicted signature is only
# recomputed (one pass over the nodes), never answered differently.
SIGNATURES_KEPT = 128


class _NodeCache:
    """Per node generation: allocatable units, and per signature the compatible nodes (LRU)."""

    def __init__(self, cluster: ClusterView) -> None:
        self.generation = cluster.node_generation
        self.allocatable = {name: allocatable_units(node) for name, node in cluster.nodes.items()}
        self.by_signature: LRUCache[tuple[object, ...], _Compatible] = LRUCache(maxsize=SIGNATURES_KEPT)
        self._nodes = cluster.nodes
        self._group_label: tuple[str | None] | None = None  # asked only when nothing fits

    def group_label(self) -> str | None:
        if self._group_label is None:
            self._group_label = (node_group_label(self._nodes.values()),)
        return self._group_label[0]


def _cache(cluster: ClusterView) -> _NodeCache:
    cache = cluster.derived("capacity")
    if not isinstance(cache, _NodeCache) or cache.generation != cluster.node_generation:
        cache = _NodeCache(cluster)
        cluster.keep_derived("capacity", cache)
    return cache


def _compatible(cluster: ClusterView, cache: _NodeCache, demand: SpawnDemand) -> _Compatible:
    signature = scheduling_signature(demand)
    hit = cache.by_signature.get(signature)
    if hit is None:
        names: list[str] = []
        rejected: Counter[str] = Counter()
        shapes: dict[tuple[tuple[str, int], ...], tuple[Units, list[str]]] = {}
        starting: list[str] = []
        excluded: Counter[tuple[str, tuple[tuple[str, int], ...]]] = Counter()
        for name, node in cluster.nodes.items():
            reason = static_rejection(node, demand)
            if reason is None:
                names.append(name)
                units = cache.allocatable[name]
                shapes.setdefault(tuple(sorted(units.items())), (units, []))[1].append(name)
            else:
                rejected[reason] += 1
                excluded[(reason, tuple(sorted(cache.allocatable[name].items())))] += 1
                if only_transiently_rejected(node, demand):
                    starting.append(name)
        hit = _Compatible(names, rejected, _roomiest_first(shapes.values()), starting, excluded)
        cache.by_signature[signature] = hit
    return hit


def _roomiest_first(shapes: Iterable[tuple[Units, list[str]]]) -> list[tuple[Units, list[str]]]:
    # Bigger nodes are likelier to have room, so the scan for a valid spawn ends sooner.
    return sorted(shapes, key=lambda shape: (-shape[0].get("cpu", 0), -shape[0].get("memory", 0)))


def _largest(need: Units, nodes: Iterable[Mapping[str, int]]) -> dict[str, int]:
    largest: dict[str, int] = {}
    for have in nodes:
        for name in need:
            largest[name] = max(largest.get(name, 0), have.get(name, 0))
    return largest


def _excluded_but_big_enough(compatible: _Compatible, need: Units) -> dict[str, int]:
    """Per static reason (taint, selector, cordon), how many excluded nodes are big enough."""
    fitting: Counter[str] = Counter()
    for (reason, shape), count in compatible.excluded.items():
        if not resource_shortfalls(need, dict(shape)):
            fitting[reason] += count
    return dict(fitting)


def fitting_pools(demand: SpawnDemand, pools: Iterable[NodeInfo], need: Units) -> list[str]:
    return [
        pool.name
        for pool in pools
        if static_rejection(pool, demand) is None and not resource_shortfalls(need, allocatable_units(pool))
    ]


def candidate_nodes(cluster: ClusterView, demand: SpawnDemand) -> list[NodeInfo]:
    """Nodes that pass the static filters (for the image platform check); for a pod with
    ``spec.nodeName``, that node alone, whatever the scheduler's filters would say."""
    if demand.node_name:
        pinned = cluster.nodes.get(demand.node_name)
        return [pinned] if pinned is not None else []
    return [cluster.nodes[n] for n in _compatible(cluster, _cache(cluster), demand).names]


@dataclass
class _Scan:
    has_room: bool
    largest_free: dict[str, int]  # per resource (and pod slots): the most any node offers
    preempt_node: str | None = None  # the first node with room once lower-priority pods go
    lower_pods: int = 0  # how many such pods run there


def _scan_for_room(
    cluster: ClusterView, cache: _NodeCache, names: list[str], need: Units, evict_below: int | None
) -> _Scan:
    """One pass over nodes that could hold the pod when empty: room now at the first that has
    it (the common, fast answer for a valid spawn). Otherwise the most free per resource, for
    the "choose at most" of the message, and, with ``evict_below``, the first node with room
    once its pods of lower priority are evicted (the free amounts then count what they hold)."""
    wanted = list(need.items())
    usage_of = cluster.usage.get
    allocatable = cache.allocatable
    empty = NodeUsage()
    largest_free: dict[str, int] = {PODS: 0}
    after: dict[str, int] = {}
    preempt_node, lower_pods = None, 0
    for name in names:
        have = allocatable[name]
        usage = usage_of(name) or empty
        used = usage.requested
        slots = have[PODS] - usage.pods
        room = slots >= 1
        if slots > largest_free[PODS]:
            largest_free[PODS] = slots
        for resource, value in wanted:
            free = have.get(resource, 0) - used.get(resource, 0)
            if free > largest_free.get(resource, -(2**62)):
                largest_free[resource] = free
            if value > free:
                room = False
        if room:
            return _Scan(True, largest_free)
        if evict_below is None or preempt_node is not None or (evict_below <= 0 and not usage.by_priority):
            continue
        freed_pods, freed = usage.below(evict_below)
        if not freed_pods:
            continue
        fits = slots + freed_pods >= 1
        for resource, value in wanted:
            free = have.get(resource, 0) - used.get(resource, 0) + freed.get(resource, 0)
            if free > after.get(resource, -(2**62)):
                after[resource] = free
            if value > free:
                fits = False
        if fits:
            preempt_node, lower_pods = name, freed_pods
    if preempt_node is None:
        for resource, free in after.items():
            largest_free[resource] = max(largest_free.get(resource, free), free)
    return _Scan(False, largest_free, preempt_node, lower_pods)


def _missing_class(name: str) -> Finding:
    return Finding(Code.PRIORITYCLASS_NOT_FOUND, Severity.ERROR, subject=name, facts={"name": name})


def _preemption_finding(priority: Priority, scan: _Scan) -> Finding:
    if priority.value is None:
        return skipped("capacity", "PriorityClass")  # it may preempt; we cannot say: allow
    facts = {"node": scan.preempt_node, "priority": priority.value, "lower_priority_pods": scan.lower_pods}
    return Finding(Code.PREEMPTION_EXPECTED, Severity.INFO, subject="pod", facts=facts)


def check(ctx: CheckInput) -> list[Finding]:
    cluster, demand = ctx.cluster, ctx.demand
    if demand.priority_class:
        priority = preemption.incoming_priority(ctx)
        if priority.missing_class:
            return [_missing_class(priority.missing_class)]
    if not cluster.knows("Node"):
        return [skipped("capacity", "Node")]
    need = demand_units(demand)
    cache = _cache(cluster)
    if demand.node_name:
        allocatable = cache.allocatable.get(demand.node_name, {})
        return nodename.check(ctx, need, allocatable, preemption.incoming_priority(ctx))
    compatible = _compatible(cluster, cache, demand)
    reasons: Counter[str] = Counter(compatible.rejected)
    could_fit: list[str] = []
    fitting_shapes: list[Units] = []
    for units, names in compatible.shapes:  # static fit per allocatable shape, not per node
        shortfalls = resource_shortfalls(need, units)
        for reason in shortfalls:
            reasons[reason] += len(names)
        if not shortfalls:
            could_fit.extend(names)
            fitting_shapes.append(units)
    if could_fit:
        priority, evict_below = preemption.eviction_threshold(ctx)
        scan = _scan_for_room(cluster, cache, could_fit, need, evict_below)
        if scan.has_room:
            return []
        if scan.preempt_node is not None:
            return [_preemption_finding(priority, scan)]
        largest_free = scan.largest_free
    pools = fitting_pools(demand, ctx.settings.node_pools, need)
    scaler = unseen_nodes_possible(ctx.settings.autoscaler, ctx.settings.node_pools, cache.group_label)
    base = {
        "requested": need,
        "nodes_total": len(cluster.nodes),
        "pools": pools,
        "excluded_big_enough": _excluded_but_big_enough(compatible, need),
    }
    if scaler:
        base["autoscaler"] = scaler
    if not could_fit and any(
        not resource_shortfalls(need, cache.allocatable[name]) for name in compatible.starting
    ):
        # A node that fits is still starting (not-ready/uninitialized taints): the scheduler will
        # place the pod when it is ready, so this is a wait, not a rejection.
        facts = dict(base, could_fit=0, starting=len(compatible.starting), largest_free={}, largest={})
        return [Finding(Code.INSUFFICIENT_CAPACITY, Severity.WARNING, subject="pod", facts=facts)]
    if not could_fit:
        facts = dict(
            base,
            reasons=dict(reasons),
            compatible_nodes=len(compatible.names),
            largest=_largest(need, (units for units, _ in compatible.shapes)),
        )
        severity = Severity.WARNING if pools or scaler else Severity.ERROR
        return [Finding(Code.NO_NODE_FITS, severity, subject="pod", facts=facts)]
    degrade = bool(pools) or bool(scaler) or ctx.settings.capacity_policy == "warn"
    facts = dict(
        base,
        could_fit=len(could_fit),
        largest_free={r: v for r, v in largest_free.items() if r != PODS},
        free_pod_slots=largest_free[PODS],
        largest=_largest(need, fitting_shapes),
    )
    severity = Severity.WARNING if degrade else Severity.ERROR
    return [Finding(Code.INSUFFICIENT_CAPACITY, severity, subject="pod", facts=facts)]
