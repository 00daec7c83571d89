"""What bound pods already request on each node, in total and per pod priority.

Pure, no I/O. ``ClusterView`` keeps one ``NodeUsage`` per node and updates it by one pod's
units at a time (``add``); the capacity check reads the total, and ``below`` for what pods of a
lower priority hold, which the scheduler may evict to make room for a new pod.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .podmath import Units


@dataclass
class PriorityUsage:
    """What the pods of one priority on one node request, and how many they are."""

    requested: Units = field(default_factory=dict)
    pods: int = 0


@dataclass
class NodeUsage:
    """What bound, non-terminal pods already request on one node, in scheduler units, in total
    and per pod priority (the scheduler may evict pods of lower priority than a new one).
    Pods at the default priority 0 get no bucket of their own: they are the total minus the
    buckets, which keeps the common pod event as cheap as a total alone."""

    requested: Units = field(default_factory=dict)
    pods: int = 0
    by_priority: dict[int, PriorityUsage] = field(default_factory=dict)  # priority != 0 only

    def add(self, units: Units, priority: int, sign: int) -> None:
        self.pods += sign
        requested = self.requested
        for resource, value in units.items():
            requested[resource] = requested.get(resource, 0) + sign * value
        if not priority:
            return
        bucket = self.by_priority.get(priority)
        if bucket is None:
            bucket = self.by_priority[priority] = PriorityUsage()
        bucket.pods += sign
        held = bucket.requested
        for resource, value in units.items():
            held[resource] = held.get(resource, 0) + sign * value
        if bucket.pods <= 0:
            del self.by_priority[priority]

    def below(self, priority: int) -> tuple[int, Units]:
        """How many pods of priority strictly lower than ``priority`` run here, and what they
        request (a view: do not change it)."""
        if priority > 0:  # everything but the buckets at or above it, priority-0 pods included
            keep = [b for level, b in self.by_priority.items() if level >= priority]
            if not keep:
                return self.pods, self.requested
            units = dict(self.requested)
            pods = self.pods
            for bucket in keep:
                pods -= bucket.pods
                for resource, value in bucket.requested.items():
                    units[resource] = units.get(resource, 0) - value
            return pods, units
        found: PriorityUsage | None = None
        merged: PriorityUsage | None = None
        for level, bucket in self.by_priority.items():
            if level >= priority:
                continue
            if found is None:
                found = bucket  # the usual case: one lower priority (placeholders), no copy
                continue
            if merged is None:
                merged = PriorityUsage(dict(found.requested), found.pods)
            merged.pods += bucket.pods
            for resource, value in bucket.requested.items():
                merged.requested[resource] = merged.requested.get(resource, 0) + value
        chosen = merged or found
        return (chosen.pods, chosen.requested) if chosen is not None else (0, {})
