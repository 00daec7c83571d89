"""Pod spec validation (the 422s), in the order and words of kube-apiserver's ValidatePodSpec
(pkg/apis/core/validation/validation.go): volumes, containers (name, image, env, volume
mounts, pull policy, resources), init containers, nodeSelector, affinity, tolerations.

Only the rules a notebook spawn can break are here; each was checked against a real
kube-apiserver v1.37 by tests/kubesim/test_agreement_real.py, which compares the messages.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from .fielderrors import (
    DNS1123_LABEL,
    LABEL_KEY,
    LABEL_MSG,
    FieldError,
    duplicate,
    each_invalid,
    forbidden,
    invalid_value,
    label_errors,
    label_value_errors,
    not_found_value,
    not_supported,
    qualified_name_errors,
    required,
    subdomain_errors,
)
from .quantity import parse_json_quantity

Obj = dict[str, Any]

STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
# helper.IsStandardResourceName (pkg/apis/core/helper): what a name without '/' may be at all.
_STANDARD_RESOURCES = {
    "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers",
    "resourcequotas", "secrets", "persistentvolumeclaims", "configmaps", "storage", "requests.storage",
    "services.nodeports", "services.loadbalancers",
}
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_CONFIG_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                   "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
                   "'[-._a-zA-Z0-9]+')")


# --- resources -----------------------------------------------------------------------------------
def _hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def is_native(name: str) -> bool:
    """helper.IsNativeResource: no domain, or a *kubernetes.io/ one."""
    return "/" not in name or "kubernetes.io/" in name


def is_extended(name: str) -> bool:
    """helper.IsExtendedResourceName: integer-only and never overcommitted."""
    return not is_native(name) and not name.startswith("requests.") and not qualified_name_errors(
        "requests." + name)


def _resource_name_errors(path: str, name: str) -> list[FieldError]:
    """validateContainerResourceName (validateResourceName first)."""
    errors = each_invalid(path, name, qualified_name_errors(name))
    if not errors and "/" not in name and name not in _STANDARD_RESOURCES and not _hugepages(name) \
            and not name.startswith("requests.hugepages-"):
        errors.append(invalid_value(path, name, "must be a standard resource type or fully qualified"))
    if "/" not in name:
        if name not in STANDARD_CONTAINER_RESOURCES and not _hugepages(name):
            errors.append(invalid_value(path, name, "must be a standard resource for containers"))
    elif not is_native(name) and not is_extended(name):
        errors.append(invalid_value(path, name, "doesn't follow extended resource name standard"))
    return errors


def _quantity_errors(path: str, name: str, raw: object) -> list[FieldError]:
    q = parse_json_quantity(raw)
    errors = []
    if q.value < 0:
        errors.append(invalid_value(path, str(q), "must be greater than or equal to 0"))
    if is_extended(name) and q.value != q.value.to_integral_value():
        errors.append(invalid_value(path, str(q), "must be an integer"))
    return errors


def resource_errors(path: str, resources: Obj) -> list[FieldError]:
    """ValidateContainerResourceRequirements: limits, then requests (each compared with its limit)."""
    errors: list[FieldError] = []
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    for name in sorted(limits):
        fld = f"{path}.limits[{name}]"
        errors += _resource_name_errors(fld, name) + _quantity_errors(fld, name, limits[name])
    for name in sorted(requests):
        fld = f"{path}.requests[{name}]"
        errors += _resource_name_errors(fld, name) + _quantity_errors(fld, name, requests[name])
        req = parse_json_quantity(requests[name])
        overcommit = is_native(name) and not _hugepages(name)
        if name in limits:
            lim = parse_json_quantity(limits[name])
            if req.value != lim.value and not overcommit:
                errors.append(
                    invalid_value(f"{path}.requests", str(req), f"must be equal to {name} limit of {lim}"))
            elif req.value > lim.value:
                errors.append(invalid_value(
                    f"{path}.requests", str(req), f"must be less than or equal to {name} limit of {lim}"))
        elif not overcommit:
            errors.append(required(f"{path}.limits", "Limit must be set for non overcommitable resources"))
    return errors


# --- volumes and mounts --------------------------------------------------------------------------
def _volumes(spec: Obj) -> tuple[set[str], list[FieldError]]:
    """ValidateVolumes: the names of the valid volumes (a mount of any other is Not found)."""
    valid: set[str] = set()
    errors: list[FieldError] = []
    for i, volume in enumerate(spec.get("volumes") or []):
        path = f"spec.volumes[{i}]"
        found: list[FieldError] = []
        # (A volume with no source is not an error: v1 defaulting makes it an emptyDir.)
        claim = volume.get("persistentVolumeClaim")
        if isinstance(claim, dict) and not claim.get("claimName"):
            found.append(required(f"{path}.persistentVolumeClaim.claimName"))
        secret = volume.get("secret")
        if isinstance(secret, dict) and not secret.get("secretName"):
            found.append(required(f"{path}.secret.secretName"))
        name = volume.get("name") or ""
        if not name:
            found.append(required(f"{path}.name"))
        else:
            found += each_invalid(f"{path}.name", name, label_errors(name))
        if name in valid:
            found.append(duplicate(f"{path}.name", name))
        if found:
            errors += found
        else:
            valid.add(name)
    return valid, errors


def _mount_errors(path: str, mounts: list[Obj], volumes: set[str]) -> list[FieldError]:
    """ValidateVolumeMounts."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for j, mount in enumerate(mounts):
        at = f"{path}[{j}]"
        name, mount_path = str(mount.get("name") or ""), str(mount.get("mountPath") or "")
        if not name:
            errors.append(required(f"{at}.name"))
        if name not in volumes:
            errors.append(not_found_value(f"{at}.name", name))
        if not mount_path:
            errors.append(required(f"{at}.mountPath"))
        if mount_path in seen:
            errors.append(invalid_value(f"{at}.mountPath", mount_path, "must be unique"))
        seen.add(mount_path)
        sub_path = str(mount.get("subPath") or "")
        if sub_path:  # validateLocalDescendingPath, on the list's path (no index), as Go does
            if posixpath.isabs(sub_path):
                errors.append(invalid_value(f"{path}.subPath", sub_path, "must be a relative path"))
            if ".." in sub_path.split("/"):
                errors.append(invalid_value(f"{path}.subPath", sub_path, "must not contain '..'"))
    return errors


