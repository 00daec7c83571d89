"""cluster-autoscaler: node pools (`kind: NodePool`) that grow when a pod cannot be scheduled.

Every `autoscalerIntervalSeconds` it looks at pods with `PodScheduled=False/Unschedulable`.
A pod that fits on a pool's template node (simulated with the scheduler's own filters) and
whose pool is below its maximum triggers a scale-up: Normal `TriggeredScaleUp`
(`pod triggered scale-up: [{pool 1->2 (max: 3)}]`), then after `provisionSeconds` a new Node
appears and the scheduler binds the pod. Pods that fit on a node already on its way get no
further events, as in the real autoscaler. Otherwise Normal `NotTriggerScaleUp`
(`pod didn't trigger scale-up: 1 Insufficient cpu, 1 max node group size reached`).
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections import Counter
from typing import Any

from .events import EventRecorder
from .filters import NodeUsage, filter_node
from .settings import NodePool, SimSettings
from .store import Store
from .validation import default_node

log = logging.getLogger("kubesim.autoscaler")
Obj = dict[str, Any]
COMPONENT = "cluster-autoscaler"
POOL_LABEL = "kubesim.prevalidate.dev/node-pool"
NOT_READY_TAINT = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}


def node_from_template(pool: NodePool, name: str) -> Obj:
    node = copy.deepcopy(pool.template)
    node.setdefault("apiVersion", "v1")
    node["kind"] = "Node"
    meta = node.setdefault("metadata", {})
    meta["name"] = name
    for server_set in ("uid", "resourceVersion", "creationTimestamp"):
        meta.pop(server_set, None)
    labels = meta.setdefault("labels", {})
    labels[POOL_LABEL] = pool.name
    labels["kubernetes.io/hostname"] = name
    default_node(node)
    return node


class Autoscaler:
    def __init__(
        self, store: Store, recorder: EventRecorder, settings: SimSettings, pools: list[NodePool]
    ) -> None:
        self.store, self.recorder, self.settings, self.pools = store, recorder, settings, pools
        self.upcoming: dict[str, list[tuple[Obj, list[Obj]]]] = {p.name: [] for p in pools}
        self.created: Counter[str] = Counter()
        self._last_refusal: dict[str, str] = {}
        self._helped: set[str] = set()

    def _pool_size(self, pool: NodePool) -> int:
        return sum(
            1
            for n in self.store.items("nodes")
            if ((n.get("metadata") or {}).get("labels") or {}).get(POOL_LABEL) == pool.name
        )

    def _unschedulable(self) -> list[Obj]:
        pods = []
        for pod in self.store.items("pods"):
            if (pod.get("spec") or {}).get("nodeName") or "deletionTimestamp" in pod["metadata"]:
                continue
            nominated = (pod.get("status") or {}).get("nominatedNodeName")
            if nominated and self.store.peek("nodes", "", nominated) is not None:
                continue  # FilterOutExpendableAndSplit: waiting for its preemption victims to go
            for cond in (pod.get("status") or {}).get("conditions") or []:
                if (
                    cond.get("type") == "PodScheduled"
                    and cond.get("status") == "False"
                    and cond.get("reason") == "Unschedulable"
                ):
                    pods.append(pod)
        return sorted(pods, key=lambda p: int(p["metadata"]["resourceVersion"]))

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.autoscaler_interval)
            try:
                self.step()
            except Exception:
                log.exception("autoscaler loop failed")

    def step(self) -> None:
        for pod in self._unschedulable():
            uid = pod["metadata"]["uid"]
            if uid in self._helped:
                continue
            if self._fits_upcoming(pod):
                self._helped.add(uid)
                continue
            self._consider(pod)

    def _fits_upcoming(self, pod: Obj) -> bool:
        for nodes in self.upcoming.values():
            for node, assigned in nodes:
                if filter_node(pod, node, NodeUsage.of(assigned)) is None:
                    assigned.append(pod)
                    return True
        return False

    def _consider(self, pod: Obj) -> None:
        refusals: Counter[str] = Counter()
        for pool in sorted(self.pools, key=lambda p: p.name):
            template = node_from_template(pool, f"{pool.name}-template")
            rejection = filter_node(pod, template, NodeUsage())
            if rejection is not None:
                refusals.update(rejection.reasons)
                continue
            current = self._pool_size(pool) + len(self.upcoming[pool.name])
            if current >= pool.max_count:
                refusals["max node group size reached"] += 1
                continue
            self._scale_up(pool, pod, current)
            return
        message = "pod didn't trigger scale-up: " + ", ".join(
            f"{n} {reason}" for reason, n in sorted(refusals.items())
        )
        uid = pod["metadata"]["uid"]
        if self.pools and self._last_refusal.get(uid) != message:
            self._last_refusal[uid] = message
            self.recorder.record(pod, "Normal", "NotTriggerScaleUp", message, COMPONENT)

    def _scale_up(self, pool: NodePool, pod: Obj, current: int) -> None:
        self.created[pool.name] += 1
        name = f"{pool.name}-{self.created[pool.name]}"
        while self.store.peek("nodes", "", name) is not None:
            self.created[pool.name] += 1
            name = f"{pool.name}-{self.created[pool.name]}"
        node = node_from_template(pool, name)
        entry: tuple[Obj, list[Obj]] = (node, [pod])
        self.upcoming[pool.name].append(entry)
        self._helped.add(pod["metadata"]["uid"])
        self.recorder.record(
            pod,
            "Normal",
            "TriggeredScaleUp",
            f"pod triggered scale-up: [{{{pool.name} {current}->{current + 1} (max: {pool.max_count})}}]",
            COMPONENT,
        )
        asyncio.get_running_loop().call_later(pool.provision_seconds, self._register, pool, entry)

    def _register(self, pool: NodePool, entry: tuple[Obj, list[Obj]]) -> None:
        if entry in self.upcoming[pool.name]:
            self.upcoming[pool.name].remove(entry)
        node = entry[0]
        if pool.ready_seconds > 0:
            # A new VM registers NotReady with the not-ready taint: FailedScheduling messages
            # switch to taint reasons (and N grows) until the node is Ready.
            node = copy.deepcopy(node)
            node.setdefault("spec", {}).setdefault("taints", []).append(NOT_READY_TAINT)
            node["status"]["conditions"] = [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "KubeletNotReady",
                    "message": "container runtime network not ready",
                }
            ]
            asyncio.get_running_loop().call_later(pool.ready_seconds, self._ready, node["metadata"]["name"])
        self.store.create("nodes", node)
        log.info("node %s registered", node["metadata"]["name"])

    def _ready(self, name: str) -> None:
        def ready(node: Obj) -> None:
            taints = [t for t in node.get("spec", {}).get("taints") or [] if t != NOT_READY_TAINT]
            node["spec"]["taints"] = taints
            node["status"]["conditions"] = [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                }
            ]

        self.store.mutate("nodes", "", name, ready)
