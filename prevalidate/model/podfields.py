"""The apiserver's field validation of a pod (422 Invalid), for the fields a spawn can get wrong.

Pure, no I/O here. kube-apiserver validates a pod before any admission plugin runs
(kubernetes/kubernetes pkg/apis/core/validation/validation.go, ValidatePodCreate): a volumeMount
must name a volume of the pod, mount paths are unique per container, a subPath stays inside its
volume, a container resource name must be a standard one or a fully qualified extended resource,
names are RFC 1123 labels, and so on. Each rule here is a rule of that file with the same field
path and reason text, and nothing stricter: a value Kubernetes accepts must pass. Each problem
is an ``input-invalid`` finding whose ``rule`` fact tells ``messages`` which sentence to write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .findings import Finding
from .jsonshape import objects
from .names import (
    config_key_problem,
    field_invalid,
    label_problem,
    qualified_name_problem,
    subdomain_problem,
    supported,
)
from .names import text as _str
from .schedfields import scheduling_problems

STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def container_resource_name_problem(name: str) -> str | None:
    """validateContainerResourceName: the reason the apiserver refuses ``name`` as a key of a
    container's requests or limits, or None when it accepts it."""
    problem = qualified_name_problem(name)
    if "/" not in name:
        if name in STANDARD_CONTAINER_RESOURCES or name.startswith("hugepages-"):
            return problem
        return "must be a standard resource for containers"
    if problem:
        return problem
    if "kubernetes.io/" in name:  # IsNativeResource: accepted as it is
        return None
    if name.startswith("requests.") or qualified_name_problem("requests." + name):
        return "doesn't follow extended resource name standard"  # not IsExtendedResourceName
    return None


# ---- the pod ------------------------------------------------------------------------------


def _volume_problems(volumes: list[Mapping[str, Any]]) -> list[Finding]:
    problems: list[Finding] = []
    seen: set[str] = set()
    for index, volume in enumerate(volumes):
        where, name = f"spec.volumes[{index}].name", _str(volume.get("name"))
        if not name:
            problems.append(field_invalid("volume-name", where, "", "Required value"))
            continue
        label = label_problem(name)
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
    container: Mapping[str, Any], path: str, volume_names: tuple[str, ...], cname: str
) -> list[Finding]:
    problems: list[Finding] = []
    mount_paths: set[str] = set()
    known = set(volume_names)
    for index, mount in enumerate(objects(container.get("volumeMounts"))):
        where = f"{path}.volumeMounts[{index}]"
        name, mount_path = _str(mount.get("name")), _str(mount.get("mountPath"))
        if not name:
            problems.append(field_invalid("mount-name", f"{where}.name", "", "Required value"))
        if name not in known:
            problems.append(
                field_invalid(
                    "mount-volume-not-found",
                    f"{where}.name",
                    name,
                    f'Not found: "{name}"',
                    container=cname,
                    volumes=volume_names,
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


def _env_ref_problems(container: Mapping[str, Any], path: str) -> list[Finding]:
    """validateSecretKeySelector / validateConfigMapKeySelector for env valueFrom."""
    problems: list[Finding] = []
    for index, env in enumerate(objects(container.get("env"))):
        value_from = env.get("valueFrom")
        for kind in ("secretKeyRef", "configMapKeyRef"):
            ref = value_from.get(kind) if isinstance(value_from, Mapping) else None
            if not isinstance(ref, Mapping):
                continue
            where = f"{path}.env[{index}].valueFrom.{kind}"
            name, key = _str(ref.get("name")), _str(ref.get("key"))
            if subdomain_problem(name):
                problems.append(field_invalid("env-ref", f"{where}.name", name, str(subdomain_problem(name))))
            if not key:
                problems.append(field_invalid("env-ref", f"{where}.key", "", "Required value"))
            elif config_key_problem(key):
                problems.append(field_invalid("env-ref", f"{where}.key", key, str(config_key_problem(key))))
    return problems


def _container_problems(spec: Mapping[str, Any], volume_names: tuple[str, ...]) -> list[Finding]:
    problems: list[Finding] = []
    if not spec.get("containers"):
        problems.append(field_invalid("containers", "spec.containers", "", "Required value"))
    regular = [_str(c.get("name")) for c in objects(spec.get("containers"))]
    for group in ("initContainers", "containers"):
        # An init container may not reuse any container's name; a container, an earlier one's.
        seen: set[str] = set(regular) if group == "initContainers" else set()
        for index, container in enumerate(objects(spec.get(group))):
            path = f"spec.{group}[{index}]"
            name = _str(container.get("name"))
            label = label_problem(name) if name else "Required value"
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
            problems += _env_ref_problems(container, path)
    return problems


def _pull_policy_problems(spec: Mapping[str, Any]) -> list[Finding]:
    problems = []
    for group in ("initContainers", "containers"):
        for index, container in enumerate(objects(spec.get(group))):
            policy = _str(container.get("imagePullPolicy"))
            if policy and policy not in ("Always", "IfNotPresent", "Never"):  # "" is defaulted
                reason = supported(policy, ("Always", "IfNotPresent", "Never"))
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
    if name and subdomain_problem(name):
        problems.append(field_invalid("pod-name", "metadata.name", name, str(subdomain_problem(name))))
    volumes = objects(spec.get("volumes"))
    problems += _volume_problems(volumes)
    volume_names = tuple(n for n in (_str(v.get("name")) for v in volumes) if n)
    problems += _container_problems(spec, volume_names)
    problems += _pull_policy_problems(spec)
    problems += scheduling_problems(meta, spec)
    return problems