# --- env -----------------------------------------------------------------------------------------
def _key_selector_errors(path: str, ref: Obj) -> list[FieldError]:
    """validateConfigMapKeySelector / validateSecretKeySelector."""
    name, key = str(ref.get("name") or ""), str(ref.get("key") or "")
    errors = each_invalid(f"{path}.name", name, subdomain_errors(name))
    if not key:
        errors.append(required(f"{path}.key"))
    elif len(key) > 253 or not _CONFIG_KEY.match(key):
        errors.append(invalid_value(f"{path}.key", key, _CONFIG_KEY_MSG))
    return errors


def _env_errors(path: str, env: list[Obj]) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, item in enumerate(env):
        at = f"{path}[{i}]"
        if not item.get("name"):
            errors.append(required(f"{at}.name"))
        value_from = item.get("valueFrom")
        if value_from is None:
            continue
        sources = [k for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef",
                               "fileKeyRef") if value_from.get(k) is not None]
        for key in ("configMapKeyRef", "secretKeyRef"):
            if value_from.get(key) is not None:
                errors += _key_selector_errors(f"{at}.valueFrom.{key}", value_from[key])
        if not sources:
            errors.append(invalid_value(
                f"{at}.valueFrom", "", "must specify one of: `fieldRef`, `resourceFieldRef`, "
                "`configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"))
        elif item.get("value"):
            errors.append(invalid_value(f"{at}.valueFrom", "",
                                        "may not be specified when `value` is not empty"))
        elif len(sources) > 1:
            errors.append(invalid_value(f"{at}.valueFrom", "",
                                        "may not have more than one field specified at a time"))
    return errors


# --- containers ----------------------------------------------------------------------------------
def _container_common(path: str, c: Obj, volumes: set[str]) -> list[FieldError]:
    """validateContainerCommon, the rules a spawn can break, in its order."""
    errors: list[FieldError] = []
    name = c.get("name") or ""
    if not name:
        errors.append(required(f"{path}.name"))
    elif not DNS1123_LABEL.match(name) or len(name) > 63:
        errors += each_invalid(f"{path}.name", name, label_errors(name))
    image = c.get("image") or ""
    if image != image.strip():
        errors.append(invalid_value(f"{path}.image", image, "must not have leading or trailing whitespace"))
    errors += _env_errors(f"{path}.env", c.get("env") or [])
    errors += _mount_errors(f"{path}.volumeMounts", c.get("volumeMounts") or [], volumes)
    policy = c.get("imagePullPolicy")
    if policy == "":
        errors.append(required(f"{path}.imagePullPolicy"))
    elif policy not in (None, "Always", "IfNotPresent", "Never"):
        errors.append(not_supported(f"{path}.imagePullPolicy", policy, ("Always", "IfNotPresent", "Never")))
    errors += resource_errors(f"{path}.resources", c.get("resources") or {})
    return errors


