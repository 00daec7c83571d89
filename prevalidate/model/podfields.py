"""The apiserver's field validation of a pod (422 Invalid), for the fields a spawn can get wrong.

Pure, no I/O here. kube-apiserver validates a pod before any admission plugin runs
(reference §0 step 4, pkg/apis/core/validation): a volumeMount must name a volume of the pod,
mount paths are unique per container, a subPath stays inside its volume, a container resource
name must be a standard one or a fully qualified extended resource, names are RFC 1123 labels,
and so on. Each rule here is a rule of that file with the same field path and reason text, and
nothing stricter: a value Kubernetes accepts must pass. Each problem is an ``input-invalid``
finding whose ``rule`` fact tells ``messages`` which sentence to write.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .findings import Code, Finding, Severity

STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


def field_invalid(rule: str, where: str, value: Any, reason: str, **facts: Any) -> Finding:
    return Finding(
        Code.INPUT_INVALID,
        Severity.ERROR,
        subject=where,
        facts={"field": where, "value": str(value), "reason": reason, "rule": rule, **facts},
    )


# ---- names -------------------------------------------------------------------------------


def _label_problem(value: str) -> str | None:
    """IsDNS1123Label."""
    if len(value) > 63:
        return "must be no more than 63 characters"
    if _DNS1123_LABEL.fullmatch(value):
        return None
    return "must not contain dots" if _DNS1123_SUBDOMAIN.fullmatch(value) else LABEL_MSG


def _subdomain_problem(value: str) -> str | None:
    """IsDNS1123Subdomain."""
    if len(value) > 253:
        return "must be no more than 253 characters"
    return None if _DNS1123_SUBDOMAIN.fullmatch(value) else SUBDOMAIN_MSG


def _qualified_name_problem(value: str) -> str | None:
    """IsQualifiedName: an optional DNS subdomain prefix and '/', then a name of at most 63."""
    parts = value.split("/")
    if len(parts) > 2:
        return "a qualified name " + _QUALIFIED_MSG + " with an optional DNS subdomain prefix and '/'"
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            return "prefix part must be non-empty"
        problem = _subdomain_problem(parts[0])
        if problem:
            return "prefix part " + problem
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    return None if _QUALIFIED_NAME.fullmatch(name) else "name part " + _QUALIFIED_MSG


def container_resource_name_problem(name: str) -> str | None:
    """validateContainerResourceName: the reason the apiserver refuses ``name`` as a key of a
    container's requests or limits, or None when it accepts it."""
    problem = _qualified_name_problem(name)
    if "/" not in name:
        if name in STANDARD_CONTAINER_RESOURCES or name.startswith("hugepages-"):
            return problem
        return "must be a standard resource for containers"
    if problem:
        return problem
    if "kubernetes.io/" in name:  # IsNativeResource: accepted as it is
        return None
    if name.startswith("requests.") or _qualified_name_problem("requests." + name):
        return "doesn't follow extended resource name standard"  # not IsExtendedResourceName
    return None


# ---- the pod ------------------------------------------------------------------------------


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _volume_problems(volumes: list[Mapping[str, Any]]) -> list[Finding]:
    problems: list[Finding] = []
    seen: set[str] = set()
    for index, volume in enumerate(volumes):
        where, name = f"spec.volumes[{index}].name", _str(volume.get("name"))
        if not name:
            problems.append(field_invalid("volume-name", where, "", "Required value"))
            continue
        label = _label_problem(name)
        if label:
            problems.append(field_invalid("volume-name", where, name, label))
        elif name in seen:
            problems.append(field_invalid("volume-duplicate", where, name, f'Duplicate value: "{name}"'))
        seen.add(name)
    return problems


def _path_problems(path: str, where: str) -> list[Finding]:
    """validateLocalDescendingPath for a subPath."""
    problems = []
    if path.startswith("/"):
        problems.append(field_invalid("sub-path", where, path, "must be a relative path"))
    if ".." in path.split("/"):
        problems.append(field_invalid("sub-path", where, path, "must not contain '..'"))
    return problems


