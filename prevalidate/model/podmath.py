"""The scheduler's view of an existing pod: which node it occupies and how much it requests.

Pure, no I/O here. Called once per pod event by the live cache, so it avoids building a full
SpawnDemand: it reads requests (with limits copied into missing requests, as the apiserver
stored them) and folds them as component-helpers' PodRequests does (containers + sidecars vs.
the init-container peak, plus overhead) into integer scheduler units.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from .resources import cached_quantity, scheduler_units

Units = dict[str, int]
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


def _container_units(container: Mapping[str, Any]) -> Units:
    resources = container.get("resources") or {}
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    out: Units = {}
    for source in (limits, requests):  # requests win; limits only fill what is missing
        for name, raw in source.items():
            try:
                out[name] = scheduler_units(name, cached_quantity(str(raw)))
            except ValueError:
                continue
    return out


def _add(target: Units, other: Units) -> None:
    for name, value in other.items():
        target[name] = target.get(name, 0) + value


def _max(target: Units, other: Units) -> None:
    for name, value in other.items():
        if value > target.get(name, 0):
            target[name] = value


def pod_request_units(pod: Mapping[str, Any]) -> Units:
    """PodRequests (component-helpers/resource/helpers.go) in scheduler units, overhead included."""
    spec = pod.get("spec") or {}
    total: Units = {}
    for container in spec.get("containers") or ():
        _add(total, _container_units(container))
    sidecars: Units = {}
    peak: Units = {}
    for container in spec.get("initContainers") or ():
        units = _container_units(container)
        if container.get("restartPolicy") == "Always":
            _add(total, units)
            _add(sidecars, units)
            _max(peak, sidecars)
        else:
            candidate = dict(sidecars)
            _add(candidate, units)
            _max(peak, candidate)
    _max(total, peak)
    pod_level = (spec.get("resources") or {}).get("requests") or {}
    for name in ("cpu", "memory"):
        if name in pod_level:
            with contextlib.suppress(ValueError):
                total[name] = scheduler_units(name, cached_quantity(str(pod_level[name])))
    for name, raw in (spec.get("overhead") or {}).items():
        try:
            total[name] = total.get(name, 0) + scheduler_units(name, cached_quantity(str(raw)))
        except ValueError:
            continue
    return total


def occupies_node(pod: Mapping[str, Any]) -> str | None:
    """The node whose capacity the pod holds: bound and not Succeeded/Failed (scheduler's
    informer filter); terminating pods still count until they are gone."""
    node = (pod.get("spec") or {}).get("nodeName")
    phase = (pod.get("status") or {}).get("phase")
    if not node or phase in TERMINAL_PHASES:
        return None
    return str(node)


def pod_claims(pod: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        str(v["persistentVolumeClaim"]["claimName"])
        for v in (pod.get("spec") or {}).get("volumes") or ()
        if isinstance(v.get("persistentVolumeClaim"), Mapping) and v["persistentVolumeClaim"].get("claimName")
    )
