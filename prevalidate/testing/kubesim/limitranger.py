"""The LimitRanger admission plugin: defaults (mutating) and min/max/ratio checks (validating).

Written from plugin/pkg/admission/limitranger/admission.go: LimitRange objects are defaulted
when stored (default := max, defaultRequest := default, then := min); a pod gets missing
limits/requests from `default`/`defaultRequest` and the `kubernetes.io/limit-ranger`
annotation; validation aggregates every violation of the first failing LimitRange.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .podresources import Resources, container_resources
from .quantity import Quantity, parse_json_quantity

Obj = dict[str, Any]
ANNOTATION = "kubernetes.io/limit-ranger"


def default_limitrange(lr: Obj) -> None:
    """LimitRange defaulting for Container items (SetDefaults_LimitRangeItem)."""
    for item in (lr.get("spec") or {}).get("limits") or []:
        if item.get("type") != "Container":
            continue
        default = item.setdefault("default", {})
        for k, v in (item.get("max") or {}).items():
            default.setdefault(k, v)
        request = item.setdefault("defaultRequest", {})
        for k, v in default.items():
            request.setdefault(k, v)
        for k, v in (item.get("min") or {}).items():
            request.setdefault(k, v)
        if not default:
            item.pop("default")
        if not request:
            item.pop("defaultRequest")


def apply_defaults(pod: Obj, limitranges: Iterable[Obj]) -> None:
    """Mutating phase: fill missing container limits/requests, record the annotation."""
    notes: list[str] = []
    spec = pod.get("spec") or {}
    for lr in limitranges:
        for item in (lr.get("spec") or {}).get("limits") or []:
            if item.get("type") != "Container":
                continue
            default_limits = item.get("default") or {}
            default_requests = item.get("defaultRequest") or {}
            for key, label in (("containers", "container"), ("initContainers", "init container")):
                for c in spec.get(key) or []:
                    res = c.setdefault("resources", {})
                    limits = res.setdefault("limits", {})
                    requests = res.setdefault("requests", {})
                    set_limits = sorted(k for k in default_limits if k not in limits)
                    set_requests = sorted(k for k in default_requests if k not in requests)
                    for k in set_limits:
                        limits[k] = default_limits[k]
                    for k in set_requests:
                        requests[k] = default_requests[k]
                    if set_requests:
                        notes.append(f"{', '.join(set_requests)} request for {label} {c.get('name')}")
                    if set_limits:
                        notes.append(f"{', '.join(set_limits)} limit for {label} {c.get('name')}")
                    if not limits:
                        res.pop("limits")
                    if not requests:
                        res.pop("requests")
    if notes:
        annotations = pod.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


def _min(kind: str, name: str, enforced: Quantity, requests: Resources, limits: Resources) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    if req is None:
        return f"minimum {name} usage per {kind} is {enforced}.  No request is specified"
    if req.value < enforced.value:
        return f"minimum {name} usage per {kind} is {enforced}, but request is {req}"
    if lim is not None and lim.value < enforced.value:
        return f"minimum {name} usage per {kind} is {enforced}, but limit is {lim}"
    return None


def _max(kind: str, name: str, enforced: Quantity, requests: Resources, limits: Resources) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    if lim is None:
        return f"maximum {name} usage per {kind} is {enforced}.  No limit is specified"
    if lim.value > enforced.value:
        return f"maximum {name} usage per {kind} is {enforced}, but limit is {lim}"
    if req is not None and req.value > enforced.value:
        return f"maximum {name} usage per {kind} is {enforced}, but request is {req}"
    return None


def _ratio(kind: str, name: str, enforced: Quantity, requests: Resources, limits: Resources) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    prefix = f"{name} max limit to request ratio per {kind} is {enforced}"
    if req is None or req.value == 0:
        return f"{prefix}, but no request is specified or request is 0"
    if lim is None or lim.value == 0:
        return f"{prefix}, but no limit is specified or limit is 0"
    observed = lim.value / req.value
    if observed > enforced.value:
        return f"{prefix}, but provided ratio is {float(observed):f}"
    return None


def _check_item(kind: str, item: Obj, requests: Resources, limits: Resources) -> list[str]:
    errors = []
    for field, check in (("min", _min), ("max", _max), ("maxLimitRequestRatio", _ratio)):
        for name in sorted(item.get(field) or {}):
            enforced = parse_json_quantity(item[field][name])
            message = check(kind, name, enforced, requests, limits)
            if message:
                errors.append(message)
    return errors


def _pod_totals(pod: Obj, which: str) -> Resources:
    """Pod totals for `type: Pod` items: sum of containers vs max of init containers, no overhead."""
    spec = pod.get("spec") or {}
    total: Resources = {}
    for c in spec.get("containers") or []:
        for k, q in container_resources(c, which).items():
            total[k] = total[k] + q if k in total else q
    for c in spec.get("initContainers") or []:
        for k, q in container_resources(c, which).items():
            if k not in total or q.value > total[k].value:
                total[k] = q
    return total


def validate_pod(pod: Obj, limitranges: Iterable[Obj]) -> str | None:
    """The aggregated error text of the first failing LimitRange, or None."""
    spec = pod.get("spec") or {}
    for lr in limitranges:
        errors: list[str] = []
        for item in (lr.get("spec") or {}).get("limits") or []:
            if item.get("type") == "Container":
                for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
                    errors += _check_item(
                        "Container",
                        item,
                        container_resources(c, "requests"),
                        container_resources(c, "limits"),
                    )
            elif item.get("type") == "Pod":
                errors += _check_item("Pod", item, _pod_totals(pod, "requests"), _pod_totals(pod, "limits"))
        if errors:
            return aggregate(errors)
    return None


def validate_pvc(pvc: Obj, limitranges: Iterable[Obj]) -> str | None:
    raw = ((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}
    requests = {k: parse_json_quantity(v) for k, v in raw.items()}
    for lr in limitranges:
        errors: list[str] = []
        for item in (lr.get("spec") or {}).get("limits") or []:
            if item.get("type") != "PersistentVolumeClaim":
                continue
            for name in sorted(item.get("min") or {}):
                message = _min(
                    "PersistentVolumeClaim", name, parse_json_quantity(item["min"][name]), requests, {}
                )
                if message:
                    errors.append(message)
            for name in sorted(item.get("max") or {}):
                enforced = parse_json_quantity(item["max"][name])
                req = requests.get(name)
                if req is None:
                    errors.append(
                        f"maximum {name} usage per PersistentVolumeClaim is {enforced}."
                        "  No request is specified"
                    )
                elif req.value > enforced.value:
                    errors.append(
                        f"maximum {name} usage per PersistentVolumeClaim is {enforced}, but request is {req}"
                    )
        if errors:
            return aggregate(errors)
    return None


def aggregate(errors: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one text, or `[a, b]` with duplicates collapsed."""
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
