"""What a namespace and the cluster can give right now: the free part of each quota and the
node with the most free CPU, for the line above the spawn form's profiles.

Pure, no I/O here. It only informs (the checks decide): a quota's scopes are ignored (the line
shows the tightest quota of the namespace), and a kind the source could not list gives no
numbers rather than zeros.
"""

from __future__ import annotations

from decimal import Decimal

from ..model.cluster import ClusterView
from ..model.resources import CPU, MEMORY, PODS

# Quota keys read for the line, per base resource: the request side first (what a spawn form's
# "guarantee" charges), then the bare name, which means the same.
_KEYS: dict[str, tuple[str, ...]] = {CPU: ("requests.cpu", "cpu"), MEMORY: ("requests.memory", "memory")}
_GPU_SUFFIX = "/gpu"


def quota_room(view: ClusterView, namespace: str) -> dict[str, tuple[Decimal, Decimal]]:
    """base resource -> (free, hard) of the namespace's tightest quota on it: CPU, memory and
    GPUs (``requests.<vendor>/gpu``). Empty when quotas cannot be read or none applies."""
    if not view.knows("ResourceQuota", namespace):
        return {}
    room: dict[str, tuple[Decimal, Decimal]] = {}
    for quota in view.quotas_in(namespace):
        keys = dict(_KEYS)
        keys.update({k.removeprefix("requests."): (k,) for k in quota.hard if k.endswith(_GPU_SUFFIX)})
        for base, names in keys.items():
            name = next((n for n in names if n in quota.hard), None)
            if name is None:
                continue
            hard = quota.hard[name]
            free = hard - quota.used.get(name, Decimal(0))
            if base not in room or free < room[base][0]:
                room[base] = (free, hard)
    return room


def _free_on(view: ClusterView, name: str) -> dict[str, Decimal]:
    """Allocatable minus what bound pods request on node ``name``: CPU, memory, GPUs."""
    node = view.nodes[name]
    usage = view.usage.get(name)
    used = usage.requested if usage else {}
    free: dict[str, Decimal] = {}
    for resource, total in node.allocatable.items():
        if resource == PODS or not (resource in (CPU, MEMORY) or resource.endswith(_GPU_SUFFIX)):
            continue
        taken = Decimal(used.get(resource, 0))
        free[resource] = total - (taken / 1000 if resource == CPU else taken)
    return free


def largest_free_node(view: ClusterView) -> dict[str, Decimal] | None:
    """The free CPU, memory and GPUs (natural units) of the node with the most free CPU among
    those an ordinary server can use (not cordoned, no NoSchedule/NoExecute taint), and the
    most GPUs free on any node (tainted GPU nodes included: a GPU profile tolerates them).
    None when nodes or pods cannot be read."""
    if not (view.knows("Node") and view.knows("Pod")):
        return None
    best: dict[str, Decimal] | None = None
    gpus: dict[str, Decimal] = {}
    for name, node in view.nodes.items():
        if node.unschedulable:
            continue
        free = _free_on(view, name)
        for resource, value in free.items():
            if resource.endswith(_GPU_SUFFIX) and value > gpus.get(resource, Decimal(-1)):
                gpus[resource] = value
        if any(t.effect in ("NoSchedule", "NoExecute") for t in node.taints):
            continue
        if best is None or free.get(CPU, Decimal(0)) > best.get(CPU, Decimal(0)):
            best = {r: v for r, v in free.items() if not r.endswith(_GPU_SUFFIX)}
    return {**(best or {}), **gpus} if best is not None or gpus else {}


__all__ = ["largest_free_node", "quota_room"]