def _mount_problems(
    container: Mapping[str, Any], path: str, volume_names: list[str], cname: str
) -> list[Finding]:
    problems: list[Finding] = []
    mount_paths: set[str] = set()
    for index, mount in enumerate(container.get("volumeMounts") or ()):
        where = f"{path}.volumeMounts[{index}]"
        name, mount_path = _str(mount.get("name")), _str(mount.get("mountPath"))
        if not name:
            problems.append(field_invalid("mount-name", f"{where}.name", "", "Required value"))
        if name not in volume_names:
            problems.append(
                field_invalid(
                    "mount-volume-not-found",
                    f"{where}.name",
                    name,
                    f'Not found: "{name}"',
                    container=cname,
                    volumes=list(volume_names),
                )
            )
        if not mount_path:
            problems.append(field_invalid("mount-path", f"{where}.mountPath", "", "Required value"))
        elif mount_path in mount_paths:
            problems.append(
                field_invalid(
                    "mount-path-duplicate",
                    f"{where}.mountPath",
                    mount_path,
                    "must be unique",
                    container=cname,
                )
            )
        mount_paths.add(mount_path)
        sub_path = _str(mount.get("subPath"))
        if sub_path:
            problems += _path_problems(sub_path, f"{where}.subPath")
    return problems


def _container_problems(spec: Mapping[str, Any], volume_names: list[str]) -> list[Finding]:
    problems: list[Finding] = []
    if not spec.get("containers"):
        problems.append(field_invalid("containers", "spec.containers", "", "Required value"))
    regular = [_str(c.get("name")) for c in spec.get("containers") or ()]
    for group in ("initContainers", "containers"):
        # An init container may not reuse any container's name; a container, an earlier one's.
        seen: set[str] = set(regular) if group == "initContainers" else set()
        for index, container in enumerate(spec.get(group) or ()):
            path = f"spec.{group}[{index}]"
            name = _str(container.get("name"))
            label = _label_problem(name) if name else "Required value"
            if label:
                problems.append(field_invalid("container-name", f"{path}.name", name, label))
            elif name in seen:
                problems.append(
                    field_invalid("container-duplicate", f"{path}.name", name, f'Duplicate value: "{name}"')
                )
            seen.add(name)
            if not _str(container.get("image")):
                problems.append(
                    field_invalid("image-required", f"{path}.image", "", "Required value", container=name)
                )
            problems += _mount_problems(container, path, volume_names, name)
    return problems


# ---- labels and scheduling (ValidateLabels, ValidateTolerations, ValidateNodeSelector) ---------

_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
    "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")


