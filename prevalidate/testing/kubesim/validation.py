"""Decoding (400), defaulting and field validation (422) of objects sent to kubesim.

Order as in kube-apiserver: decode every quantity (a bad one is a 400 `Pod in version "v1"
cannot be handled as a Pod: …`), apply v1 defaults (a limit with no request gives request :=
limit), and later — after mutating admission — validate fields (422 `Pod "x" is invalid: …`).
Quantities are re-serialised the way the apiserver echoes them (`Quantity.String()`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .quantity import QuantityError, parse_json_quantity
from .schema import ShapeError, conform
from .status import ApiError, bad_request, invalid

Obj = dict[str, Any]
FieldError = tuple[str, str, str]  # (cause reason, field path, full text)

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
    "[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}


def required(path: str, detail: str = "") -> FieldError:
    return ("FieldValueRequired", path, f"{path}: Required value" + (f": {detail}" if detail else ""))


def invalid_value(path: str, value: object, detail: str) -> FieldError:
    shown = f'"{value}"' if isinstance(value, str) else str(value)
    return ("FieldValueInvalid", path, f"{path}: Invalid value: {shown}: {detail}")


def not_found_value(path: str, value: str) -> FieldError:
    return ("FieldValueNotFound", path, f'{path}: Not found: "{value}"')


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
    pattern, msg = (_DNS1123_LABEL, LABEL_MSG) if label else (_DNS1123_SUBDOMAIN, SUBDOMAIN_MSG)
    if len(name) > (63 if label else 253) or not pattern.match(name):
        return [invalid_value("metadata.name", name, msg)]
    return []


def _is_extended(name: str) -> bool:
    return "/" in name and not name.startswith("requests.")


def _resource_errors(path: str, resources: Obj) -> list[FieldError]:
    errors: list[FieldError] = []
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    for which, values in (("limits", limits), ("requests", requests)):
        for name in sorted(values):
            fld = f"{path}.{which}[{name}]"
            if (
                "/" not in name
                and name not in STANDARD_CONTAINER_RESOURCES
                and not name.startswith("hugepages-")
            ):
                errors.append(invalid_value(fld, name, "must be a standard resource for containers"))
                continue
            q = parse_json_quantity(values[name])
            if q.value < 0:
                errors.append(invalid_value(fld, str(q), "must be greater than or equal to 0"))
            if _is_extended(name) and q.value != q.value.to_integral_value():
                errors.append(invalid_value(fld, str(q), "must be an integer"))
    for name in sorted(requests):
        req = parse_json_quantity(requests[name])
        overcommit = not (_is_extended(name) or name.startswith("hugepages-"))
        if name in limits:
            lim = parse_json_quantity(limits[name])
            if req.value != lim.value and not overcommit:
                errors.append(
                    invalid_value(f"{path}.requests", str(req), f"must be equal to {name} limit of {lim}")
                )
            elif req.value > lim.value:
                errors.append(
                    invalid_value(
                        f"{path}.requests", str(req), f"must be less than or equal to {name} limit of {lim}"
                    )
                )
        elif not overcommit:
            errors.append(required(f"{path}.limits", "Limit must be set for non overcommitable resources"))
    return errors


def _container_errors(spec: Obj) -> list[FieldError]:
    errors: list[FieldError] = []
    volume_names = {v.get("name") for v in spec.get("volumes") or []}
    if not spec.get("containers"):
        errors.append(required("spec.containers"))
    seen: set[str] = set()
    for key in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(key) or []):
            path = f"spec.{key}[{i}]"
            name = c.get("name") or ""
            if not name:
                errors.append(required(f"{path}.name"))
            elif not _DNS1123_LABEL.match(name):
                errors.append(invalid_value(f"{path}.name", name, LABEL_MSG))
            elif name in seen:
                errors.append(
                    ("FieldValueDuplicate", f"{path}.name", f'{path}.name: Duplicate value: "{name}"')
                )
            seen.add(name)
            if not (c.get("image") or "").strip():
                errors.append(required(f"{path}.image"))
            for j, mount in enumerate(c.get("volumeMounts") or []):
                if mount.get("name") not in volume_names:
                    errors.append(not_found_value(f"{path}.volumeMounts[{j}].name", str(mount.get("name"))))
            errors.extend(_resource_errors(f"{path}.resources", c.get("resources") or {}))
    return errors


def validate_pod(pod: Obj) -> None:
    errors = _name_errors(pod) + _container_errors(pod.get("spec") or {})
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
