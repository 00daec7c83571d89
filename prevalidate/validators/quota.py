"""ResourceQuota admission, as kube-apiserver's quota plugin decides it
(staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota, with the evaluators of
pkg/quota/v1/evaluator/core).

Pure, no I/O here. A quota applies to the pod when one of its hard resources is one the pod
evaluator tracks and every scope matches; then the pod's usage (pods.go, Usage) added to
``status.used`` must stay within ``hard``, and the legacy "must specify" rule (every container
sets what a cpu/memory quota tracks) applies. PVCs the spawner is about to create are charged
to PVC quotas the same way (persistent_volume_claims.go).

Only what the resourcequota controller has copied into ``status.hard`` is enforced (the
admission plugin reads nothing else); a quota, or a resource of it, still waiting for the
controller is reported as ``quota-not-synced`` (info) and never rejects.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ..model.cluster import ClusterView
from ..model.demand import KIND_CONTAINER, SpawnDemand
from ..model.findings import Code, Finding, Severity
from ..model.objects import PVCInfo, QuotaInfo, ScopeRequirement
from ..model.request import PodRequest
from ..model.resources import ResourceList, is_extended, is_hugepages
from .context import CheckInput, skipped

_POD_EXACT = frozenset(
    {
        "count/pods",
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
    }
)
_MUST_SPECIFY = {
    "cpu": ("requests", "cpu"),
    "requests.cpu": ("requests", "cpu"),
    "memory": ("requests", "memory"),
    "requests.memory": ("requests", "memory"),
    "limits.cpu": ("limits", "cpu"),
    "limits.memory": ("limits", "memory"),
}
_STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"


def tracks_pod_resource(name: str) -> bool:
    if name in _POD_EXACT or is_hugepages(name) or name.startswith("requests.hugepages-"):
        return True
    return name.startswith("requests.") and is_extended(name[len("requests.") :])


def _scope_matches(req: ScopeRequirement, demand: SpawnDemand, priority_class: str) -> bool:
    scope = req.scope_name
    if scope == "Terminating":
        return demand.terminating_scope
    if scope == "NotTerminating":
        return not demand.terminating_scope
    if scope == "BestEffort":
        return demand.qos_class == "BestEffort"
    if scope == "NotBestEffort":
        return demand.qos_class != "BestEffort"
    if scope == "CrossNamespacePodAffinity":
        return demand.cross_namespace_affinity
    if scope == "PriorityClass":
        if req.operator == "Exists":
            return bool(priority_class)
        if req.operator == "DoesNotExist":
            return not priority_class
        if req.operator == "In":
            return bool(priority_class) and priority_class in req.values
        if req.operator == "NotIn":
            return not priority_class or priority_class not in req.values
    return False  # an unknown scope matches nothing: never enforce what we do not understand


def pod_usage(demand: SpawnDemand) -> ResourceList:
    """pods.go Usage: what creating this pod charges (a new pod is never terminal)."""
    usage: ResourceList = {"count/pods": Decimal(1), "pods": Decimal(1)}
    for base in ("cpu", "memory", "ephemeral-storage"):
        if base in demand.requests:
            usage[base] = usage[f"requests.{base}"] = demand.requests[base]
        if base in demand.limits:
            usage[f"limits.{base}"] = demand.limits[base]
    for name, value in demand.requests.items():
        if is_hugepages(name):
            usage[name] = usage[f"requests.{name}"] = value
        elif is_extended(name):
            usage[f"requests.{name}"] = value
    return {k: v for k, v in usage.items() if v != 0}


def claim_usage(claim: PVCInfo, default_class: str | None) -> ResourceList:
    """persistent_volume_claims.go Usage: one claim, its storage rounded up to whole bytes,
    per class too."""
    storage = Decimal(math.ceil(claim.storage_request)) if claim.storage_request else Decimal(0)
    usage: ResourceList = {"count/persistentvolumeclaims": Decimal(1), "persistentvolumeclaims": Decimal(1)}
    if storage:
        usage["requests.storage"] = storage
    storage_class = claim.storage_class if claim.storage_class is not None else default_class
    if storage_class:
        usage[f"{storage_class}{_STORAGE_CLASS_SUFFIX}persistentvolumeclaims"] = Decimal(1)
        if storage:
            usage[f"{storage_class}{_STORAGE_CLASS_SUFFIX}requests.storage"] = storage
    return usage


def new_claims(request: PodRequest, cluster: ClusterView) -> tuple[PVCInfo, ...]:
    """The request's claims the spawner will really create, so the ones charged to PVC quotas:
    not one that already exists (KubeSpawner's ``_make_create_pvc_request`` takes a 409, or a
    quota 403 for a claim that exists, as "reuse it"), and none when PVCs cannot be read (an
    unknown must never add to a quota sum and reject a valid spawn)."""
    if not request.claims or not cluster.knows("PersistentVolumeClaim", request.namespace):
        return ()
    existing = cluster.pvcs_in(request.namespace)
    return tuple(claim for claim in request.claims if claim.name not in existing)


def _exceeded(quota: QuotaInfo, usage: ResourceList, subject_kind: str) -> list[Finding]:
    """One finding per resource the quota limits that this usage would push over ``hard``."""
    requested = {k: v for k, v in usage.items() if k in quota.hard}
    findings = []
    for resource in sorted(requested):
        used = quota.used.get(resource, Decimal(0))
        hard = quota.hard[resource]
        if used + requested[resource] > hard:
            findings.append(
                Finding(
                    Code.QUOTA_EXCEEDED,
                    Severity.ERROR,
                    subject=resource,
                    facts={
                        "quota": quota.name,
                        "resource": resource,
                        "requested": requested[resource],
                        "used": used,
                        "hard": hard,
                        "available": max(hard - used, Decimal(0)),
                        "object": subject_kind,
                    },
                )
            )
    return findings


# KubeSpawner's make_pod names the server's own container "notebook", and only its resources
# follow the user's choices (cpu_limit, mem_guarantee ... of a profile). Every other container
# (init_containers such as z2jh's network-tools "block-cloud-metadata", extra_containers,
# sidecars) is written by the administrator in the hub's configuration.
NOTEBOOK_CONTAINER = "notebook"


def user_container(demand: SpawnDemand) -> str:
    """The container whose resources the user chooses: KubeSpawner's ``notebook``, else the
    pod's first regular container (a pod not made by KubeSpawner)."""
    names = [c.name for c in demand.containers if c.kind == KIND_CONTAINER]
    if NOTEBOOK_CONTAINER in names:
        return NOTEBOOK_CONTAINER
    return names[0] if names else ""


