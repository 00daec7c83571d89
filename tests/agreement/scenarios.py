"""A fixed-seed generator of differential scenarios: cluster states and pods.

A `Round` is one cluster state (nodes with labels, taints and allocatable, pods already running
on them, quotas with scopes, a LimitRange, storage classes and claims, secrets and config maps)
and the pods to judge against it. Values cluster around the edges that decide verdicts (a
node's exact allocatable, a quota's exact remainder, a LimitRange's max) rather than being
uniform, so both "just fits" and "just does not" come up often.

Nothing here knows what Kubernetes or prevalidate will answer; the runner asks both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from . import families

Obj = dict[str, Any]
NS = "agree"
IMAGE = "quay.io/jupyter/base-notebook:2024-05-27"

CPUS = ["100m", "250m", "500m", "1", "1500m", "2", "3", "4", "6", "7500m", "8", "15", "16", "17", "33"]
MEMS = ["128Mi", "512Mi", "1Gi", "2Gi", "4Gi", "6Gi", "8Gi", "15Gi", "16Gi", "30Gi", "64Gi", "65Gi"]
NODE_CPUS = ["2", "4", "7500m", "8", "16", "16", "32", "32"]
NODE_MEMS = ["4Gi", "8Gi", "15Gi", "16Gi", "32Gi", "64Gi", "64Gi"]
TAINTS = [
    {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
    {"key": "dedicated", "value": "ml", "effect": "NoSchedule"},
    {"key": "maintenance", "effect": "PreferNoSchedule"},
    {"key": "flaky", "value": "yes", "effect": "NoExecute"},
]
POOLS = ["standard", "large", "gpu"]
ZONES = ["zone-a", "zone-b"]
QUOTA_KEYS = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods", "cpu", "memory",
              "requests.nvidia.com/gpu", "requests.ephemeral-storage"]
SCOPES = [None, ["BestEffort"], ["NotBestEffort"], ["Terminating"], ["NotTerminating"]]


@dataclass
class Round:
    index: int
    objects: list[Obj] = field(default_factory=list)
    pods: list[Obj] = field(default_factory=list)
    priorities: bool = False  # the priority-and-preemption family (families.py)
    runtimes: bool = False  # the RuntimeClass family

    @property
    def running_pods(self) -> list[Obj]:
        return [o for o in self.objects if o["kind"] == "Pod"]

    @property
    def node_names(self) -> list[str]:
        return [o["metadata"]["name"] for o in self.objects if o["kind"] == "Node"]


def _meta(name: str, namespaced: bool = True, **extra: Any) -> Obj:
    return {"name": name, **({"namespace": NS} if namespaced else {}), **extra}


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # --- cluster --------------------------------------------------------------------------------
    def round(self, index: int, pods: int) -> Round:
        r = Round(index)
        r.objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        nodes = [self.node(index, i) for i in range(self.rng.randint(1, 4))]
        r.objects += nodes
        r.priorities = self.rng.random() < 0.25
        r.runtimes = self.rng.random() < 0.25
        if r.priorities:
            r.objects += families.priority_classes(self.rng)
        if r.runtimes:
            r.objects += families.runtime_classes(self.rng, POOLS)
        r.objects += [self.running_pod(i, self.rng.choice(nodes)) for i in range(self.rng.randint(0, 3))]
        if r.priorities:
            r.objects += families.low_priority_fillers(nodes, self.rng, NS, IMAGE)
        r.objects += self.storage()
        r.objects += self.refs()
        if self.rng.random() < 0.6:
            r.objects += [self.quota(i) for i in range(self.rng.randint(1, 2))]
        if self.rng.random() < 0.4:
            r.objects.append(self.limit_range())
        r.pods = [self.pod(f"p{i}", r) for i in range(pods)]
        return r

    def node(self, rnd: int, i: int) -> Obj:
        rng = self.rng
        name = f"r{rnd}-n{i}"
        pool = rng.choice(POOLS)
        allocatable = {"cpu": rng.choice(NODE_CPUS), "memory": rng.choice(NODE_MEMS), "pods": "110"}
        if rng.random() < 0.5:
            allocatable["ephemeral-storage"] = rng.choice(["20Gi", "100Gi"])
        if pool == "gpu":
            allocatable["nvidia.com/gpu"] = rng.choice(["1", "2", "4"])
        if rng.random() < 0.05:
            allocatable["pods"] = "1"
        spec: Obj = {}
        if pool == "gpu" and rng.random() < 0.7:
            spec["taints"] = [TAINTS[0]]
        elif rng.random() < 0.2:
            spec["taints"] = [rng.choice(TAINTS[1:])]
        if rng.random() < 0.1:
            spec["unschedulable"] = True
        labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                  "pool": pool, "topology.kubernetes.io/zone": rng.choice(ZONES)}
        return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
                "spec": spec, "status": {"allocatable": allocatable}}

    def running_pod(self, i: int, node: Obj) -> Obj:
        rng = self.rng
        res = {"cpu": rng.choice(CPUS[:8]), "memory": rng.choice(MEMS[:8])}
        tolerations = [{"operator": "Exists"}]  # it is already there: taints added later do not evict
        phase = "Succeeded" if rng.random() < 0.15 else "Running"
        return {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": _meta(f"running-{i}", labels={"app": rng.choice(["web", "db", "notebook"])}),
            "spec": {"nodeName": node["metadata"]["name"], "tolerations": tolerations,
                     "containers": [{"name": "c", "image": IMAGE,
                                     "resources": {"requests": res, "limits": res}}]},
            "status": {"phase": phase},
        }

    def storage(self) -> list[Obj]:
        rng = self.rng
        classes = [
            {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
             "metadata": {"name": "standard",
                          "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
             "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"},
            {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"},
             "provisioner": "example.com/fast", "volumeBindingMode": "Immediate"},
        ]
        claims = []
        for name in ("home", "shared", "scratch"):
            if rng.random() < 0.8:
                bound = rng.random() < 0.75
                claims.append({
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": _meta(name),
                    "spec": {"accessModes": [rng.choice(["ReadWriteOnce", "ReadWriteMany"])],
                             "storageClassName": "standard" if bound else rng.choice(["standard", "fast"]),
                             "resources": {"requests": {"storage": "10Gi"}}},
                    "status": {"phase": "Bound" if bound else "Pending"},
                })
        return classes + claims

    def refs(self) -> list[Obj]:
        rng = self.rng
        out: list[Obj] = []
        if rng.random() < 0.8:
            out.append({"apiVersion": "v1", "kind": "Secret", "metadata": _meta("creds"), "type": "Opaque",
                        "data": {"token": "c2VjcmV0",
                                 **({"user": "YWxpY2U="} if rng.random() < 0.5 else {})}})
        if rng.random() < 0.8:
            out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("settings"),
                        "data": {"mode": "lab", **({"theme": "dark"} if rng.random() < 0.5 else {})}})
        if rng.random() < 0.3:
            out.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("notebook")})
        return out

    def quota(self, i: int) -> Obj:
        rng = self.rng
        scopes = rng.choice(SCOPES)
        # A scoped quota may only track the pod compute resources its scope knows
        # (pkg/apis/core/validation: "unsupported scope applied to resource").
        keys = rng.sample(QUOTA_KEYS[:7] if scopes else QUOTA_KEYS, rng.randint(1, 4))
        hard = {}
        for key in keys:
            if key == "pods":
                hard[key] = rng.choice(["1", "2", "3", "10", "10"])
            elif "gpu" in key:
                hard[key] = rng.choice(["0", "1", "2"])
            elif "ephemeral" in key:
                hard[key] = rng.choice(["1Gi", "50Gi"])
            elif "cpu" in key:
                hard[key] = rng.choice(["1", "2", "4", "8", "16", "64", "64"])
            else:
                hard[key] = rng.choice(["2Gi", "8Gi", "16Gi", "64Gi", "64Gi"])
        spec: Obj = {"hard": hard}
        if scopes:
            spec["scopes"] = scopes
            if scopes == ["BestEffort"]:  # BestEffort quotas may only track pods
                spec["hard"] = {"pods": rng.choice(["1", "2", "5"])}
        return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta(f"quota-{i}"), "spec": spec}

    def limit_range(self) -> Obj:
        rng = self.rng
        item: Obj = {"type": "Container"}
        if rng.random() < 0.7:
            item["default"] = {"cpu": rng.choice(["1", "2"]), "memory": rng.choice(["2Gi", "4Gi"])}
        if rng.random() < 0.7:
            item["defaultRequest"] = {"cpu": rng.choice(["500m", "1"]), "memory": rng.choice(["1Gi", "2Gi"])}
        if rng.random() < 0.5:
            item["max"] = {"cpu": rng.choice(["2", "4", "8"]), "memory": rng.choice(["8Gi", "16Gi"])}
        if rng.random() < 0.3:
            item["min"] = {"cpu": rng.choice(["100m", "500m"]), "memory": rng.choice(["128Mi", "512Mi"])}
        if rng.random() < 0.2:
            item["maxLimitRequestRatio"] = {"cpu": rng.choice(["2", "4"])}
        limits = [item]
        if rng.random() < 0.2:
            limits.append({"type": "Pod", "max": {"cpu": rng.choice(["4", "8"]), "memory": "16Gi"}})
        return {"apiVersion": "v1", "kind": "LimitRange", "metadata": _meta("limits"),
                "spec": {"limits": limits}}

    # --- pods -----------------------------------------------------------------------------------
    def resources(self) -> Obj:
        rng = self.rng
        shape = rng.choice(["none", "requests", "limits", "both", "both", "guaranteed"])
        # Mostly modest sizes (most spawns fit), sometimes the edges and beyond.
        def cpu() -> str:
            return rng.choice(CPUS[:6] if rng.random() < 0.7 else CPUS)

        def mem() -> str:
            return rng.choice(MEMS[:5] if rng.random() < 0.7 else MEMS)

        req = {"cpu": cpu(), "memory": mem()}
        lim = {"cpu": cpu(), "memory": mem()}
        if rng.random() < 0.1:
            req["nvidia.com/gpu"] = lim["nvidia.com/gpu"] = rng.choice(["1", "2", "3"])
        if rng.random() < 0.1:
            req["ephemeral-storage"] = rng.choice(["1Gi", "30Gi"])
        if shape == "none":
            return {}
        if shape == "requests":
            # an extended resource requested without a limit is invalid (422): kept on purpose
            return {"requests": req}
        if shape == "limits":
            return {"limits": lim}
        if shape == "guaranteed":
            return {"requests": req, "limits": dict(req)}
        # both: mostly limit >= request, sometimes not (the apiserver refuses that: 422)
        if rng.random() < 0.92:
            lim = {k: _max_quantity(req.get(k, v), v) for k, v in lim.items()}
            lim.update({k: v for k, v in req.items() if k not in lim})
        return {"requests": req, "limits": lim}

    def pod(self, name: str, r: Round) -> Obj:
        rng = self.rng
        main: Obj = {"name": "notebook", "image": IMAGE, "resources": self.resources()}
        spec: Obj = {"containers": [main]}
        if rng.random() < 0.2:
            spec["initContainers"] = [{"name": "init", "image": IMAGE, "resources": self.resources()}]
        if rng.random() < 0.15:
            spec.setdefault("initContainers", []).append(
                {"name": "sidecar", "image": IMAGE, "restartPolicy": "Always", "resources": self.resources()})
        if rng.random() < 0.25:
            spec["nodeSelector"] = {"pool": rng.choice([*POOLS, "missing"])}
        if rng.random() < 0.2:
            op = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
            key = rng.choice(["pool", "topology.kubernetes.io/zone", "disktype"])
            expr: Obj = {"key": key, "operator": op}
            if op in ("In", "NotIn"):
                expr["values"] = rng.sample([*POOLS, *ZONES], rng.randint(1, 2))
            spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [expr]}]}}}
        if rng.random() < 0.1:
            spec.setdefault("affinity", {})["nodeAffinity"] = {
                **spec.get("affinity", {}).get("nodeAffinity", {}),
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 10, "preference": {"matchExpressions": [
                        {"key": "pool", "operator": "In", "values": ["large"]}]}}]}
        if rng.random() < 0.3:
            spec["tolerations"] = [rng.choice([
                {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present"},
                {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"},
                {"key": "dedicated", "operator": "Equal", "value": "other", "effect": "NoSchedule"},
                {"key": "flaky", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30},
                {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"},
            ])]
        volumes = []
        mounts = []
        claims = ["home", "shared", "scratch"]
        if rng.random() < 0.3:
            claims.append("missing")
        for claim in rng.sample(claims, rng.choice([0, 0, 1, 1, 2])):
            volumes.append({"name": f"v-{claim}", "persistentVolumeClaim": {"claimName": claim}})
            mounts.append({"name": f"v-{claim}", "mountPath": f"/mnt/{claim}"})
        if rng.random() < 0.2:
            kind = rng.choice(["secret", "configMap"])
            ref_name = rng.choice(["creds", "settings", "absent"])
            source: Obj = {"secretName": ref_name} if kind == "secret" else {"name": ref_name}
            if rng.random() < 0.3:
                source["optional"] = True
            volumes.append({"name": "refvol", kind: source})
            mounts.append({"name": "refvol", "mountPath": "/etc/ref"})
        if rng.random() < 0.1:
            volumes.append({"name": "scratch-dir", "emptyDir": {"sizeLimit": "1Gi"}})
        if volumes:
            spec["volumes"] = volumes
            main["volumeMounts"] = mounts
        if rng.random() < 0.2:
            kind = rng.choice(["secretKeyRef", "configMapKeyRef"])
            main["env"] = [{"name": "X", "valueFrom": {kind: {
                "name": rng.choice(["creds", "settings", "absent"]),
                "key": rng.choice(["token", "user", "mode", "theme", "nope"]),
                **({"optional": True} if rng.random() < 0.3 else {})}}}]
        if rng.random() < 0.05:
            spec["serviceAccountName"] = "notebook"
        if r.priorities and rng.random() < 0.6:
            families.with_priority(spec, rng)
        if r.runtimes and rng.random() < 0.6:
            families.with_runtime_class(spec, rng)
        if rng.random() < 0.08:
            families.with_node_name(spec, rng, r.node_names)
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": NS, "labels": {"component": "singleuser-server"}},
                "spec": spec}


_UNITS = {"m": 1e-3, "": 1.0, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def _value(q: str) -> float:
    for suffix in ("Ki", "Mi", "Gi", "m"):
        if q.endswith(suffix):
            return float(q[: -len(suffix)]) * _UNITS[suffix]
    return float(q)


def _max_quantity(a: str, b: str) -> str:
    return a if _value(a) >= _value(b) else b


def generate(seed: int, scenarios: int, per_round: int = 20) -> list[Round]:
    gen = Generator(seed)
    rounds = []
    index = 0
    while scenarios > 0:
        n = min(per_round, scenarios)
        rounds.append(gen.round(index, n))
        scenarios -= n
        index += 1
    return rounds