def _containers(spec: Obj, volumes: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not spec.get("containers"):
        errors.append(required("spec.containers"))
    names: set[str] = set()
    # validateContainers, then validateInitContainers (whose names may not repeat a container's).
    for key in ("containers", "initContainers"):
        for i, c in enumerate(spec.get(key) or []):
            path = f"spec.{key}[{i}]"
            # Go checks the image first, then validateContainerCommon, then the name's uniqueness
            # (the order a real kube-apiserver v1.37 lists them in).
            if not c.get("image"):
                errors.append(required(f"{path}.image"))
            errors += _container_common(path, c, volumes)
            name = c.get("name") or ""
            if name in names:
                errors.append(duplicate(f"{path}.name", name))
            names.add(name)
    return errors


# --- scheduling fields ---------------------------------------------------------------------------
def _node_selector_errors(selector: Obj) -> list[FieldError]:
    """ValidateLabels on spec.nodeSelector (the path names the map, not the key)."""
    errors: list[FieldError] = []
    for key in sorted(selector):
        value = selector[key] if isinstance(selector[key], str) else ""
        errors += each_invalid("spec.nodeSelector", key, qualified_name_errors(key, LABEL_KEY))
        errors += each_invalid("spec.nodeSelector", value, label_value_errors(value))
    return errors


def _requirement_errors(path: str, req: Obj) -> list[FieldError]:
    """ValidateNodeSelectorRequirement."""
    errors: list[FieldError] = []
    operator, values = req.get("operator"), req.get("values") or []
    if operator in ("In", "NotIn"):
        if not values:
            errors.append(required(f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
    elif operator in ("Exists", "DoesNotExist"):
        if values:
            errors.append(forbidden(f"{path}.values",
                                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    elif operator in ("Gt", "Lt"):
        if len(values) != 1:
            errors.append(required(f"{path}.values",
                                   "must be specified single value when `operator` is 'Lt' or 'Gt'"))
    else:
        errors.append(invalid_value(f"{path}.operator", operator or "", "not a valid selector operator"))
    key = str(req.get("key") or "")
    return errors + each_invalid(f"{path}.key", key, qualified_name_errors(key, LABEL_KEY))


def _term_errors(path: str, term: Obj) -> list[FieldError]:
    errors: list[FieldError] = []
    for j, req in enumerate(term.get("matchExpressions") or []):
        errors += _requirement_errors(f"{path}.matchExpressions[{j}]", req)
    return errors


def _affinity_errors(affinity: Obj) -> list[FieldError]:
    node = affinity.get("nodeAffinity") or {}
    errors: list[FieldError] = []
    path = "spec.affinity.nodeAffinity"
    hard = node.get("requiredDuringSchedulingIgnoredDuringExecution")
    if hard is not None:
        terms_path = f"{path}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
        terms = hard.get("nodeSelectorTerms") or []
        if not terms:
            errors.append(required(terms_path, "must have at least one node selector term"))
        for i, term in enumerate(terms):
            errors += _term_errors(f"{terms_path}[{i}]", term)
    for i, preferred in enumerate(node.get("preferredDuringSchedulingIgnoredDuringExecution") or []):
        at = f"{path}.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
        weight = preferred.get("weight")
        if not isinstance(weight, int) or not 1 <= weight <= 100:
            errors.append(invalid_value(f"{at}.weight", weight, "must be in the range 1-100"))
        errors += _term_errors(f"{at}.preference", preferred.get("preference") or {})
    return errors


def _toleration_errors(tolerations: list[Obj]) -> list[FieldError]:
    """ValidateTolerations."""
    errors: list[FieldError] = []
    for i, t in enumerate(tolerations):
        at = f"spec.tolerations[{i}]"
        key, operator, effect = str(t.get("key") or ""), t.get("operator") or "", t.get("effect") or ""
        value = str(t.get("value") or "")
        if key:
            errors += each_invalid(f"{at}.key", key, qualified_name_errors(key, LABEL_KEY))
        if not key and operator != "Exists":
            errors.append(invalid_value(f"{at}.operator", operator, "operator must be Exists when `key` is "
                                        'empty, which means "match all values and all keys"'))
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            errors.append(invalid_value(f"{at}.effect", effect,
                                        "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if operator in ("Equal", ""):
            problems = label_value_errors(value)
            if problems:
                errors.append(invalid_value(f"{at}.operator", value, ";".join(problems)))
        elif operator == "Exists":
            if value:
                errors.append(invalid_value(f"{at}.operator", value,
                                            "value must be empty when `operator` is 'Exists'"))
        else:
            errors.append(not_supported(f"{at}.operator", operator, ("Equal", "Exists")))
        if effect and effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            errors.append(not_supported(f"{at}.effect", effect, _EFFECTS))
    return errors


def pod_spec_errors(spec: Obj) -> list[FieldError]:
    volumes, errors = _volumes(spec)
    errors += _containers(spec, volumes)
    errors += _node_selector_errors(spec.get("nodeSelector") or {})
    errors += _affinity_errors(spec.get("affinity") or {})
    errors += _toleration_errors(spec.get("tolerations") or [])
    return errors


__all__ = ["LABEL_MSG", "STANDARD_CONTAINER_RESOURCES", "is_extended", "is_native", "pod_spec_errors",
           "resource_errors"]