def _label_value_problem(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    return None if _LABEL_VALUE.fullmatch(value) else _LABEL_VALUE_MSG


def _supported(value: str, allowed: tuple[str, ...]) -> str:
    return f'Unsupported value: "{value}": supported values: ' + ", ".join(f'"{a}"' for a in allowed)


def _label_problems(labels: Any, where: str, rule: str) -> list[Finding]:
    """ValidateLabels: qualified-name keys, label values (both reported at the map's path)."""
    problems: list[Finding] = []
    for key, value in labels.items() if isinstance(labels, Mapping) else ():
        key_problem = _qualified_name_problem(str(key))
        if key_problem:
            problems.append(field_invalid(rule, where, key, key_problem))
        value_problem = _label_value_problem(_str(value))
        if value_problem:
            problems.append(field_invalid(rule, where, value, value_problem, key=str(key)))
    return problems


def _toleration_problems(tolerations: list[Mapping[str, Any]]) -> list[Finding]:
    problems: list[Finding] = []
    for index, toleration in enumerate(tolerations):
        path = f"spec.tolerations[{index}]"
        key, operator = _str(toleration.get("key")), _str(toleration.get("operator"))
        value, effect = _str(toleration.get("value")), _str(toleration.get("effect"))
        if key and _qualified_name_problem(key):
            problems.append(
                field_invalid("toleration", f"{path}.key", key, str(_qualified_name_problem(key)))
            )
        if not key and operator != "Exists":
            reason = (
                'operator must be Exists when `key` is empty, which means "match all values and all keys"'
            )
            problems.append(field_invalid("toleration", f"{path}.operator", operator, reason))
        if toleration.get("tolerationSeconds") is not None and effect != "NoExecute":
            reason = "effect must be 'NoExecute' when `tolerationSeconds` is set"
            problems.append(field_invalid("toleration", f"{path}.effect", effect, reason))
        if operator in ("Equal", ""):
            if _label_value_problem(value):
                problems.append(
                    field_invalid("toleration", f"{path}.operator", value, str(_label_value_problem(value)))
                )
        elif operator == "Exists":
            if value:
                reason = "value must be empty when `operator` is 'Exists'"
                problems.append(field_invalid("toleration", f"{path}.operator", value, reason))
        elif operator not in ("Gt", "Lt"):  # newer clusters may allow numeric comparisons: never stricter
            problems.append(
                field_invalid(
                    "toleration", f"{path}.operator", operator, _supported(operator, ("Equal", "Exists"))
                )
            )
        if effect and effect not in _EFFECTS:
            problems.append(
                field_invalid("toleration", f"{path}.effect", effect, _supported(effect, _EFFECTS))
            )
    return problems


def _requirement_problems(requirements: Any, path: str) -> list[Finding]:
    """ValidateNodeSelectorRequirement for matchExpressions."""
    problems: list[Finding] = []
    for index, requirement in enumerate(requirements if isinstance(requirements, list) else ()):
        if not isinstance(requirement, Mapping):
            continue
        where = f"{path}[{index}]"
        operator, key = _str(requirement.get("operator")), _str(requirement.get("key"))
        values = requirement.get("values") or []
        count = len(values) if isinstance(values, list) else 1
        reason = None
        if operator in ("In", "NotIn") and count == 0:
            reason = "Required value: must be specified when `operator` is 'In' or 'NotIn'"
        elif operator in ("Exists", "DoesNotExist") and count > 0:
            reason = "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        elif operator in ("Gt", "Lt") and count != 1:
            reason = "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"
        if reason:
            problems.append(field_invalid("node-affinity", f"{where}.values", "", reason))
        if operator not in _SELECTOR_OPERATORS:
            problems.append(
                field_invalid("node-affinity", f"{where}.operator", operator, "not a valid selector operator")
            )
        if _qualified_name_problem(key):
            problems.append(
                field_invalid("node-affinity", f"{where}.key", key, str(_qualified_name_problem(key)))
            )
    return problems


def _affinity_problems(affinity: Any) -> list[Finding]:
    node_affinity = affinity.get("nodeAffinity") if isinstance(affinity, Mapping) else None
    if not isinstance(node_affinity, Mapping):
        return []
    problems: list[Finding] = []
    base = "spec.affinity.nodeAffinity"
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required, Mapping):
        path = f"{base}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
        terms = required.get("nodeSelectorTerms")
        if not terms:
            problems.append(
                field_invalid(
                    "node-affinity", path, "", "Required value: must have at least one node selector term"
                )
            )
        for index, term in enumerate(terms if isinstance(terms, list) else ()):
            if isinstance(term, Mapping):
                problems += _requirement_problems(
                    term.get("matchExpressions"), f"{path}[{index}].matchExpressions"
                )
    preferred = node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
    for index, item in enumerate(preferred if isinstance(preferred, list) else ()):
        if not isinstance(item, Mapping):
            continue
        path = f"{base}.preferredDuringSchedulingIgnoredDuringExecution[{index}]"
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 1 <= weight <= 100:
            problems.append(
                field_invalid("node-affinity", f"{path}.weight", weight, "must be in the range 1-100")
            )
        preference = item.get("preference")
        if isinstance(preference, Mapping):
            problems += _requirement_problems(
                preference.get("matchExpressions"), f"{path}.preference.matchExpressions"
            )
    return problems


def _pull_policy_problems(spec: Mapping[str, Any]) -> list[Finding]:
    problems = []
    for group in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(group) or ()):
            policy = _str(container.get("imagePullPolicy"))
            if policy and policy not in ("Always", "IfNotPresent", "Never"):  # "" is defaulted
                reason = _supported(policy, ("Always", "IfNotPresent", "Never"))
                problems.append(
                    field_invalid("pull-policy", f"spec.{group}[{index}].imagePullPolicy", policy, reason)
                )
    return problems


def field_problems(pod: Mapping[str, Any]) -> list[Finding]:
    """Every 422 the apiserver would give ``pod`` for the fields covered here (resource names
    are checked where requests and limits are parsed, in ``demand``)."""
    meta = pod.get("metadata") if isinstance(pod.get("metadata"), Mapping) else {}
    spec = pod.get("spec") if isinstance(pod.get("spec"), Mapping) else {}
    assert isinstance(meta, Mapping) and isinstance(spec, Mapping)
    problems: list[Finding] = []
    name = _str(meta.get("name"))
    if name and _subdomain_problem(name):
        problems.append(field_invalid("pod-name", "metadata.name", name, str(_subdomain_problem(name))))
    volumes = list(spec.get("volumes") or ())
    problems += _volume_problems(volumes)
    volume_names = [n for n in (_str(v.get("name")) for v in volumes) if n]
    problems += _container_problems(spec, volume_names)
    problems += _pull_policy_problems(spec)
    problems += _label_problems(meta.get("labels"), "metadata.labels", "label")
    problems += _label_problems(spec.get("nodeSelector"), "spec.nodeSelector", "node-selector")
    problems += _toleration_problems(list(spec.get("tolerations") or ()))
    problems += _affinity_problems(spec.get("affinity"))
    return problems
