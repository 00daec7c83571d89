"""Small builders for Kubernetes objects as plain dicts (the JSON form a watch or a dump gives).

Each returns what ``ClusterView.apply`` and ``run_all`` take, with only the fields a test cares
about; everything else has a dull default. ``verdict`` runs the real ``run_all`` with only the
named checks enabled, so a table row can say "quota allows this" without unrelated findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prevalidate.model.cluster import ClusterView
from prevalidate.model.findings import Finding, Verdict
from prevalidate.model.image_facts import ImageFacts
from prevalidate.model.objects import NodeInfo, PVCInfo
from prevalidate.model.request import PodRequest
from prevalidate.model.settings import CHECKS, Settings
from prevalidate.validators import run_all

NS = "jhub"
IMAGE = "quay.io/jupyter/scipy-notebook:2024-05-27"
Obj = dict[str, Any]


def container(
    name: str = "notebook",
    requests: Mapping[str, Any] | None = None,
    limits: Mapping[str, Any] | None = None,
    image: str = IMAGE,
    **extra: Any,
) -> Obj:
    resources: Obj = {}
    if requests is not None:
        resources["requests"] = dict(requests)
    if limits is not None:
        resources["limits"] = dict(limits)
    return {"name": name, "image": image, "resources": resources, **extra}


def sidecar(name: str = "sidecar", **kwargs: Any) -> Obj:
    return container(name, restartPolicy="Always", **kwargs)


def pod(
    name: str = "jupyter-alice",
    namespace: str = NS,
    *,
    requests: Mapping[str, Any] | None = None,
    limits: Mapping[str, Any] | None = None,
    containers: Sequence[Obj] | None = None,
    init_containers: Sequence[Obj] = (),
    node_name: str | None = None,
    phase: str | None = None,
    terminating: bool = False,
    claims: Iterable[str] = (),
    **spec: Any,
) -> Obj:
    """A pod; ``requests``/``limits`` go to its one container unless ``containers`` is given."""
    body: Obj = {
        "containers": list(containers)
        if containers is not None
        else [container("notebook", requests, limits)],
        **spec,
    }
    if init_containers:
        body["initContainers"] = list(init_containers)
    if node_name:
        body["nodeName"] = node_name
    volumes = list(body.pop("volumes", []))
    volumes += [{"name": f"vol-{c}", "persistentVolumeClaim": {"claimName": c}} for c in claims]
    if volumes:
        body["volumes"] = volumes
    meta: Obj = {"name": name, "namespace": namespace}
    if terminating:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    obj: Obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body}
    if phase:
        obj["status"] = {"phase": phase}
    return obj


def node(
    name: str = "node-1",
    cpu: str = "4",
    memory: str = "16Gi",
    pods: str | None = "110",
    *,
    labels: Mapping[str, str] | None = None,
    taints: Sequence[Mapping[str, str]] = (),
    unschedulable: bool = False,
    extra: Mapping[str, str] | None = None,
) -> Obj:
    allocatable = {"cpu": cpu, "memory": memory, **(extra or {})}
    if pods is not None:
        allocatable["pods"] = pods
    spec: Obj = {}
    if taints:
        spec["taints"] = [dict(t) for t in taints]
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": dict(labels or {})},
        "spec": spec,
        "status": {"allocatable": allocatable},
    }


def taint(key: str, value: str = "", effect: str = "NoSchedule") -> dict[str, str]:
    return {"key": key, "value": value, "effect": effect}


def quota(
    hard: Mapping[str, str],
    used: Mapping[str, str] | None = None,
    name: str = "compute",
    namespace: str = NS,
    *,
    scopes: Sequence[str] = (),
    selector: Sequence[Mapping[str, Any]] = (),
) -> Obj:
    spec: Obj = {"hard": dict(hard)}
    if scopes:
        spec["scopes"] = list(scopes)
    if selector:
        spec["scopeSelector"] = {"matchExpressions": [dict(e) for e in selector]}
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
        "status": {"hard": dict(hard), "used": dict(used or {})},
    }


def scope(scope_name: str, operator: str, *values: str) -> Obj:
    expr: Obj = {"scopeName": scope_name, "operator": operator}
    if values:
        expr["values"] = list(values)
    return expr


def limit_item(type: str = "Container", **fields: Mapping[str, str]) -> Obj:
    """``limit_item(max={"cpu": "2"}, defaultRequest={...}, maxLimitRequestRatio={...})``."""
    return {"type": type, **{k: dict(v) for k, v in fields.items()}}


def limitrange(*items: Obj, name: str = "limits", namespace: str = NS) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"limits": list(items)},
    }


def pvc(
    name: str = "claim-alice",
    namespace: str = NS,
    *,
    phase: str = "Bound",
    storage_class: str | None = "standard",
    access_modes: Sequence[str] = ("ReadWriteOnce",),
    storage: str = "10Gi",
    terminating: bool = False,
    volume_name: str = "",
) -> Obj:
    meta: Obj = {"name": name, "namespace": namespace}
    if terminating:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    spec: Obj = {"accessModes": list(access_modes), "resources": {"requests": {"storage": storage}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    if volume_name:
        spec["volumeName"] = volume_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta,
        "spec": spec,
        "status": {"phase": phase},
    }


def new_claim(name: str = "claim-alice", **kwargs: Any) -> PVCInfo:
    """A claim the spawner will create itself (``new_claims``): not in the cluster yet."""
    kwargs.setdefault("phase", "Pending")
    return PVCInfo.from_dict(pvc(name, **kwargs))


def storage_class(
    name: str = "standard", binding_mode: str = "WaitForFirstConsumer", default: bool = False
) -> Obj:
    annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "annotations": annotations},
        "provisioner": "example.com/csi",
        "volumeBindingMode": binding_mode,
    }


def namespace(name: str = NS, terminating: bool = False) -> Obj:
    obj: Obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    obj["status"] = {"phase": "Terminating" if terminating else "Active"}
    return obj


def service_account(name: str = "default", namespace: str = NS, pull_secrets: Sequence[str] = ()) -> Obj:
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace},
    }
    if pull_secrets:
        obj["imagePullSecrets"] = [{"name": n} for n in pull_secrets]
    return obj


def secret(name: str, namespace: str = NS, type: str = "Opaque") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": type,
        "data": {"key": "dmFsdWU="},
    }


def configmap(name: str, namespace: str = NS) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"key": "value"},
    }


def priority_class(
    name: str, global_default: bool = False, *, value: int = 1000, preemption_policy: str | None = None
) -> Obj:
    obj: Obj = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
        "globalDefault": global_default,
    }
    if preemption_policy is not None:
        obj["preemptionPolicy"] = preemption_policy
    return obj


def runtime_class(
    name: str = "gvisor",
    handler: str = "runsc",
    *,
    overhead: Mapping[str, str] | None = None,
    node_selector: Mapping[str, str] | None = None,
    tolerations: Sequence[Mapping[str, Any]] = (),
) -> Obj:
    """A node.k8s.io/v1 RuntimeClass (``overhead.podFixed``, ``scheduling``)."""
    obj: Obj = {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": name}}
    obj["handler"] = handler
    if overhead is not None:
        obj["overhead"] = {"podFixed": dict(overhead)}
    if node_selector is not None or tolerations:
        obj["scheduling"] = {}
        if node_selector is not None:
            obj["scheduling"]["nodeSelector"] = dict(node_selector)
        if tolerations:
            obj["scheduling"]["tolerations"] = [dict(t) for t in tolerations]
    return obj


def namespace_with(annotations: Mapping[str, str], name: str = NS) -> Obj:
    """A namespace carrying annotations (PodNodeSelector, PodTolerationRestriction read them)."""
    obj = namespace(name)
    obj["metadata"]["annotations"] = dict(annotations)
    return obj


def base_objects() -> list[Obj]:
    """A namespace that exists with its default service account: what every spawn needs."""
    return [namespace(), service_account()]


def cluster(*objects: Obj, known: Iterable[str] | None = None) -> ClusterView:
    view = ClusterView() if known is None else ClusterView(known)
    for obj in objects:
        view.apply(obj)
    return view


def only(*checks: str, **kwargs: Any) -> Settings:
    """Settings with every check but ``checks`` disabled."""
    return Settings(disabled_checks=frozenset(CHECKS) - set(checks), **kwargs)


def verdict(
    the_pod: Obj,
    objects: Iterable[Obj] = (),
    *,
    checks: Sequence[str] = (),
    settings: Settings | None = None,
    images: Mapping[str, ImageFacts] | None = None,
    new_claims: Sequence[PVCInfo] = (),
    creates_namespace: bool = False,
    view: ClusterView | None = None,
) -> Verdict:
    """``run_all`` for ``the_pod`` over ``objects`` (or ``view``), only ``checks`` enabled."""
    if view is None:
        view = cluster(*objects)
    if settings is None:
        settings = only(*checks) if checks else Settings()
    request = PodRequest(the_pod, claims=tuple(new_claims), creates_namespace=creates_namespace)
    return run_all(request, view, settings, images)


def pairs(v: Verdict) -> list[tuple[str, str]]:
    """(code, severity) of every finding, in order."""
    return [(f.code.value, f.severity.value) for f in v.findings]


def with_code(v: Verdict, code: str) -> list[Finding]:
    return [f for f in v.findings if f.code.value == code]


def pool(name: str = "pool-big", **kwargs: Any) -> NodeInfo:
    """A node-pool template (an autoscaler can add one)."""
    return NodeInfo.from_dict(node(name, **kwargs))
