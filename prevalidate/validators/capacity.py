"""Node fit: could any node ever run the pod (``no-node-fits``), and does one have room now
(``insufficient-capacity``)? Mirrors kube-scheduler's filters (reference §4).

Pure, no I/O here. Static filters (cordon, selector/affinity, taints, allocatable) are cached
per pod scheduling signature until a node's static shape changes; the dynamic part compares the
demand, in scheduler units, with allocatable minus the requests of bound non-terminal pods,
stopping at the first node with room. Declared node pools (templates an autoscaler can add)
turn capacity errors into warnings when a template fits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from ..model.cluster import ClusterView, NodeUsage
from ..model.demand import SpawnDemand
from ..model.findings import Code, Finding, Severity
from ..model.objects import NodeInfo
from ..model.podmath import Units
from ..model.resources import PODS, scheduler_units
from .context import CheckInput, skipped
from .nodefilter import scheduling_signature, static_rejection


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


class _NodeCache:
    """Per node generation: allocatable units, and per signature the statically compatible
    nodes with the rejection histogram of the others."""

    def __init__(self, cluster: ClusterView) -> None:
        self.generation = cluster.node_generation
        self.allocatable = {name: allocatable_units(node) for name, node in cluster.nodes.items()}
        self.by_signature: dict[tuple[object, ...], tuple[list[str], Counter[str]]] = {}


def _cache(cluster: ClusterView) -> _NodeCache:
    cache = cluster.derived.get("capacity")
    if not isinstance(cache, _NodeCache) or cache.generation != cluster.node_generation:
        cache = _NodeCache(cluster)
        cluster.derived["capacity"] = cache
    return cache


def _compatible(
    cluster: ClusterView, cache: _NodeCache, demand: SpawnDemand
) -> tuple[list[str], Counter[str]]:
    signature = scheduling_signature(demand)
    hit = cache.by_signature.get(signature)
    if hit is None:
        names: list[str] = []
        rejected: Counter[str] = Counter()
        for name, node in cluster.nodes.items():
            reason = static_rejection(node, demand)
            if reason is None:
                names.append(name)
            else:
                rejected[reason] += 1
        hit = cache.by_signature[signature] = (names, rejected)
    return hit


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
    names, _ = _compatible(cluster, _cache(cluster), demand)
    return [cluster.nodes[n] for n in names]


def _first_with_room(cluster: ClusterView, cache: _NodeCache, names: list[str], need: Units) -> str | None:
    """The first compatible node with room now — the common, fast answer for a valid spawn."""
    wanted = list(need.items())
    usage_of = cluster.usage.get
    empty = NodeUsage()
    for name in names:
        have = cache.allocatable[name]
        usage = usage_of(name) or empty
        if usage.pods + 1 > have[PODS]:
            continue
        used = usage.requested
        for resource, value in wanted:
            if value > have.get(resource, 0) - used.get(resource, 0):
                break
        else:
            return name
    return None


def check(ctx: CheckInput) -> list[Finding]:
    cluster, demand = ctx.cluster, ctx.demand
    if not cluster.knows("Node"):
        return [skipped("capacity", "Node")]
    need = demand_units(demand)
    cache = _cache(cluster)
    compatible, rejected = _compatible(cluster, cache, demand)
    if _first_with_room(cluster, cache, compatible, need) is not None:
        return []
    # Nothing has room now: find out whether anything ever could, and the numbers to show.
    pools = fitting_pools(demand, ctx.settings.node_pools, need)
    base = {"requested": need, "nodes_total": len(cluster.nodes), "pools": pools}
    reasons: Counter[str] = Counter(rejected)
    could_fit: list[str] = []
    for name in compatible:
        shortfalls = resource_shortfalls(need, cache.allocatable[name])
        if shortfalls:
            reasons.update(shortfalls)
        else:
            could_fit.append(name)
    if not could_fit:
        facts = dict(
            base,
            reasons=dict(reasons),
            compatible_nodes=len(compatible),
            largest=_largest(need, (cache.allocatable[n] for n in compatible)),
        )
        severity = Severity.WARNING if pools else Severity.ERROR
        return [Finding(Code.NO_NODE_FITS, severity, subject="pod", facts=facts)]
    free = []
    busy: Counter[str] = Counter()
    for name in could_fit:
        usage = cluster.usage.get(name) or NodeUsage()
        have = cache.allocatable[name]
        free.append({r: have.get(r, 0) - usage.requested.get(r, 0) for r in need})
        busy.update(resource_shortfalls(need, {**free[-1], PODS: have[PODS]}, usage.pods))
    degrade = bool(pools) or ctx.settings.capacity_policy == "warn"
    facts = dict(
        base,
        could_fit=len(could_fit),
        largest_free=_largest(need, free),
        reasons=dict(busy),
        largest=_largest(need, (cache.allocatable[n] for n in could_fit)),
    )
    return [
        Finding(
            Code.INSUFFICIENT_CAPACITY,
            Severity.WARNING if degrade else Severity.ERROR,
            subject="pod",
            facts=facts,
        )
    ]
