"""Resource-list arithmetic shared by quota, LimitRange and the scheduler model.

Pure, no I/O here. A resource list is a ``dict[str, Decimal]`` of exact values; the scheduler
view converts to integers the way kube-scheduler does (``MilliValue`` for cpu, ``Value`` —
rounded up — for everything else).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache

from .quantity import parse_quantity

ResourceList = dict[str, Decimal]

CPU = "cpu"
MEMORY = "memory"
EPHEMERAL_STORAGE = "ephemeral-storage"
PODS = "pods"
HUGEPAGES_PREFIX = "hugepages-"


@lru_cache(maxsize=4096)
def cached_quantity(text: str) -> Decimal:
    """parse_quantity memoised: clusters repeat the same few strings ("1", "2Gi") endlessly."""
    return parse_quantity(text)


def parse_resource_list(raw: Mapping[str, object] | None) -> ResourceList:
    """Parse a trusted resource list (from the cluster); unparsable entries are skipped."""
    out: ResourceList = {}
    for name, value in (raw or {}).items():
        try:
            out[name] = cached_quantity(str(value))
        except ValueError:
            continue
    return out


def is_hugepages(name: str) -> bool:
    return name.startswith(HUGEPAGES_PREFIX)


def is_native(name: str) -> bool:
    """A resource in the kubernetes.io namespace: unprefixed, or any name *containing*
    ``kubernetes.io/`` (IsNativeResource / IsPrefixedNativeResource use strings.Contains)."""
    return "/" not in name or "kubernetes.io/" in name


def is_extended(name: str) -> bool:
    """Extended resources (``nvidia.com/gpu``): integer-only, not overcommittable."""
    return not is_native(name) and not name.startswith("requests.")


def add_into(target: ResourceList, other: Mapping[str, Decimal]) -> None:
    for name, value in other.items():
        target[name] = target.get(name, Decimal(0)) + value


def max_into(target: ResourceList, other: Mapping[str, Decimal]) -> None:
    for name, value in other.items():
        if name not in target or value > target[name]:
            target[name] = value


def scheduler_units(name: str, value: Decimal) -> int:
    """Integer units the scheduler compares: milli-cpu, else whole units rounded up."""
    if name == CPU:
        return math.ceil(value * 1000)
    return math.ceil(value)
