"""Node fit: could any node ever run the pod (``no-node-fits``), and does one have room now
(``insufficient-capacity``)? Mirrors kube-scheduler's filters (pkg/scheduler/framework/plugins:
noderesources/fit.go, nodeaffinity, tainttoleration, nodeunschedulable).

Pure, no I/O here. Static filters (cordon, selector/affinity, taints, allocatable) are cached
per pod scheduling signature until a node's static shape changes; the dynamic part compares the
demand, in scheduler units, with allocatable minus the requests of bound non-terminal pods,
stopping at the first node with room. Declared node pools (templates an autoscaler can add)
turn capacity errors into warnings when a template fits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..model.cluster import ClusterView, NodeUsage
from ..model.demand import SpawnDemand
from ..model.findings import Code, Finding, Severity
from ..model.objects import NodeInfo
from ..model.podmath import Units
from ..model.resources import PODS, scheduler_units
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


class _NodeCache:
    """Per node generation: allocatable units, and per signature the compatible nodes."""

    def __init__(self, cluster: ClusterView) -> None:
        self.generation = cluster.node_generation
        self.allocatable = {name: allocatable_units(node) for name, node in cluster.nodes.items()}
        self.by_signature: dict[tuple[object, ...], _Compatible] = {}


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
        for name, node in cluster.nodes.items():
            reason = static_rejection(node, demand)
            if reason is None:
                names.append(name)
                units = cache.allocatable[name]
                shapes.setdefault(tuple(sorted(units.items())), (units, []))[1].append(name)
            else:
                rejected[reason] += 1
                if only_transiently_rejected(node, demand):
                    starting.append(name)
        hit = _Compatible(names, rejected, _roomiest_first(shapes.values()), starting)
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


def fitting_pools(demand: SpawnDemand, pools: Iterable[NodeInfo], need: Units) -> list[str]:
    return [
        pool.name
        for pool in pools
        if static_rejection(pool, demand) is None and not resource_shortfalls(need, allocatable_units(pool))
    ]


def candidate_nodes(cluster: ClusterView, demand: SpawnDemand) -> list[NodeInfo]:
    """Nodes that pass the static filters (for the image platform check)."""
    return [cluster.nodes[n] for n in _compatible(cluster, _cache(cluster), demand).names]


def _scan_for_room(
    cluster: ClusterView, cache: _NodeCache, names: list[str], need: Units
) -> tuple[bool, dict[str, int]]:
    """One pass over nodes that could hold the pod when empty: True at the first with room now
    (the common, fast answer for a valid spawn); otherwise the most free per resource, for the
    "choose at most" of the message."""
    wanted = list(need.items())
    usage_of = cluster.usage.get
    empty = NodeUsage()
    largest_free: dict[str, int] = {PODS: 0}
    for name in names:
        have = cache.allocatable[name]
        usage = usage_of(name) or empty
        used = usage.requested
        room = usage.pods + 1 <= have[PODS]
        largest_free[PODS] = max(largest_free[PODS], have[PODS] - usage.pods)
        for resource, value in wanted:
            free = have.get(resource, 0) - used.get(resource, 0)
            if free > largest_free.get(resource, -(2**62)):
                largest_free[resource] = free
            if value > free:
                room = False
        if room:
            return True, largest_free
    return False, largest_free


def check(ctx: CheckInput) -> list[Finding]:
    cluster, demand = ctx.cluster, ctx.demand
    if not cluster.knows("Node"):
        return [skipped("capacity", "Node")]
    need = demand_units(demand)
    cache = _cache(cluster)
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
        has_room, largest_free = _scan_for_room(cluster, cache, could_fit, need)
        if has_room:
            return []
    pools = fitting_pools(demand, ctx.settings.node_pools, need)
    base = {"requested": need, "nodes_total": len(cluster.nodes), "pools": pools}
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
        severity = Severity.WARNING if pools else Severity.ERROR
        return [Finding(Code.NO_NODE_FITS, severity, subject="pod", facts=facts)]
    degrade = bool(pools) or ctx.settings.capacity_policy == "warn"
    facts = dict(
        base,
        could_fit=len(could_fit),
        largest_free={r: v for r, v in largest_free.items() if r != PODS},
        free_pod_slots=largest_free[PODS],
        largest=_largest(need, fitting_shapes),
    )
    severity = Severity.WARNING if degrade else Severity.ERROR
    return [Finding(Code.INSUFFICIENT_CAPACITY, severity, subject="pod", facts=facts)]
