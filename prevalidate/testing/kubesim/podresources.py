"""Pod resource arithmetic shared by quota, LimitRanger and the scheduler.

Effective pod requests/limits per component-helpers `PodRequests`/`PodLimits`: the sum of
regular containers against the running maximum over init containers (sidecars, i.e. init
containers with `restartPolicy: Always`, accumulate), plus RuntimeClass overhead. Also the
pod's QoS class. Values are `Quantity` objects parsed by kubesim's own parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .quantity import Quantity, parse_json_quantity

Obj = dict[str, Any]
Resources = dict[str, Quantity]


def containers(pod: Obj) -> Iterator[tuple[str, Obj]]:
    """(kind, container) for init containers then containers; kind is "init" or "app"."""
    spec = pod.get("spec") or {}
    for c in spec.get("initContainers") or []:
        yield "init", c
    for c in spec.get("containers") or []:
        yield "app", c


def container_resources(container: Obj, which: str) -> Resources:
    raw = ((container.get("resources") or {}).get(which)) or {}
    return {name: parse_json_quantity(value) for name, value in raw.items()}


def _add(total: Resources, more: Resources) -> None:
    for name, q in more.items():
        total[name] = total[name] + q if name in total else q


def _max(total: Resources, other: Resources) -> None:
    for name, q in other.items():
        if name not in total or q.value > total[name].value:
            total[name] = q


def _aggregate(pod: Obj, which: str) -> Resources:
    spec = pod.get("spec") or {}
    total: Resources = {}
    for c in spec.get("containers") or []:
        _add(total, container_resources(c, which))
    init_max: Resources = {}
    sidecars: Resources = {}
    for c in spec.get("initContainers") or []:
        own = container_resources(c, which)
        if c.get("restartPolicy") == "Always":
            _add(total, own)
            _add(sidecars, own)
            candidate = dict(sidecars)
        else:
            candidate = dict(own)
            _add(candidate, sidecars)
        _max(init_max, candidate)
    _max(total, init_max)
    return total


def pod_requests(pod: Obj) -> Resources:
    total = _aggregate(pod, "requests")
    overhead = (pod.get("spec") or {}).get("overhead") or {}
    _add(total, {k: parse_json_quantity(v) for k, v in overhead.items()})
    return total


def pod_limits(pod: Obj) -> Resources:
    total = _aggregate(pod, "limits")
    overhead = (pod.get("spec") or {}).get("overhead") or {}
    for name, raw in overhead.items():
        if name in total and total[name].value != 0:
            total[name] = total[name] + parse_json_quantity(raw)
    return total


def qos_class(pod: Obj) -> str:
    """BestEffort / Guaranteed / Burstable from cpu and memory only (qos.go)."""
    requests: Resources = {}
    limits: Resources = {}
    guaranteed = True
    for _, c in containers(pod):
        req = {
            k: q
            for k, q in container_resources(c, "requests").items()
            if k in ("cpu", "memory") and q.value > 0
        }
        lim = {
            k: q
            for k, q in container_resources(c, "limits").items()
            if k in ("cpu", "memory") and q.value > 0
        }
        _add(requests, req)
        _add(limits, lim)
        if set(lim) != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if (
        guaranteed
        and all(k in requests and requests[k].value == limits[k].value for k in limits)
        and set(requests) == set(limits)
    ):
        return "Guaranteed"
    return "Burstable"
