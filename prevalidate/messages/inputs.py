"""Wording for values the apiserver would refuse (input-invalid) and for namespaces.

Pure, no I/O here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from ..amounts import amount, names_list

_STANDARD_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_NAMES = {  # rule -> (what it names, whether dots are allowed)
    "volume-name": ("volume name", False),
    "container-name": ("container name", False),
    "pod-name": ("server (pod) name", True),
}


def _field_rule(f: Mapping[str, Any]) -> str:
    """A field the apiserver would refuse (422): what is wrong, its exact rule, what to do."""
    rule, value, where = f["rule"], f.get("value"), f"{f.get('field')}: {f.get('reason')}"
    if rule == "mount-volume-not-found":
        volumes = list(f.get("volumes") or [])
        close = difflib.get_close_matches(str(value), volumes, n=1, cutoff=0.6)
        hint = f' Did you mean "{close[0]}"?' if close else ""
        have = f" Volumes of the pod: {names_list(volumes)}." if volumes else " The pod has no volumes."
        return (
            f'Container {f.get("container")} mounts a volume "{value}" that the pod does not define '
            f"({where}).{hint}{have} Add the volume, or remove the mount."
        )
    if rule == "resource-name":
        close = difflib.get_close_matches(str(value).lower(), _STANDARD_RESOURCES, n=1, cutoff=0.6)
        hint = f' Did you mean "{close[0]}"?' if close else ""
        if "gpu" in str(value).lower():  # not "cpu": a GPU is an extended resource with a domain
            hint = " A GPU is asked for by the name your nodes advertise, like nvidia.com/gpu."
        return (
            f'"{value}" is not a resource a container can ask for ({where}).{hint} Use cpu, memory, '
            "ephemeral-storage, hugepages-<size>, or an extended resource with a domain, like nvidia.com/gpu."
        )
    if rule == "pod-level-resources":
        return _pod_level(f)
    if rule == "mount-path-duplicate":
        return (
            f"Container {f.get('container')} mounts two volumes at {value} ({where}). "
            "Choose another mount path for one of them."
        )
    if rule == "volume-duplicate":
        return f'The pod defines the volume "{value}" twice ({where}). Remove or rename one of them.'
    if rule == "image-required":
        return f"Container {f.get('container')} has no image ({where}). Choose an image."
    if rule == "sub-path":
        return f"The volume subPath {value!r} must stay inside the volume ({where}). Use a relative path."
    if rule in _NAMES and value:
        what, dots = _NAMES[rule]
        if "no more than" in str(f.get("reason")):
            return (
                f"The {what} {value!r} is too long ({where}). Choose a shorter name, "
                "or ask your administrator."
            )
        allowed = "lowercase letters, digits, '-'" + (" and '.'" if dots else " (no dots)")
        slug = re.sub(r"[^a-z0-9.-]+" if dots else r"[^a-z0-9-]+", "-", str(value).lower()).strip("-.")
        example = f', like "{slug[:63]}"' if slug else ""
        return (
            f'"{value}" is not a valid {what} ({f.get("field")}). Use {allowed}, starting and ending with '
            f"a letter or digit{example}."
        )
    if value:
        return f'"{value}" is not allowed here ({where}). Choose another value, or ask your administrator.'
    if str(f.get("reason")).startswith("Required value"):
        return f"The pod is missing a required field ({where}). Ask your administrator to fix the options."
    return f"The server options are not valid ({where}). Ask your administrator to fix them."


def _pod_level(f: Mapping[str, Any]) -> str:
    """spec.resources (pod-level) against the containers' own (model/podlevel.py)."""
    resource, pod, containers = str(f.get("resource")), f.get("pod"), f.get("containers")
    defaulted = list(f.get("defaulted") or [])
    source = f" (with the namespace defaults given to {names_list(defaulted)})" if defaulted else ""
    if f.get("side") == "container-limit":
        return (
            f"Container {f.get('container')} may use up to {amount(resource, containers)} of {resource}, "
            f"more than the whole pod's limit of {amount(resource, pod)}{source}. Lower the container's "
            "limit or raise the pod's, or ask your administrator."
        )
    side = "request" if f.get("side") == "requests" else "limit"
    return (
        f"The pod's {resource} {side} of {amount(resource, pod)} (spec.resources) is less than its "
        f"containers' {side}s together, {amount(resource, containers)}{source}. Raise the pod's {side} "
        f"to at least {amount(resource, containers)}, or ask your administrator."
    )


def input_invalid(f: Mapping[str, Any]) -> str:
    if f.get("rule"):
        return _field_rule(f)
    if f.get("shape"):
        reason = str(f.get("reason"))
        literal = reason.rsplit(" ", 1)[-1]
        advice = (
            f' Use quotes around the value in the configuration ("{literal}", not {literal}).'
            if reason.startswith(("must be a string, not the number", "must be a string, not the boolean"))
            else " Ask your administrator to fix the server options."
        )
        return f"The pod's {f.get('field')} {reason}; the server cannot be created from it.{advice}"
    if f.get("overcommit"):
        return _no_overcommit(f)
    if "limit" in f and "request" in f:
        resource = str(f.get("field", "")).rsplit(".", 1)[-1]
        source = " (the namespace default limit)" if f.get("limit_defaulted") else ""
        text = (
            f"The {resource} guarantee of {amount(resource, f['request'])} is more than the {resource} "
            f"limit of {amount(resource, f['limit'])}{source}."
        )
        if not f["limit"]:  # "at most 0" is no choice: the limit is what is wrong
            least = amount(resource, f["request"])
            return f"{text} Raise the limit to at least {least}, or ask your administrator."
        return f"{text} Choose a guarantee of at most {amount(resource, f['limit'])}."
    return (
        f"{f.get('value')!r} is not a valid value for {f.get('field')}: {f.get('reason')}. "
        "Use a number with an optional unit, like 2, 0.5, 500m, 4Gi or 512Mi."
    )


def _no_overcommit(f: Mapping[str, Any]) -> str:
    """Extended resources (GPUs) and hugepages cannot be overcommitted: Kubernetes wants a limit
    equal to the request (pkg/apis/core/validation ValidateResourceRequirements)."""
    resource = str(f["overcommit"])
    request = amount(resource, f["request"])
    where = f"{f.get('field')}: {f.get('reason')}"
    who = f"container {f['container']}" if f.get("container") else "a container"
    if f.get("overcommit_limit") is None:
        return (
            f"The server asks for {request} for {who} without a limit, but Kubernetes requires a limit "
            f"for {resource} equal to the request ({where}). Add a limit of {request} (equal to "
            "the request), or ask your administrator to set it (KubeSpawner: extra_resource_limits)."
        )
    return (
        f"The server asks for {request} for {who} with a different limit of "
        f"{amount(resource, f['overcommit_limit'])}, but Kubernetes requires the {resource} limit to "
        f"equal the request ({where}). Set the limit and the request to the same number (a limit "
        "alone is enough: the request is copied from it)."
    )


def namespace(f: Mapping[str, Any]) -> str:
    if f.get("terminating"):
        return (
            f"The namespace {f['namespace']} is being deleted, so no server can start in it. "
            "Ask your administrator which namespace to use."
        )
    return (
        f"The namespace {f['namespace']} does not exist, so no server can start in it. "
        "Ask your administrator to create it, or choose another namespace."
    )


def options_unusable(problem: str) -> str:
    """KubeSpawner cannot apply the chosen options at all (an unknown profile, a value of the
    wrong type); ``problem`` is KubeSpawner's own first line, e.g. its list of profiles."""
    return f"These server options cannot be used: {problem}. Choose one of the offered options."
