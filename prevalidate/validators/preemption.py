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

from ..model.priority import Priority, resolve
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


def eviction_threshold(ctx: CheckInput) -> tuple[Priority, int | None]:
    """The new pod's priority, and the priority below which the scheduler may evict pods for
    it: None when it never preempts (preemptionPolicy Never) or no bound pod anywhere has a
    lower priority. A priority that cannot be known (the PriorityClass list is unreadable) is
    taken as the highest a user class can have, so that a preemption that might help is found."""
    priority = incoming_priority(ctx)
    if not priority.preempts:
        return priority, None
    below = HIGHEST_USER_DEFINABLE_PRIORITY if priority.value is None else priority.value
    return priority, below if ctx.cluster.has_bound_below(below) else None
