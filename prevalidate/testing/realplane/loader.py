"""Create the objects of a cluster file (the `kubectl get ... -A -o yaml` dump `prevalidate
check` reads) in a real apiserver, so the cluster the real scheduler and admission see is the
one our checks read.

The order follows what admission needs: namespaces and cluster-scoped kinds first, then the
objects pods refer to, then the pods (bound to their node, status set as dumped), and only then
LimitRanges and ResourceQuotas, because the dumped pods were admitted before today's policy and
must not be re-judged by it. The quota controller then computes each quota's status from the
pods, exactly as in the dumped cluster.

Without a kubelet or PV controller, two things a real cluster would do are done here:
a node's status (capacity, allocatable, the Ready condition) is written through the status
subresource, and a claim dumped as Bound gets a PersistentVolume bound to it (the dump command
does not list PVs, and the scheduler's VolumeBinding filter needs the claim's volume to exist).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .api import KINDS, Api, ApiError, wait_for

Obj = dict[str, Any]

# Namespaces every apiserver makes itself.
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
_ORDER = (
    "Namespace",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "Node",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "Pod",
    "LimitRange",
    "ResourceQuota",
)
_SERVER_FIELDS = (
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "generation",
    "ownerReferences",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


class LoadError(Exception):
    """An object the apiserver refused; the message names it and quotes the apiserver."""


@dataclass
class Loaded:
    """What was created: per kind, the (namespace, name) pairs; and the kinds skipped."""

    created: dict[str, list[tuple[str | None, str]]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)


def read_objects(source: str | Path) -> list[Obj]:
    """The Kubernetes objects in a cluster file (path or YAML text), `List`s flattened and
    kubesim's own `kubesim.prevalidate.dev` documents left out."""
    text = source.read_text() if isinstance(source, Path) else source

    def flatten(doc: Any) -> Iterator[Obj]:
        if not isinstance(doc, Mapping):
            return
        if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
            for item in doc["items"]:
                yield from flatten(item)
        elif "kind" in doc and not str(doc.get("apiVersion", "")).startswith("kubesim."):
            yield dict(doc)

    return [obj for doc in yaml.safe_load_all(text) for obj in flatten(doc)]


def _clean(obj: Mapping[str, Any], rename: Callable[[str], str]) -> Obj:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_FIELDS}
    if "namespace" in meta and KINDS[str(obj["kind"])][2]:
        meta["namespace"] = rename(meta["namespace"])
    body = {k: v for k, v in obj.items() if k != "status"}
    body["metadata"] = meta
    return body


def _pod_body(pod: Obj) -> Obj:
    spec = dict(pod.get("spec") or {})
    # Admission fills these from the PriorityClass / RuntimeClass and refuses a pod whose own
    # value differs, so a dumped pod is created the way its owner created it: without them.
    if spec.get("priorityClassName") or "priority" in spec:
        spec.pop("priority", None)
        spec.pop("preemptionPolicy", None)
    if spec.get("runtimeClassName"):
        spec.pop("overhead", None)
    pod["spec"] = spec
    return pod


def _node_status(status: Mapping[str, Any]) -> Obj:
    out = dict(status)
    allocatable = dict(status.get("allocatable") or status.get("capacity") or {})
    out["allocatable"] = allocatable
    out["capacity"] = dict(status.get("capacity") or allocatable)
    if not any(c.get("type") == "Ready" for c in status.get("conditions") or []):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        out["conditions"] = [
            *(status.get("conditions") or []),
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": now,
                "lastTransitionTime": now,
            },
        ]
    return out


def _pod_status(pod: Mapping[str, Any]) -> Obj | None:
    status = dict(pod.get("status") or {})
    if not (pod.get("spec") or {}).get("nodeName"):
        return None  # not bound: the scheduler decides, as it would have
    status.setdefault("phase", "Running")
    if status["phase"] == "Running":
        status.setdefault(
            "conditions", [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}]
        )
    return status


