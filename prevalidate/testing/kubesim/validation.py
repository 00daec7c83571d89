"""Decoding (400), defaulting and field validation (422) of objects sent to kubesim.

Order as in kube-apiserver: decode every quantity (a bad one is a 400 `Pod in version "v1"
cannot be handled as a Pod: …`), apply v1 defaults (a limit with no request gives request :=
limit), and later — after mutating admission — validate fields (422 `Pod "x" is invalid: …`).
Quantities are re-serialised the way the apiserver echoes them (`Quantity.String()`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .fielderrors import (
    DNS1123_LABEL,
    DNS1123_SUBDOMAIN,
    LABEL_MSG,
    SUBDOMAIN_MSG,
    FieldError,
    invalid_value,
    required,
)
from .podspec import pod_spec_errors
from .quantity import QuantityError, parse_json_quantity
from .schema import ShapeError, conform
from .status import ApiError, bad_request, invalid

Obj = dict[str, Any]


# -- decoding --------------------------------------------------------------------------
def _quantity_maps(kind: str, obj: Obj) -> Iterator[dict[str, Any]]:
    """Every map of resource name -> quantity in an object of this kind."""
    spec: Obj = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
    status: Obj = obj["status"] if isinstance(obj.get("status"), dict) else {}
    if kind == "Pod":
        for key in ("initContainers", "containers", "ephemeralContainers"):
            for c in spec.get(key) or []:
                res = c.get("resources") if isinstance(c, dict) else None
                if isinstance(res, dict):
                    yield from (res[w] for w in ("requests", "limits") if isinstance(res.get(w), dict))
        if isinstance(spec.get("overhead"), dict):
            yield spec["overhead"]
    elif kind == "PersistentVolumeClaim":
        res = spec.get("resources") or {}
        yield from (res[w] for w in ("requests", "limits") if isinstance(res.get(w), dict))
    elif kind == "ResourceQuota":
        yield from (
            m for m in (spec.get("hard"), status.get("hard"), status.get("used")) if isinstance(m, dict)
        )
    elif kind == "LimitRange":
        for item in spec.get("limits") or []:
            yield from (
                item[w]
                for w in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")
                if isinstance(item.get(w), dict)
            )
    elif kind == "Node":
        yield from (m for m in (status.get("capacity"), status.get("allocatable")) if isinstance(m, dict))
    elif kind == "RuntimeClass":
        overhead = obj.get("overhead")
        if isinstance(overhead, dict) and isinstance(overhead.get("podFixed"), dict):
            yield overhead["podFixed"]


def decode(kind: str, obj: Any) -> Obj:
    """400 BadRequest for what Go's decoder refuses; quantities normalised in place."""
    prefix = f'{kind} in version "v1" cannot be handled as a {kind}: '
    try:
        obj = conform(kind, obj)
    except ShapeError as exc:
        raise bad_request(prefix + str(exc)) from None
    for mapping in list(_quantity_maps(kind, obj)):
        for name, raw in list(mapping.items()):
            try:
                mapping[name] = str(parse_json_quantity(raw))
            except QuantityError as exc:
                raise bad_request(prefix + str(exc)) from None
    return obj


# -- defaulting ------------------------------------------------------------------------
def default_pod(pod: Obj) -> None:
    """SetDefaults_Pod and friends, as they matter for scheduling, quota and the client."""
    spec = pod.setdefault("spec", {})
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            res = c.setdefault("resources", {})
            limits = res.get("limits") or {}
            if limits:
                requests = res.setdefault("requests", {})
                for name, value in limits.items():
                    requests.setdefault(name, value)
            image = c.get("image") or ""
            tagged = ":" in image.rsplit("/", 1)[-1] or "@" in image
            latest = not tagged or image.endswith(":latest")
            c.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            for port in c.get("ports") or []:
                port.setdefault("protocol", "TCP")
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    # DefaultTolerationSeconds admission (plugin/pkg/admission/defaulttolerationseconds):
    # a toleration with this key or no key, and effect NoExecute or none, already covers it.
    tolerations = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(
            t.get("key") in (key, "", None) and t.get("effect") in ("NoExecute", "", None)
            for t in tolerations
        ):
            tolerations.append(
                {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            )


# -- validation ------------------------------------------------------------------------
def _name_errors(obj: Obj, label: bool = False) -> list[FieldError]:
    name = obj["metadata"].get("name") or ""
    if not name:
        return [required("metadata.name", "name or generateName is required")]
    pattern, msg = (DNS1123_LABEL, LABEL_MSG) if label else (DNS1123_SUBDOMAIN, SUBDOMAIN_MSG)
    if len(name) > (63 if label else 253) or not pattern.match(name):
        return [invalid_value("metadata.name", name, msg)]
    return []


def validate_pod(pod: Obj) -> None:
    errors = _name_errors(pod) + pod_spec_errors(pod.get("spec") or {})
    if errors:
        raise invalid("Pod", pod["metadata"].get("name") or "", errors)


def validate_pvc(pvc: Obj) -> None:
    errors = _name_errors(pvc)
    spec = pvc.get("spec") or {}
    if not spec.get("accessModes"):
        errors.append(required("spec.accessModes"))
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if storage is None:
        errors.append(required("spec.resources[storage]"))
    elif parse_json_quantity(storage).value <= 0:
        errors.append(invalid_value("spec.resources[storage]", str(storage), "must be greater than zero"))
    if errors:
        raise invalid("PersistentVolumeClaim", pvc["metadata"].get("name") or "", errors)


def validate_generic(kind: str, obj: Obj) -> None:
    errors = _name_errors(obj, label=kind in ("Namespace", "Service"))
    if kind == "RuntimeClass" and not obj.get("handler"):  # ValidateRuntimeClass
        errors.append(required("handler"))
    if errors:
        raise invalid(kind, obj["metadata"].get("name") or "", errors)


def check(kind: str, obj: Obj) -> None:
    """Field validation for `kind`; raises ApiError 422."""
    if kind == "Pod":
        validate_pod(obj)
    elif kind == "PersistentVolumeClaim":
        validate_pvc(obj)
    else:
        validate_generic(kind, obj)


__all__ = ["ApiError", "check", "decode", "default_pod"]


NODE_INFO_DEFAULTS = {
    "architecture": "amd64",
    "bootID": "kubesim",
    "containerRuntimeVersion": "containerd://1.7.0",
    "kernelVersion": "6.1.0",
    "kubeProxyVersion": "v1.31.0",
    "kubeletVersion": "v1.31.0",
    "machineID": "kubesim",
    "operatingSystem": "linux",
    "osImage": "kubesim",
    "systemUUID": "kubesim",
}


def default_node(node: Obj) -> None:
    """What a registered kubelet reports, so typed clients can deserialise any node we serve."""
    status = node.setdefault("status", {})
    labels = node.setdefault("metadata", {}).setdefault("labels", {})
    info = status.setdefault("nodeInfo", {})
    info.setdefault("architecture", labels.get("kubernetes.io/arch", "amd64"))
    info.setdefault("operatingSystem", labels.get("kubernetes.io/os", "linux"))
    for key, value in NODE_INFO_DEFAULTS.items():
        info.setdefault(key, value)
    labels.setdefault("kubernetes.io/arch", info["architecture"])
    labels.setdefault("kubernetes.io/os", info["operatingSystem"])
    labels.setdefault("kubernetes.io/hostname", node["metadata"].get("name", ""))
    if "allocatable" in status:
        status.setdefault("capacity", dict(status["allocatable"]))
    status.setdefault(
        "conditions",
        [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
            }
        ],
    )
