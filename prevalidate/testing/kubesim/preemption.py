"""kube-scheduler's DefaultPreemption PostFilter: evict lower-priority pods to make room.

Written from pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go and
pkg/scheduler/framework/preemption/preemption.go:

- ``PodEligibleToPreemptOthers``: a pod with preemptionPolicy Never does not preempt
  (`not eligible due to preemptionPolicy=Never.`); nor does one whose nominated node still
  has a pod terminating because of a preemption (`not eligible due to a terminating pod on
  the nominated node.`).
- ``findCandidates``: only nodes whose Filter status was Unschedulable (not
  UnschedulableAndUnresolvable) are tried; the others are `Preemption is not helpful for
  scheduling`.
- ``SelectVictimsOnNode``: remove every pod of strictly lower priority (none: `No preemption
  victims found for incoming pod`); if the pod still does not fit, that node's Filter reasons
  stand; otherwise add the removed pods back, most important first (higher priority, then
  earlier start), keeping each that still lets the pod fit. What is left are the victims.
- ``pickOneNodeForPreemption`` (no PodDisruptionBudgets here, which only rank candidates):
  lowest highest-victim priority, then lowest sum of priorities, then fewest victims, then the
  latest start among the highest-priority victims, then the first.
- The pods nominated to a node with a priority at least the incoming pod's count as already
  there (``RunFilterPluginsWithNominatedPods``).

A pod's priority is ``spec.priority`` (0 when unset: component-helpers ``PodPriority``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .filters import NO_VICTIMS, NOT_HELPFUL, NodeUsage, Rejection, filter_node

Obj = dict[str, Any]
Amounts = Callable[[Obj], dict[str, int]]
NEVER = "not eligible due to preemptionPolicy=Never."
TERMINATING = "not eligible due to a terminating pod on the nominated node."
PREEMPTED_REASON = "PreemptionByScheduler"


def priority(pod: Obj) -> int:
    value = (pod.get("spec") or {}).get("priority")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _start(pod: Obj) -> str:
    status = pod.get("status") or {}
    return str(status.get("startTime") or pod["metadata"].get("creationTimestamp") or "9999")


def more_important_first(pods: list[Obj]) -> list[Obj]:
    """util.MoreImportantPod order: higher priority first, then the one started earlier."""
    return sorted(pods, key=lambda p: (-priority(p), _start(p)))


def terminating_by_preemption(pod: Obj) -> bool:
    if "deletionTimestamp" not in pod["metadata"]:
        return False
    return any(
        (c.get("type"), c.get("status"), c.get("reason")) == ("DisruptionTarget", "True", PREEMPTED_REASON)
        for c in (pod.get("status") or {}).get("conditions") or []
    )


@dataclass
class Candidate:
    node: str
    victims: list[Obj] = field(default_factory=list)


def _usage(pods: list[Obj], amounts: Amounts) -> NodeUsage:
    usage = NodeUsage()
    for p in pods:
        usage.add(amounts(p))
    return usage


def select_victims(
    pod: Obj, node: Obj, on_node: list[Obj], nominated: list[Obj], amounts: Amounts
) -> Candidate | Rejection:
    """``SelectVictimsOnNode`` for one node: the victims, or why this node cannot help."""
    mine = priority(pod)
    potential = [p for p in on_node if priority(p) < mine]
    if not potential:
        return Rejection((NO_VICTIMS,), True)
    staying = [p for p in on_node if priority(p) >= mine] + nominated
    wanted = amounts(pod)
    rejection = filter_node(pod, node, _usage(staying, amounts), wanted)
    if rejection is not None:
        return rejection
    victims: list[Obj] = []
    for candidate in more_important_first(potential):
        if filter_node(pod, node, _usage([*staying, candidate], amounts), wanted) is None:
            staying.append(candidate)  # reprieved: the pod still fits with it
        else:
            victims.append(candidate)
    return Candidate(node["metadata"]["name"], victims)


def pick(candidates: list[Candidate]) -> Candidate:
    """pickOneNodeForPreemption without PodDisruptionBudgets: each score in turn keeps the
    best-scoring candidates; the first left wins."""

    def earliest_top_start(c: Candidate) -> str:
        top = max(priority(v) for v in c.victims)
        return min(_start(v) for v in c.victims if priority(v) == top)

    scores: list[Callable[[Candidate], Any]] = [
        lambda c: -max(priority(v) for v in c.victims),
        lambda c: -sum(priority(v) + 2**31 for v in c.victims),
        lambda c: -len(c.victims),
        earliest_top_start,  # RFC 3339 strings sort by time: the latest wins
    ]
    pool = list(candidates)
    for score in scores:
        best = max(score(c) for c in pool)
        pool = [c for c in pool if score(c) == best]
        if len(pool) == 1:
            break
    return pool[0]


def eligible(pod: Obj, pods_on_nominated_node: list[Obj]) -> str | None:
    """None when the pod may preempt, else the PostFilter message saying why not."""
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return NEVER
    mine = priority(pod)
    if any(priority(p) < mine and terminating_by_preemption(p) for p in pods_on_nominated_node):
        return TERMINATING
    return None


def find_candidates(
    pod: Obj,
    nodes: list[Obj],
    rejections: dict[str, Rejection],
    pods_on: dict[str, list[Obj]],
    nominated_on: dict[str, list[Obj]],
    amounts: Amounts,
) -> tuple[list[Candidate], list[Rejection]]:
    """The candidates, and each node's status when there are none (for the FitError)."""
    candidates: list[Candidate] = []
    statuses: list[Rejection] = []
    for node in nodes:
        name = node["metadata"]["name"]
        rejection = rejections.get(name)
        if rejection is None or rejection.unresolvable:
            statuses.append(Rejection((NOT_HELPFUL,), True))
            continue
        outcome = select_victims(pod, node, pods_on.get(name, []), nominated_on.get(name, []), amounts)
        if isinstance(outcome, Candidate):
            candidates.append(outcome)
        else:
            statuses.append(outcome)
    return candidates, statuses
