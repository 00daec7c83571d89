"""The kubelet's admission of a pod bound to its node, and the pod garbage collector's handling
of pods bound to a node that does not exist.

Written from pkg/kubelet/lifecycle/predicate.go (``predicateAdmitHandler.Admit``,
``generalFilter``, ``removeMissingExtendedResources``, ``InsufficientResourceError``),
pkg/scheduler ``AdmissionCheck`` (resources and pod count, then node affinity/selector, then
host ports) and pkg/kubelet/kubelet.go ``rejectPod``. A pod created with `spec.nodeName` never
meets the scheduler, so this is all that can stop it: cordons and NoSchedule taints do not.
Only the first failure is reported: reason `OutOfcpu`/`OutOfmemory`/`OutOfpods`/`OutOf<res>`
with `Node didn't have enough resource: cpu, requested: 3000, used: 2000, capacity: 4000`, or
`NodeAffinity` / `TaintToleration` with `Predicate <name> failed: <reason>`. The pod becomes
Failed with `Pod was rejected: <message>` and a Warning event of that reason.

pkg/controller/podgc ``gcOrphaned``: a pod bound to a node that has not existed for the
quarantine period (40 s) is set Failed with a `DisruptionTarget` condition
(`DeletionByPodGC`, `PodGC: node no longer exists`) and deleted with grace period 0.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .filters import NodeUsage, affinity_matches, allocatable, request_amounts, tolerates
from .settings import SimSettings
from .store import Change, Store, now_rfc3339

Obj = dict[str, Any]
OUT_OF = {
    "cpu": "OutOfcpu",
    "memory": "OutOfmemory",
    "ephemeral-storage": "OutOfephemeral-storage",
    "pods": "OutOfpods",
}
AFFINITY = ("NodeAffinity", "node(s) didn't match Pod's node affinity/selector")
TAINTS = ("TaintToleration", "node(s) had taints that the pod didn't tolerate")


def _extended(name: str) -> bool:
    """v1helper.IsExtendedResourceName: not in the kubernetes.io namespace, not `requests.*`."""
    native = "/" not in name or "kubernetes.io/" in name
    return not native and not name.startswith("requests.")


def _amount(name: str, node: Obj) -> int:
    alloc = allocatable(node)
    if name not in alloc:
        return 110 if name == "pods" else 0
    return alloc[name].milli_value() if name == "cpu" else alloc[name].int_value()


def _insufficient(name: str, requested: int, used: int, capacity: int) -> tuple[str, str]:
    reason = OUT_OF.get(name, f"OutOf{name}")
    return reason, (
        f"Node didn't have enough resource: {name}, requested: {requested}, used: {used}, "
        f"capacity: {capacity}"
    )


def admit(pod: Obj, node: Obj, others: list[Obj]) -> tuple[str, str] | None:
    """None when the kubelet admits `pod`, else its (reason, message). `others`: the pods the
    kubelet already runs there."""
    usage = NodeUsage.of(others)
    alloc = allocatable(node)
    wanted = {k: v for k, v in request_amounts(pod).items() if not (_extended(k) and k not in alloc)}
    failures: list[tuple[str, str]] = []
    max_pods = _amount("pods", node)
    if usage.pods + 1 > max_pods:
        failures.append(_insufficient("pods", 1, usage.pods, max_pods))
    order = {"cpu": 0, "memory": 1, "ephemeral-storage": 2}
    for name in sorted(wanted, key=lambda n: (order.get(n, 3), n)):
        have, used = _amount(name, node), usage.used.get(name, 0)
        if wanted[name] > have - used:
            failures.append(_insufficient(name, wanted[name], used, have))
    if not affinity_matches(pod, node):
        failures.append((AFFINITY[0], f"Predicate {AFFINITY[0]} failed: {AFFINITY[1]}"))
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") == "NoExecute" and not tolerates(tolerations, taint):
            failures.append((TAINTS[0], f"Predicate {TAINTS[0]} failed: {TAINTS[1]}"))
            break
    return failures[0] if failures else None


def running_on(store: Store, node: Obj, uid: str, admitted: set[str]) -> list[Obj]:
    """The kubelet's active pods on `node` other than `uid`: those it admitted, and those it
    found running (a seeded cluster)."""
    name = node["metadata"]["name"]
    return [
        p
        for p in store.items("pods")
        if (p.get("spec") or {}).get("nodeName") == name
        and p["metadata"].get("uid") != uid
        and (phase := (p.get("status") or {}).get("phase")) not in ("Succeeded", "Failed")
        and (p["metadata"].get("uid") in admitted or phase == "Running")
    ]


def rejected(pod: Obj, reason: str, message: str) -> None:
    """What `rejectPod` writes: the status manager replaces the status."""
    qos = (pod.get("status") or {}).get("qosClass")
    pod["status"] = {"phase": "Failed", "reason": reason, "message": f"Pod was rejected: {message}"}
    if qos:
        pod["status"]["qosClass"] = qos


class PodGC:
    """The pod garbage collector's orphan sweep."""

    def __init__(self, store: Store, settings: SimSettings) -> None:
        self.store, self.settings = store, settings
        self._waiting: dict[str, asyncio.TimerHandle] = {}
        store.listeners.append(self._on_change)

    def _on_change(self, change: Change) -> None:
        node = None
        if change.resource == "pods" and change.type != "DELETED":
            node = (change.obj.get("spec") or {}).get("nodeName")
        elif change.resource == "nodes" and change.type == "DELETED":
            node = change.obj["metadata"]["name"]
        if not node or node in self._waiting or self.store.peek("nodes", "", node) is not None:
            return
        loop = asyncio.get_running_loop()
        self._waiting[node] = loop.call_later(self.settings.pod_gc_quarantine, self.sweep, node)

    def sweep(self, node: str) -> None:
        self._waiting.pop(node, None)
        if self.store.peek("nodes", "", node) is not None:
            return  # it joined within the quarantine
        for pod in list(self.store.items("pods")):
            if (pod.get("spec") or {}).get("nodeName") != node:
                continue
            meta = pod["metadata"]

            def fail(obj: Obj) -> None:
                status = obj.setdefault("status", {})
                if status.get("phase") not in ("Succeeded", "Failed"):
                    status["phase"] = "Failed"
                kept = status.get("conditions") or []
                conditions = [c for c in kept if c.get("type") != "DisruptionTarget"]
                conditions.append(
                    {
                        "type": "DisruptionTarget",
                        "status": "True",
                        "reason": "DeletionByPodGC",
                        "message": "PodGC: node no longer exists",
                        "lastTransitionTime": now_rfc3339(),
                    }
                )
                status["conditions"] = conditions

            if self.store.mutate("pods", meta["namespace"], meta["name"], fail) is not None:
                self.store.delete("pods", meta["namespace"], meta["name"])

    def stop(self) -> None:
        for handle in self._waiting.values():
            handle.cancel()
        self._waiting.clear()
