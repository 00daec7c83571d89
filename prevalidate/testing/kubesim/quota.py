"""ResourceQuota: what a pod or PVC is charged, which quotas apply, and the admission check.

From pkg/quota/v1/evaluator/core/{pods,persistent_volume_claims}.go and the resourcequota
admission controller: constraints ("must specify") are checked per applicable quota before
usage; the first quota that would be exceeded aborts with
`exceeded quota: <name>, requested: …, used: …, limited: …` (keys sorted, `k=v` joined by
`,`, values printed by `Quantity.String()`). `recompute` is the quota controller's full
recalculation of `status.used`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .podresources import Resources, container_resources, pod_limits, pod_requests, qos_class
from .quantity import Quantity, parse_json_quantity

Obj = dict[str, Any]
ONE = Quantity(Decimal(1))
POD_RESOURCES = {
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
MUST_SPECIFY = {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
NATIVE_PREFIXES = ("kubernetes.io/", "requests.", "limits.")


def _is_extended(name: str) -> bool:
    return "/" in name and not name.startswith("kubernetes.io/")


def pod_tracks(name: str) -> bool:
    if name in POD_RESOURCES or name.startswith(("hugepages-", "requests.hugepages-")):
        return True
    return name.startswith("requests.") and _is_extended(name[len("requests.") :])


def pvc_tracks(name: str) -> bool:
    return name in (
        "count/persistentvolumeclaims",
        "persistentvolumeclaims",
        "requests.storage",
    ) or name.endswith(
        (
            ".storageclass.storage.k8s.io/persistentvolumeclaims",
            ".storageclass.storage.k8s.io/requests.storage",
        )
    )


def _is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _compute_usage(requests: Resources, limits: Resources) -> Resources:
    usage: Resources = {}
    for base in ("cpu", "memory", "ephemeral-storage"):
        if base in requests:
            usage[base] = requests[base]
            usage[f"requests.{base}"] = requests[base]
        if base in limits:
            usage[f"limits.{base}"] = limits[base]
    for name, q in requests.items():
        if name.startswith("hugepages-"):
            usage[name] = q
            usage[f"requests.{name}"] = q
        elif _is_extended(name):
            usage[f"requests.{name}"] = q
    return usage


def pod_usage(pod: Obj) -> Resources:
    usage: Resources = {"count/pods": ONE}
    if _is_terminal(pod):
        return usage
    usage["pods"] = ONE
    usage.update(_compute_usage(pod_requests(pod), pod_limits(pod)))
    return usage


def pvc_class(pvc: Obj) -> str | None:
    name = (pvc.get("spec") or {}).get("storageClassName")
    if name is None:
        name = ((pvc.get("metadata") or {}).get("annotations") or {}).get(
            "volume.beta.kubernetes.io/storage-class"
        )
    return name


def pvc_usage(pvc: Obj) -> Resources:
    usage: Resources = {"count/persistentvolumeclaims": ONE, "persistentvolumeclaims": ONE}
    raw = ((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}
    storage = parse_json_quantity(raw["storage"]) if "storage" in raw else None
    klass = pvc_class(pvc)
    if klass:
        usage[f"{klass}.storageclass.storage.k8s.io/persistentvolumeclaims"] = ONE
    if storage is not None:
        whole = Quantity(Decimal(storage.int_value()), storage.fmt)
        usage["requests.storage"] = whole
        if klass:
            usage[f"{klass}.storageclass.storage.k8s.io/requests.storage"] = whole
    return usage


def _scope_selectors(quota: Obj) -> list[tuple[str, str, list[str]]]:
    spec = quota.get("spec") or {}
    selectors: list[tuple[str, str, list[str]]] = [
        (scope, "Exists", []) for scope in spec.get("scopes") or []
    ]
    for expr in (spec.get("scopeSelector") or {}).get("matchExpressions") or []:
        selectors.append(
            (expr.get("scopeName", ""), expr.get("operator", "Exists"), list(expr.get("values") or []))
        )
    return selectors


def _cross_namespace_affinity(pod: Obj) -> bool:
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        rules = affinity.get(kind) or {}
        terms = list(rules.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        terms += [
            t.get("podAffinityTerm") or {}
            for t in rules.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        ]
        if any(t.get("namespaces") or t.get("namespaceSelector") is not None for t in terms):
            return True
    return False


def _scope_matches(scope: str, operator: str, values: list[str], pod: Obj) -> bool:
    spec = pod.get("spec") or {}
    if scope == "Terminating":
        deadline = spec.get("activeDeadlineSeconds")
        return deadline is not None and deadline >= 0
    if scope == "NotTerminating":
        deadline = spec.get("activeDeadlineSeconds")
        return deadline is None or deadline < 0
    if scope == "BestEffort":
        return qos_class(pod) == "BestEffort"
    if scope == "NotBestEffort":
        return qos_class(pod) != "BestEffort"
    if scope == "PriorityClass":
        klass = spec.get("priorityClassName") or ""
        if operator == "Exists":
            return bool(klass)
        if operator == "DoesNotExist":
            return not klass
        if operator == "In":
            return bool(klass) and klass in values
        if operator == "NotIn":
            return not klass or klass not in values
        return False
    if scope == "CrossNamespacePodAffinity":
        return _cross_namespace_affinity(pod)
    return False


def quota_applies_to_pod(quota: Obj, pod: Obj) -> bool:
    hard = (quota.get("status") or {}).get("hard") or {}
    if not any(pod_tracks(k) for k in hard):
        return False
    return all(_scope_matches(s, op, vals, pod) for s, op, vals in _scope_selectors(quota))


def quota_applies_to_pvc(quota: Obj) -> bool:
    hard = (quota.get("status") or {}).get("hard") or {}
    scopes = [s for s, _, _ in _scope_selectors(quota) if s != "VolumeAttributesClass"]
    return any(pvc_tracks(k) for k in hard) and not scopes


def _pretty(resources: Resources) -> str:
    return ",".join(f"{k}={resources[k]}" for k in sorted(resources))


def _missing_constraints(pod: Obj, hard_names: Iterable[str]) -> str | None:
    required = set(hard_names) & MUST_SPECIFY
    missing: dict[str, set[str]] = {}
    spec = pod.get("spec") or {}
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        have = set(_compute_usage(container_resources(c, "requests"), container_resources(c, "limits")))
        for name in required - have:
            missing.setdefault(name, set()).add(c.get("name", ""))
    if not missing:
        return None
    parts = [f"{name} for: {','.join(sorted(missing[name]))}" for name in sorted(missing)]
    return "must specify " + "; ".join(parts)


def _resources(raw: dict[str, Any] | None) -> Resources:
    return {k: parse_json_quantity(v) for k, v in (raw or {}).items()}


def admit(usage: Resources, quotas: list[Obj], pod: Obj | None) -> tuple[str | None, dict[str, Resources]]:
    """(error text or None, {quota name: new used}) for one object being created.

    `pod` is given for pods (constraints and scopes apply); None for PVCs.
    """
    interesting = []
    for quota in sorted(quotas, key=lambda q: q["metadata"]["name"]):
        name = quota["metadata"]["name"]
        status = quota.get("status") or {}
        hard = _resources(status.get("hard"))
        if pod is not None:
            if not quota_applies_to_pod(quota, pod):
                continue
            restricted = [k for k in hard if pod_tracks(k)]
            problem = _missing_constraints(pod, restricted)
            if problem:
                return f"failed quota: {name}: {problem}", {}
        else:
            if not quota_applies_to_pvc(quota):
                continue
            restricted = [k for k in hard if pvc_tracks(k)]
        used_raw = status.get("used") or {}
        if any(k not in used_raw for k in restricted):
            return (f"status unknown for quota: {name}, resources: {','.join(sorted(restricted))}"), {}
        interesting.append((name, hard, _resources(used_raw)))
    delta = {k: q for k, q in usage.items() if q.value != 0}
    updates: dict[str, Resources] = {}
    for name, hard, used in interesting:
        requested = {k: q for k, q in delta.items() if k in hard}
        new_used = dict(used)
        for k, q in requested.items():
            new_used[k] = used[k] + q if k in used else q
        exceeded = sorted(k for k in requested if new_used[k].value > hard[k].value)
        if exceeded:
            return (
                f"exceeded quota: {name}, "
                f"requested: {_pretty({k: requested[k] for k in exceeded})}, "
                f"used: {_pretty({k: used[k] for k in exceeded if k in used})}, "
                f"limited: {_pretty({k: hard[k] for k in exceeded})}"
            ), {}
        updates[name] = new_used
    return None, updates


def recompute(quota: Obj, pods: Iterable[Obj], pvcs: Iterable[Obj]) -> dict[str, str]:
    """The quota controller: `status.used` for every hard resource from what exists now."""
    hard = _resources((quota.get("status") or {}).get("hard") or (quota.get("spec") or {}).get("hard"))
    totals: Resources = {k: Quantity(Decimal(0)) for k in hard}
    charged: list[Resources] = []
    if any(pod_tracks(k) for k in hard):
        charged += [pod_usage(p) for p in pods if _scopes_ok(quota, p)]
    if quota_applies_to_pvc(quota) or any(pvc_tracks(k) for k in hard):
        charged += [pvc_usage(c) for c in pvcs]
    for usage in charged:
        for k, q in usage.items():
            if k in totals:
                totals[k] = totals[k] + q
    return {k: str(q) for k, q in totals.items()}


def _scopes_ok(quota: Obj, pod: Obj) -> bool:
    return all(_scope_matches(s, op, vals, pod) for s, op, vals in _scope_selectors(quota))
