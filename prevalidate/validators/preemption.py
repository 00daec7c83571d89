"""Preemption: room the scheduler makes by evicting pods of lower priority than the new one.

Pure, no I/O here. kube-scheduler's DefaultPreemption PostFilter
(pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go, and
pkg/scheduler/framework/preemption/preemption.go) runs when no node has room. On every node
that failed only for lack of room (NodeResourcesFit says Unschedulable; nodes rejected by
selectors, taints or cordons are UnschedulableAndUnresolvable and never candidates), it
removes every pod of strictly lower priority (``isPreemptionAllowed``: victim priority <
preemptor priority) and asks whether the pod fits then; if so the node is a candidate, the
victims are deleted and the pod is nominated to it. So a pod fits a node when it fits after
the node's lower-priority pods are gone. PodDisruptionBudgets do not prevent this (the
scheduler only prefers candidates that violate fewer), equal priority never preempts, and a
pod whose preemptionPolicy is ``Never`` (its own, or its PriorityClass's, which admission
copies) never preempts (``PodEligibleToPreemptOthers``).

z2jh's ``scheduling.userPlaceholder`` pods run at priority -10 precisely so that user pods, at
the default priority 0, displace them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..model.cluster import ClusterView, NodeUsage
from ..model.podmath import Units
from ..model.priority import Priority, resolve
from ..model.resources import PODS
from .context import CheckInput

# Any user-defined PriorityClass has a value of at most one billion (pkg/apis/scheduling
# HighestUserDefinablePriority); the assumption for a pod whose class cannot be read.
HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000


def incoming_priority(ctx: CheckInput) -> Priority:
    """The new pod's priority after the Priority admission plugin."""
    demand, cluster = ctx.demand, ctx.cluster
    return resolve(
        demand.priority_class,
        demand.spec_priority,
        demand.preemption_policy,
        cluster.priority_classes,
        cluster.knows("PriorityClass"),
    )


@dataclass(frozen=True)
class PreemptionScan:
    node: str | None  # the first node where evicting lower-priority pods makes room
    lower_pods: int  # how many lower-priority pods run on that node (the scheduler evicts the fewest it can)
    largest_free: dict[str, int]  # per resource, the most a node could offer after evictions


def may_preempt(cluster: ClusterView, priority: int) -> bool:
    """Whether any bound pod in the cluster has a lower priority (otherwise nothing can make way)."""
    return cluster.has_bound_below(priority)


def scan(
    cluster: ClusterView,
    allocatable: Mapping[str, Units],
    names: list[str],
    need: Units,
    priority: int,
) -> PreemptionScan:
    """One pass over the nodes that could hold the pod when empty: the first where it fits once
    every pod of lower priority is gone. Only nodes with such pods are looked at closely."""
    wanted = list(need.items())
    usage_of = cluster.usage.get
    empty = NodeUsage()
    largest_free: dict[str, int] = {}
    for name in names:
        usage = usage_of(name) or empty
        freed_pods, freed = usage.below(priority)
        if not freed_pods:
            continue  # nothing to evict here: the scan without preemption already saw this node
        have = allocatable[name]
        used = usage.requested
        room = usage.pods - freed_pods + 1 <= have[PODS]
        for resource, value in wanted:
            free = have.get(resource, 0) - used.get(resource, 0) + freed.get(resource, 0)
            if free > largest_free.get(resource, -(2**62)):
                largest_free[resource] = free
            if value > free:
                room = False
        if room:
            return PreemptionScan(name, freed_pods, largest_free)
    return PreemptionScan(None, 0, largest_free)
