"""kube-scheduler: binds pending pods to a node that fits, or reports why none does.

A pass runs whenever something that can change the answer happens (a node or PVC changes, a
pod is added, deleted or finishes). Unschedulable pods get `PodScheduled=False/Unschedulable`
with the FitError text and a `FailedScheduling` Warning (aggregated on repeats); scheduled ones
get `spec.nodeName`, `PodScheduled=True` and a `Scheduled` event. VolumeBinding's PreFilter
rejects pods whose claims are missing, being deleted, or unbound with Immediate binding.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .events import EventRecorder
from .filters import NodeUsage, Rejection, filter_node, fit_error, request_amounts
from .quantity import parse_json_quantity
from .settings import SimSettings
from .store import Change, Store, now_rfc3339

log = logging.getLogger("kubesim.scheduler")
Obj = dict[str, Any]
COMPONENT = "default-scheduler"
RWOP_CONFLICT = ("node has pod using PersistentVolumeClaim with the same name and "
                 "ReadWriteOncePod access mode")


def is_active(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def set_condition(
    pod: Obj, type_: str, status: str, reason: str | None = None, message: str | None = None
) -> None:
    conditions = pod.setdefault("status", {}).setdefault("conditions", [])
    for cond in conditions:
        if cond["type"] == type_:
            if cond.get("status") != status:
                cond["lastTransitionTime"] = now_rfc3339()
            cond.update(status=status)
            break
    else:
        cond = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": now_rfc3339()}
        conditions.append(cond)
    for key, value in (("reason", reason), ("message", message)):
        if value is None:
            cond.pop(key, None)
        else:
            cond[key] = value


class Scheduler:
    def __init__(self, store: Store, recorder: EventRecorder, settings: SimSettings) -> None:
        self.store, self.recorder, self.settings = store, recorder, settings
        self.wake = asyncio.Event()
        self.passes = 0
        self._amount_cache: dict[str, dict[str, int]] = {}
        store.listeners.append(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.resource in ("nodes", "persistentvolumeclaims", "storageclasses"):
            self.wake.set()
        elif change.resource == "pods":
            unbound_added = change.type == "ADDED" and not change.obj["spec"].get("nodeName")
            finished = (
                change.type == "MODIFIED"
                and change.old is not None
                and is_active(change.old)
                and not is_active(change.obj)
            )
            # The scheduler's own status writes are MODIFIED and must not re-trigger a pass.
            if change.type == "DELETED" or unbound_added or finished:
                self.wake.set()

    async def run(self) -> None:
        self.wake.set()
        while True:
            await self.wake.wait()
            self.wake.clear()
            if self.settings.scheduler_delay:
                await asyncio.sleep(self.settings.scheduler_delay)
            try:
                self.schedule_pending()
            except Exception:  # a bad object must not kill the scheduler
                log.exception("scheduling pass failed")

    def _pending(self) -> list[Obj]:
        pods = [
            p
            for p in self.store.items("pods")
            if not (p.get("spec") or {}).get("nodeName")
            and is_active(p)
            and "deletionTimestamp" not in p["metadata"]
            and (p.get("spec") or {}).get("schedulerName", COMPONENT) == COMPONENT
        ]
        return sorted(pods, key=lambda p: int(p["metadata"]["resourceVersion"]))

    def schedule_pending(self) -> None:
        self.passes += 1
        pending = self._pending()
        if not pending:
            return
        nodes = sorted(self.store.items("nodes"), key=lambda n: n["metadata"]["name"])
        on_node: dict[str, NodeUsage] = {n["metadata"]["name"]: NodeUsage() for n in nodes}
        live: set[str] = set()
        for p in self.store.items("pods"):
            bound = (p.get("spec") or {}).get("nodeName")
            if bound in on_node and is_active(p):
                on_node[bound].add(self._amounts(p))
            live.add(p["metadata"].get("uid", ""))
        for uid in set(self._amount_cache) - live:
            del self._amount_cache[uid]
        for pod in pending:
            self._schedule_one(pod, nodes, on_node)

    def _volume_prefilter(self, pod: Obj) -> tuple[str | None, list[str]]:
        """VolumeBinding PreFilter: (rejection text, claims to bind at scheduling time)."""
        ns = pod["metadata"]["namespace"]
        delayed: list[str] = []
        unbound_immediate = False
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.store.peek("persistentvolumeclaims", ns, claim)
            if pvc is None:
                return f'persistentvolumeclaim "{claim}" not found', []
            if "deletionTimestamp" in pvc["metadata"]:
                return f'persistentvolumeclaim "{claim}" is being deleted', []
            if (pvc.get("status") or {}).get("phase") == "Bound":
                continue
            klass = (pvc.get("spec") or {}).get("storageClassName")
            sc = self.store.peek("storageclasses", "", klass) if klass else None
            if sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer":
                delayed.append(claim)
            else:
                unbound_immediate = True
        if unbound_immediate:
            return "pod has unbound immediate PersistentVolumeClaims", []
        return None, delayed

    def _amounts(self, pod: Obj) -> dict[str, int]:
        """Requests per pod, cached by UID: a pod's resources never change after creation."""
        uid = pod["metadata"].get("uid", "")
        if uid not in self._amount_cache:
            self._amount_cache[uid] = request_amounts(pod)
        return self._amount_cache[uid]

    def _schedule_one(self, pod: Obj, nodes: list[Obj], on_node: dict[str, NodeUsage]) -> None:
        prefilter, delayed = self._volume_prefilter(pod)
        rejections: list[Rejection] = []
        feasible: list[Obj] = []
        rwop = self._read_write_once_pod_conflict(pod)
        if prefilter is None:
            for node in nodes:
                rejection = filter_node(pod, node, on_node[node["metadata"]["name"]], self._amounts(pod))
                if rejection is None and rwop:
                    # VolumeRestrictions runs after NodeResourcesFit in the default profile.
                    rejection = Rejection((RWOP_CONFLICT,), False)
                if rejection is None:
                    feasible.append(node)
                else:
                    rejections.append(rejection)
        if feasible and prefilter is None:
            node = min(feasible, key=lambda n: self._load(n, on_node[n["metadata"]["name"]]))
            self._bind(pod, node, delayed)
            on_node[node["metadata"]["name"]].add(self._amounts(pod))
            return
        allowed = (pod.get("spec") or {}).get("preemptionPolicy") != "Never"
        message = fit_error(len(nodes), rejections, prefilter, self.settings.preemption_messages, allowed)
        self._mark_unschedulable(pod, message)

    def _read_write_once_pod_conflict(self, pod: Obj) -> bool:
        """Another live pod already uses one of this pod's ReadWriteOncePod claims."""
        ns = pod["metadata"]["namespace"]
        claims = {claim for claim in claim_names(pod)
                  if "ReadWriteOncePod" in ((self.store.peek("persistentvolumeclaims", ns, claim)
                                             or {}).get("spec") or {}).get("accessModes", [])}
        if not claims:
            return False
        return any(other["metadata"]["uid"] != pod["metadata"]["uid"] and is_active(other)
                   and claims & set(claim_names(other)) for other in self.store.items("pods", ns))

    @staticmethod
    def _load(node: Obj, usage: NodeUsage) -> tuple[float, str]:
        """LeastAllocated-ish score: prefer the node with the smallest cpu share in use."""
        alloc = (node.get("status") or {}).get("allocatable") or {}
        total = parse_json_quantity(alloc.get("cpu", "1")).milli_value() or 1
        return usage.used.get("cpu", 0) / total, node["metadata"]["name"]

    def _bind(self, pod: Obj, node: Obj, delayed: list[str]) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        node_name = node["metadata"]["name"]
        for claim in delayed:

            def bind_claim(pvc: Obj, node_name: str = node_name) -> None:
                pvc.setdefault("metadata", {}).setdefault("annotations", {})[
                    "volume.kubernetes.io/selected-node"
                ] = node_name
                bind_volume(pvc)

            self.store.mutate("persistentvolumeclaims", ns, claim, bind_claim)

        def assign(obj: Obj) -> None:
            obj["spec"]["nodeName"] = node_name
            set_condition(obj, "PodScheduled", "True")

        bound = self.store.mutate("pods", ns, name, assign)
        if bound is not None:
            self.recorder.record(
                bound,
                "Normal",
                "Scheduled",
                f"Successfully assigned {ns}/{name} to {node_name}",
                COMPONENT,
                action="Binding",
            )

    def _mark_unschedulable(self, pod: Obj, message: str) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]

        def mark(obj: Obj) -> None:
            set_condition(obj, "PodScheduled", "False", "Unschedulable", message)

        current = next(
            (c for c in (pod.get("status") or {}).get("conditions") or [] if c["type"] == "PodScheduled"),
            None,
        )
        updated = pod
        if current is None or current.get("message") != message or current.get("status") != "False":
            updated = self.store.mutate("pods", ns, name, mark) or pod
        self.recorder.record(updated, "Warning", "FailedScheduling", message, COMPONENT, action="Scheduling")


def claim_names(pod: Obj) -> list[str]:
    return [claim for v in (pod.get("spec") or {}).get("volumes") or []
            if (claim := (v.get("persistentVolumeClaim") or {}).get("claimName"))]


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