class Loader:
    """Loads cluster files into one plane. `rename` maps a dumped namespace to the one it is
    created as (tests give each test its own); cluster-scoped objects keep their names."""

    def __init__(self, api: Api, rename: Callable[[str], str] = lambda ns: ns, timeout: float = 60) -> None:
        self.api, self.rename, self.timeout = api, rename, timeout

    def load(self, source: str | Path) -> Loaded:
        objects = read_objects(source)
        loaded = Loaded()
        by_kind: dict[str, list[Obj]] = {}
        for obj in objects:
            kind = str(obj.get("kind"))
            if kind in _ORDER:
                by_kind.setdefault(kind, []).append(obj)
            else:
                loaded.skipped.append(kind)
        namespaces = {
            self.rename(str((o.get("metadata") or {}).get("name"))) for o in by_kind.get("Namespace", [])
        }
        for kind in _ORDER:
            if KINDS[kind][2]:
                namespaces |= {
                    self.rename(str((o.get("metadata") or {}).get("namespace") or "default"))
                    for o in by_kind.get(kind, [])
                }
        for ns in sorted(namespaces - SYSTEM_NAMESPACES):
            self._create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, loaded)
        loaded.namespaces = sorted(namespaces)
        for kind in _ORDER[1:]:
            if kind == "Pod":
                self._await_service_accounts(by_kind.get("Pod", []))
            for obj in by_kind.get(kind, []):
                self._load_one(obj, loaded)
        self._await_quota_status(loaded)
        return loaded

    # --- one object ----------------------------------------------------------------------------
    def _load_one(self, obj: Obj, loaded: Loaded) -> None:
        kind = str(obj["kind"])
        body = _clean(obj, self.rename)
        status = obj.get("status") or {}
        if kind == "Pod":
            body = _pod_body(body)
        if kind == "PersistentVolumeClaim" and status.get("phase") == "Bound":
            self._bind_claim(body, status, loaded)
            return
        self._create(body, loaded)
        meta = body["metadata"]
        if kind == "Node":
            self.api.patch_status("Node", meta["name"], _node_status(status))
        elif kind == "Pod" and (pod_status := _pod_status(obj)) is not None:
            self.api.patch_status("Pod", meta["name"], pod_status, meta.get("namespace"))

    def _bind_claim(self, claim: Obj, status: Mapping[str, Any], loaded: Loaded) -> None:
        meta, spec = claim["metadata"], dict(claim.get("spec") or {})
        ns = meta.get("namespace") or "default"
        size = (status.get("capacity") or {}).get("storage") or (
            (spec.get("resources") or {}).get("requests") or {}
        ).get("storage", "1Gi")
        pv_name = spec.get("volumeName") or f"pv-{ns}-{meta['name']}"[:253]
        pv = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": pv_name},
            "spec": {
                "capacity": {"storage": size},
                "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain",
                "hostPath": {"path": f"/realplane/{ns}/{meta['name']}"},
                "claimRef": {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "namespace": ns,
                    "name": meta["name"],
                },
                **({"storageClassName": spec["storageClassName"]} if spec.get("storageClassName") else {}),
                **({"volumeMode": spec["volumeMode"]} if spec.get("volumeMode") else {}),
            },
        }
        self._create(pv, loaded)
        self.api.patch_status("PersistentVolume", pv_name, {"phase": "Bound"})
        spec["volumeName"] = pv_name
        claim["spec"] = spec
        annotations = dict(meta.get("annotations") or {})
        annotations["pv.kubernetes.io/bind-completed"] = "yes"
        meta["annotations"] = annotations
        self._create(claim, loaded)
        self.api.patch_status(
            "PersistentVolumeClaim",
            meta["name"],
            {
                "phase": "Bound",
                "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                "capacity": {"storage": size},
            },
            ns,
        )

    def _create(self, body: Obj, loaded: Loaded) -> None:
        kind, meta = str(body["kind"]), body.get("metadata") or {}
        status, answer = self.api.create(body)
        if status == 409 and (kind in ("Namespace", "ServiceAccount") or meta.get("name") == "default"):
            return  # made by the apiserver or its controllers already
        if status >= 400:
            where = f"{meta.get('namespace')}/" if meta.get("namespace") else ""
            raise LoadError(f"{kind} {where}{meta.get('name')}: {status} {answer.get('message', answer)}")
        loaded.created.setdefault(kind, []).append((meta.get("namespace"), str(meta.get("name"))))

    # --- waits ---------------------------------------------------------------------------------
    def _await_service_accounts(self, pods: list[Obj]) -> None:
        """The ServiceAccount admission plugin refuses a pod until its account exists; the
        serviceaccount controller creates each namespace's `default` moments after it."""
        wanted = {
            (
                self.rename(str(p["metadata"].get("namespace") or "default")),
                str((p.get("spec") or {}).get("serviceAccountName") or "default"),
            )
            for p in pods
        }
        for ns, name in sorted(wanted):

            def exists(ns: str = ns, name: str = name) -> Obj | None:
                return self.api.get("ServiceAccount", name, ns)

            wait_for(exists, self.timeout, f"ServiceAccount {ns}/{name}")

    def _await_quota_status(self, loaded: Loaded) -> None:
        """Admission refuses every pod while a quota's status is empty; wait for the controller."""
        for ns, name in loaded.created.get("ResourceQuota", []):

            def ready(ns: str | None = ns, name: str = name) -> bool:
                quota = self.api.get("ResourceQuota", name, ns)
                if quota is None:
                    raise ApiError(404, {"message": f"ResourceQuota {ns}/{name} vanished"})
                hard = (quota.get("status") or {}).get("hard") or {}
                return set(hard) == set((quota.get("spec") or {}).get("hard") or {}) and "used" in (
                    quota.get("status") or {}
                )

            wait_for(ready, self.timeout, f"ResourceQuota {ns}/{name} status")
