"""kube-scheduler: binds pending pods to a node that fits, or reports why none does.

A pass runs whenever something that can change the answer happens (a node or PVC changes, a
pod is added, deleted or finishes). Unschedulable pods get `PodScheduled=False/Unschedulable`
with the FitError text and a `FailedScheduling` Warning (aggregated on repeats); scheduled ones
get `spec.nodeName`, `PodScheduled=True` and a `Scheduled` event. VolumeBinding's PreFilter
rejects pods whose claims are missing, being deleted, or unbound with Immediate binding.
Pending pods are taken highest priority first (the PrioritySort queue); when none fits,
DefaultPreemption (preemption.py) may evict lower-priority pods and nominate a node, which the
pod then gets once its victims are gone. Pods created with a `nodeName` never come here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from . import preemption, volumebinding
from .events import EventRecorder
from .filters import NodeUsage, Rejection, filter_node, fit_error, request_amounts
from .quantity import parse_json_quantity
from .settings import SimSettings
from .store import Change, Store, now_rfc3339
from .volumebinding import is_active

log = logging.getLogger("kubesim.scheduler")
Obj = dict[str, Any]
COMPONENT = "default-scheduler"


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
    def __init__(
        self,
        store: Store,
        recorder: EventRecorder,
        settings: SimSettings,
        evict: Callable[[str, str], object] | None = None,
    ) -> None:
        self.store, self.recorder, self.settings = store, recorder, settings
        # Deletes a preemption victim as an API DELETE with default options would (its grace period).
        self.evict = evict or (lambda ns, name: self.store.delete("pods", ns, name))
        self.wake = asyncio.Event()
        self.passes = 0
        self._amount_cache: dict[str, dict[str, int]] = {}
        store.listeners.append(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.resource in ("nodes", "persistentvolumeclaims", "storageclasses", "persistentvolumes"):
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
        # PrioritySort: higher priority first, then the order they came in.
        return sorted(pods, key=lambda p: (-preemption.priority(p), int(p["metadata"]["resourceVersion"])))

    def schedule_pending(self) -> None:
        self.passes += 1
        pending = self._pending()
        if not pending:
            return
        nodes = sorted(self.store.items("nodes"), key=lambda n: n["metadata"]["name"])
        state = _PassState({n["metadata"]["name"]: NodeUsage() for n in nodes})
        live: set[str] = set()
        for p in self.store.items("pods"):
            bound = (p.get("spec") or {}).get("nodeName")
            if bound in state.on_node and is_active(p):
                state.on_node[bound].add(self._amounts(p))
                state.pods_on.setdefault(bound, []).append(p)
            nominated = (p.get("status") or {}).get("nominatedNodeName")
            if nominated and not bound and is_active(p):
                state.nominated_on.setdefault(nominated, []).append(p)
            live.add(p["metadata"].get("uid", ""))
        for uid in set(self._amount_cache) - live:
            del self._amount_cache[uid]
        for pod in pending:
            self._schedule_one(pod, nodes, state)

    def _amounts(self, pod: Obj) -> dict[str, int]:
        """Requests per pod, cached by UID: a pod's resources never change after creation."""
        uid = pod["metadata"].get("uid", "")
        if uid not in self._amount_cache:
            self._amount_cache[uid] = request_amounts(pod)
        return self._amount_cache[uid]

    def _with_nominated(self, pod: Obj, name: str, state: _PassState) -> NodeUsage:
        """The node's usage plus the pods nominated to it with at least this pod's priority."""
        usage = state.on_node[name]
        mine, uid = preemption.priority(pod), pod["metadata"].get("uid")
        ahead = [
            p
            for p in state.nominated_on.get(name, [])
            if p["metadata"].get("uid") != uid and preemption.priority(p) >= mine
        ]
        if not ahead:
            return usage
        merged = NodeUsage(usage.pods, dict(usage.used))
        for p in ahead:
            merged.add(self._amounts(p))
        return merged

    def _schedule_one(self, pod: Obj, nodes: list[Obj], state: _PassState) -> None:
        prefilter, delayed = volumebinding.prefilter(self.store, pod)
        rejections: dict[str, Rejection] = {}
        feasible: list[Obj] = []
        rwop = volumebinding.read_write_once_pod_conflict(self.store, pod)
        if prefilter is None:
            for node in nodes:
                name = node["metadata"]["name"]
                rejection = filter_node(pod, node, self._with_nominated(pod, name, state), self._amounts(pod))
                if rejection is None and rwop:
                    # VolumeRestrictions runs after NodeResourcesFit in the default profile.
                    rejection = Rejection((volumebinding.RWOP_CONFLICT,), False)
                if rejection is None:
                    # VolumeBinding's Filter (after VolumeRestrictions): a bound volume's
                    # nodeAffinity (a zonal disk) excludes the node, and so does a claim still to
                    # be provisioned whose class's allowedTopologies the node is outside of
                    # (checkVolumeProvisions); both UnschedulableAndUnresolvable
                    reasons = volumebinding.node_reasons(self.store, pod, node, delayed)
                    rejection = Rejection(reasons, True) if reasons else None
                if rejection is None:
                    feasible.append(node)
                else:
                    rejections[name] = rejection
        if feasible and prefilter is None:
            node = min(feasible, key=lambda n: self._load(n, state.on_node[n["metadata"]["name"]]))
            self._bind(pod, node, delayed)
            state.place(pod, node["metadata"]["name"], self._amounts(pod))
            return
        post = self._post_filter(pod, nodes, rejections, prefilter, state)
        message = fit_error(len(nodes), list(rejections.values()), prefilter, post)
        self._mark_unschedulable(pod, message)

    def _post_filter(
        self,
        pod: Obj,
        nodes: list[Obj],
        rejections: dict[str, Rejection],
        prefilter: str | None,
        state: _PassState,
    ) -> str | None:
        """DefaultPreemption: None when it is off or it nominated a node (the FitError then has
        no preemption part), else its message."""
        if not self.settings.preemption_messages or not nodes:
            return None
        nominated = (pod.get("status") or {}).get("nominatedNodeName") or ""
        not_eligible = preemption.eligible(pod, state.pods_on.get(nominated, []))
        if not_eligible:
            return not_eligible
        if prefilter:  # every node failed PreFilter as UnschedulableAndUnresolvable
            unhelpful = Rejection((preemption.NOT_HELPFUL,), True)
            return fit_error(len(nodes), [unhelpful] * len(nodes), None)
        candidates, statuses = preemption.find_candidates(
            pod, nodes, rejections, state.pods_on, state.nominated_on, self._amounts
        )
        if not candidates:
            return fit_error(len(nodes), statuses, None)
        best = preemption.pick(candidates)
        self._preempt(pod, best, state)
        return None

    def _preempt(self, pod: Obj, best: preemption.Candidate, state: _PassState) -> None:
        """prepareCandidate: mark and delete each victim, `Preempted` event on it; clear the
        nomination of lower-priority pods nominated to that node; nominate the node."""
        scheduler = (pod.get("spec") or {}).get("schedulerName", COMPONENT)
        for victim in best.victims:
            ns, name = victim["metadata"]["namespace"], victim["metadata"]["name"]
            if "deletionTimestamp" in victim["metadata"]:
                continue  # graceful deletion already under way

            def disrupt(obj: Obj) -> None:
                set_condition(
                    obj,
                    "DisruptionTarget",
                    "True",
                    preemption.PREEMPTED_REASON,
                    f"{scheduler}: preempting to accommodate a higher priority pod",
                )

            marked = self.store.mutate("pods", ns, name, disrupt)
            if marked is None:
                continue
            self.evict(ns, name)
            self.recorder.record(
                marked,
                "Normal",
                "Preempted",
                f"Preempted by pod {pod['metadata'].get('uid')} on node {best.node}",
                COMPONENT,
                action="Preempting",
                related=pod,
            )
        mine = preemption.priority(pod)
        for other in state.nominated_on.get(best.node, []):
            if preemption.priority(other) < mine:
                self._nominate(other, None)
        self._nominate(pod, best.node)
        state.nominated_on.setdefault(best.node, []).append(pod)

    def _nominate(self, pod: Obj, node: str | None) -> None:
        def write(obj: Obj) -> None:
            status = obj.setdefault("status", {})
            if node:
                status["nominatedNodeName"] = node
            else:
                status.pop("nominatedNodeName", None)

        self.store.mutate("pods", pod["metadata"]["namespace"], pod["metadata"]["name"], write)

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
                volumebinding.bind_volume(pvc)

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
                series=True,
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
        self.recorder.record(updated, "Warning", "FailedScheduling", message, COMPONENT, action="Scheduling",
                             series=True)


class _PassState:
    """One scheduling pass's view: usage, pods and nominated pods per node."""

    def __init__(self, on_node: dict[str, NodeUsage]) -> None:
        self.on_node = on_node
        self.pods_on: dict[str, list[Obj]] = {}
        self.nominated_on: dict[str, list[Obj]] = {}

    def place(self, pod: Obj, node: str, amounts: dict[str, int]) -> None:
        self.on_node[node].add(amounts)
        self.pods_on.setdefault(node, []).append(pod)
        uid = pod["metadata"].get("uid")
        for name, pods in self.nominated_on.items():
            self.nominated_on[name] = [p for p in pods if p["metadata"].get("uid") != uid]