def _must_specify(quota: QuotaInfo, demand: SpawnDemand) -> list[Finding]:
    if demand.pod_requests_explicit:
        return []
    findings = []
    users = user_container(demand)
    for resource in sorted(set(quota.hard) & set(_MUST_SPECIFY)):
        attr, base = _MUST_SPECIFY[resource]
        lacking = [c for c in demand.containers if base not in getattr(c, attr)]
        if lacking:
            findings.append(
                Finding(
                    Code.QUOTA_MUST_SPECIFY,
                    Severity.ERROR,
                    subject=resource,
                    facts={
                        "quota": quota.name,
                        "resource": resource,
                        "containers": sorted(c.name for c in lacking),
                        "field": f"{attr}.{base}",
                        # who can fix it: the user for their server's container, the
                        # administrator for every container the hub's configuration adds
                        "user_container": users if any(c.name == users for c in lacking) else "",
                        "admin_containers": {c.name: c.kind for c in lacking if c.name != users},
                    },
                )
            )
    return findings


def _not_synced(quota: QuotaInfo, resources: list[str], subject_kind: str) -> Finding:
    """Info: resources of an applicable quota that the apiserver does not enforce yet."""
    return Finding(
        Code.QUOTA_NOT_SYNCED,
        Severity.INFO,
        subject=quota.name,
        facts={
            "quota": quota.name,
            "resources": resources,
            "whole_quota": not quota.hard,
            "object": subject_kind,
        },
    )


def _claims_total(claims: tuple[PVCInfo, ...], default_class: str | None) -> ResourceList:
    total: ResourceList = {}
    for claim in claims:
        for key, value in claim_usage(claim, default_class).items():
            total[key] = total.get(key, Decimal(0)) + value
    return total


def check(ctx: CheckInput) -> list[Finding]:
    if not ctx.cluster.knows("ResourceQuota", ctx.demand.namespace):
        return [skipped("quota", "ResourceQuota")]
    demand = ctx.demand
    # The Priority admission plugin fills the global default class before quota sees the pod.
    priority_class = demand.priority_class or (ctx.cluster.global_default_priority_class() or "")
    usage = pod_usage(demand)
    claims_total = _claims_total(ctx.new_claims, ctx.cluster.default_storage_class())
    findings: list[Finding] = []
    # Without the PriorityClass list we cannot know the class a class-less pod will get.
    class_unknown = not priority_class and not ctx.cluster.knows("PriorityClass")
    for quota in ctx.cluster.quotas_in(demand.namespace):
        if class_unknown and any(s.scope_name == "PriorityClass" for s in quota.scopes):
            findings.append(skipped(f"quota {quota.name}", "PriorityClass"))
            continue
        scopes_match = all(_scope_matches(s, demand, priority_class) for s in quota.scopes)
        if scopes_match and any(tracks_pod_resource(r) for r in quota.hard):
            findings += _must_specify(quota, demand)
            findings += _exceeded(quota, usage, "pod")
        waiting = [r for r in quota.unsynced if r in usage or r in _MUST_SPECIFY]
        if scopes_match and waiting:
            findings.append(_not_synced(quota, waiting, "pod"))
        if ctx.new_claims and not quota.scopes:  # PVC quotas know only a VolumeAttributesClass scope
            findings += _exceeded(quota, claims_total, "persistentvolumeclaim")
            waiting = [r for r in quota.unsynced if r in claims_total]
            if waiting:
                findings.append(_not_synced(quota, waiting, "persistentvolumeclaim"))
    return findings
