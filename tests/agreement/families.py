"""Scenario families beyond the basic round (scenarios.py draws them):

- **priority and preemption**: PriorityClasses `low` (10), `high` (1000), `high-never` (1000,
  preemptionPolicy Never) and a global default in some rounds; running pods of class `low`
  sized to fill their node; pods of each class, or of a class that does not exist. The real
  scheduler preempts for `high` (the pod is nominated to a node and the victims are deleted;
  no kubelet ends them, so the judge restores them), never for `high-never`.
- **RuntimeClass**: classes with `overhead.podFixed`, `scheduling.nodeSelector` and
  `scheduling.tolerations` (the RuntimeClass admission plugin adds the overhead and merges
  the selector and tolerations; a selector conflicting with the pod's is refused), pods naming
  one of them or one that does not exist.
- **spec.nodeName**: pods bound by their author to a node (existing or not). kube-scheduler
  never sees them; the kubelet admits them, and the plane has none. So the real verdict is the
  apiserver's alone (validation, LimitRanger, ResourceQuota, Priority, RuntimeClass), and
  prevalidate's kubelet-admission findings for them (no-node-fits, insufficient-capacity on
  that node) are counted as kubelet-stage, out of the plane's reach (judge.py).

Nothing here knows the answers: the judge asks both sides.
"""

from __future__ import annotations

import random
from typing import Any

Obj = dict[str, Any]

PRIORITY_CLASSES = {"low": 10, "high": 1000, "high-never": 1000}
RUNTIME_HANDLERS = ("gvisor", "kata", "runc-gpu")


def priority_classes(rng: random.Random) -> list[Obj]:
    classes = []
    default = rng.choice([None, None, "low"])
    for name, value in PRIORITY_CLASSES.items():
        obj: Obj = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                    "metadata": {"name": name}, "value": value}
        if name == "high-never":
            obj["preemptionPolicy"] = "Never"
        if name == default:
            obj["globalDefault"] = True
        classes.append(obj)
    return classes


def runtime_classes(rng: random.Random, pools: list[str]) -> list[Obj]:
    out = []
    for handler in RUNTIME_HANDLERS:
        if rng.random() < 0.25:
            continue  # sometimes missing: a pod naming it is refused
        obj: Obj = {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": handler},
                    "handler": handler}
        if rng.random() < 0.7:
            obj["overhead"] = {"podFixed": {"cpu": rng.choice(["100m", "250m", "1"]),
                                            "memory": rng.choice(["64Mi", "256Mi", "1Gi"])}}
        if rng.random() < 0.5:
            scheduling: Obj = {"nodeSelector": {"pool": rng.choice(pools)}}
            if rng.random() < 0.5:
                scheduling["tolerations"] = [rng.choice([
                    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                    {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}])]
            obj["scheduling"] = scheduling
        out.append(obj)
    return out


def low_priority_fillers(nodes: list[Obj], rng: random.Random, namespace: str, image: str) -> list[Obj]:
    """Running pods of class `low` taking all or half of most nodes' CPU: victims for `high`."""
    pods = []
    for i, node in enumerate(nodes):
        if rng.random() < 0.25:
            continue
        cpu = node["status"]["allocatable"]["cpu"]
        res = {"cpu": cpu if rng.random() < 0.6 else _half(cpu), "memory": "1Gi"}
        pods.append({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"low-{i}", "namespace": namespace},
            "spec": {"nodeName": node["metadata"]["name"], "priorityClassName": "low",
                     "tolerations": [{"operator": "Exists"}],
                     "containers": [{"name": "c", "image": image,
                                     "resources": {"requests": res, "limits": res}}]},
            "status": {"phase": "Running"},
        })
    return pods


def _half(cpu: str) -> str:
    milli = int(float(cpu[:-1])) if cpu.endswith("m") else int(float(cpu) * 1000)
    return f"{milli // 2}m"


def with_priority(spec: Obj, rng: random.Random) -> None:
    spec["priorityClassName"] = rng.choice(["high", "high", "high-never", "low", "urgent"])


def with_runtime_class(spec: Obj, rng: random.Random) -> None:
    spec["runtimeClassName"] = rng.choice([*RUNTIME_HANDLERS, "wasm"])


def with_node_name(spec: Obj, rng: random.Random, nodes: list[str]) -> None:
    spec["nodeName"] = rng.choice([*nodes, *nodes, "gone-node"])
