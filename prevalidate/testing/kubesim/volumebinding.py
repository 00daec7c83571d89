"""kube-scheduler's VolumeBinding plugin, and what the PV controller does once a claim binds
(pkg/scheduler/framework/plugins/volumebinding): the PreFilter (a claim missing, being deleted,
or unbound with Immediate binding), the Filter against one node (a bound PV's node affinity, a
WaitForFirstConsumer class's allowed topologies) and the ReadWriteOncePod conflict.
"""

from __future__ import annotations

from typing import Any

from . import filters
from .store import Store

Obj = dict[str, Any]
RWOP_CONFLICT = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"


def is_active(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def prefilter(store: Store, pod: Obj) -> tuple[str | None, list[str]]:
    """VolumeBinding PreFilter: (rejection text, claims to bind at scheduling time)."""
    ns = pod["metadata"]["namespace"]
    delayed: list[str] = []
    unbound_immediate = False
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if not claim:
            continue
        pvc = store.peek("persistentvolumeclaims", ns, claim)
        if pvc is None:
            return f'persistentvolumeclaim "{claim}" not found', []
        if "deletionTimestamp" in pvc["metadata"]:
            return f'persistentvolumeclaim "{claim}" is being deleted', []
        if (pvc.get("status") or {}).get("phase") == "Bound":
            continue
        klass = (pvc.get("spec") or {}).get("storageClassName")
        sc = store.peek("storageclasses", "", klass) if klass else None
        if sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer":
            delayed.append(claim)
        else:
            unbound_immediate = True
    if unbound_immediate:
        return "pod has unbound immediate PersistentVolumeClaims", []
    return None, delayed


def node_reasons(store: Store, pod: Obj, node: Obj, delayed: list[str]) -> tuple[str, ...]:
    """VolumeBinding's reasons against `node`: a claim bound to a PersistentVolume whose
    required nodeAffinity (e.g. `topology.kubernetes.io/zone In [b]`) the node does not
    match; a WaitForFirstConsumer claim whose StorageClass's allowedTopologies exclude it."""
    ns, reasons = pod["metadata"]["namespace"], []
    for claim in claim_names(pod):
        pvc = store.peek("persistentvolumeclaims", ns, claim) or {}
        volume = (pvc.get("spec") or {}).get("volumeName")
        pv = store.peek("persistentvolumes", "", volume) if volume else None
        required = (((pv or {}).get("spec") or {}).get("nodeAffinity") or {}).get("required")
        if required and not filters.node_selector_matches(required, node):
            reasons.append(filters.VOLUME_NODE_CONFLICT)
    for claim in delayed:
        pvc = store.peek("persistentvolumeclaims", ns, claim) or {}
        klass = (pvc.get("spec") or {}).get("storageClassName")
        sc = store.peek("storageclasses", "", klass) if klass else None
        if sc is not None and not filters.topology_matches(sc.get("allowedTopologies"), node):
            reasons.append(filters.VOLUME_BIND_CONFLICT)
    return tuple(dict.fromkeys(reasons))


def read_write_once_pod_conflict(store: Store, pod: Obj) -> bool:
    """Another live pod already uses one of this pod's ReadWriteOncePod claims."""
    ns = pod["metadata"]["namespace"]
    claims = {
        claim
        for claim in claim_names(pod)
        if "ReadWriteOncePod"
        in ((store.peek("persistentvolumeclaims", ns, claim) or {}).get("spec") or {}).get(
            "accessModes", []
        )
    }
    if not claims:
        return False
    return any(
        other["metadata"]["uid"] != pod["metadata"]["uid"]
        and is_active(other)
        and claims & set(claim_names(other))
        for other in store.items("pods", ns)
    )


def claim_names(pod: Obj) -> list[str]:
    return [
        claim
        for v in (pod.get("spec") or {}).get("volumes") or []
        if (claim := (v.get("persistentVolumeClaim") or {}).get("claimName"))
    ]


def bind_volume(pvc: Obj) -> None:
    """What the PV controller and a dynamic provisioner do once a claim can be bound."""
    spec = pvc.setdefault("spec", {})
    spec.setdefault("volumeName", f"pvc-{pvc['metadata'].get('uid', 'unknown')}")
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
    pvc["status"] = {
        "phase": "Bound",
        "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
        "capacity": {"storage": storage},
    }
