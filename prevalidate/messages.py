"""Every sentence a user reads. The one place wording lives.

Pure, no I/O here. Each finding becomes short, plain sentences: what was asked, what is
available, what would pass. Numbers come from the finding's facts; units are the ones a person
types in a spawn form (CPUs, GiB), not Kubernetes internals.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .amounts import amount, base_resource, json_safe, names_list, trim
from .model.findings import Code, Finding, Severity, Verdict
from .model.settings import DEFAULT_ADMIN_CONTACT


def _what(resource: str) -> str:
    """How a quota key reads in a sentence."""
    base = base_resource(resource)
    label = {
        "cpu": "CPU",
        "memory": "memory",
        "ephemeral-storage": "scratch disk",
        "storage": "storage",
        "pods": "pods",
        "persistentvolumeclaims": "volume claims",
    }.get(base, base)
    if resource.startswith("limits."):
        return f"{label} limit"
    if resource.startswith("requests.") or resource in ("cpu", "memory", "ephemeral-storage"):
        return f"{label} guarantee" if base in ("cpu", "memory") else label
    return label


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


def _input_invalid(f: Mapping[str, Any]) -> str:
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
    if "limit" in f and "request" in f:
        resource = str(f.get("field", "")).rsplit(".", 1)[-1]
        source = " (the namespace default limit)" if f.get("limit_defaulted") else ""
        return (
            f"The {resource} guarantee of {amount(resource, f['request'])} is more than the {resource} "
            f"limit of {amount(resource, f['limit'])}{source}. Choose a guarantee of at most "
            f"{amount(resource, f['limit'])}."
        )
    return (
        f"{f.get('value')!r} is not a valid value for {f.get('field')}: {f.get('reason')}. "
        "Use a number with an optional unit, like 2, 0.5, 500m, 4Gi or 512Mi."
    )


def _namespace(f: Mapping[str, Any]) -> str:
    if f.get("terminating"):
        return (
            f"The namespace {f['namespace']} is being deleted, so no server can start in it. "
            "Ask your administrator which namespace to use."
        )
    return (
        f"The namespace {f['namespace']} does not exist, so no server can start in it. "
        "Ask your administrator to create it, or choose another namespace."
    )


def _quota_exceeded(f: Mapping[str, Any]) -> str:
    resource, quota = str(f["resource"]), f["quota"]
    used, hard, available = f["used"], f["hard"], f["available"]
    if base_resource(resource) in ("pods", "persistentvolumeclaims"):
        return (
            f"Your namespace already has {amount(resource, used)} of the {amount(resource, hard)} its "
            f'quota "{quota}" allows. Stop a server you no longer need, then try again.'
        )
    return (
        f"You asked for {amount(resource, f['requested'])} ({_what(resource)}), but the namespace quota "
        f'"{quota}" has only {amount(resource, available)} left ({_bare(resource, used)} of '
        f"{_bare(resource, hard)} in use). Choose at most {amount(resource, available)}."
    )


def _bare(resource: str, value: Any) -> str:
    """``26`` for CPUs, ``14 GiB`` for memory: the number inside a parenthesis."""
    text = amount(resource, value)
    return text.split(" ")[0] if base_resource(resource) == "cpu" else text


def _containers(names: list[str]) -> str:
    if len(names) == 1:
        return f"container {names[0]} does not"
    return f"containers {names_list(names)} do not"


def _must_specify(f: Mapping[str, Any]) -> str:
    kind, _, resource = str(f["field"]).partition(".")
    word = "limit" if kind == "limits" else "guarantee (request)"
    return (
        f'The namespace quota "{f["quota"]}" requires every container to set a {resource} {word}, '
        f"and {_containers(f['containers'])}. Set a {resource} {word} for your server."
    )


def _limitrange(f: Mapping[str, Any]) -> str:
    resource, bound, side = str(f["resource"]), f["bound"], f["side"]
    who = (
        f"container {f['container']}"
        if f.get("container")
        else (f"volume claim {f['claim']}" if f.get("claim") else "your server as a whole")
    )
    word = "limit" if side == "limit" else "guarantee (request)"
    enforced = amount(resource, f["enforced"])
    if bound == "ratio":
        if side == "ratio":
            return (
                f"The {resource} limit of {who} is {trim(Decimal(str(f['observed'])))} times its guarantee; "
                f"the namespace allows at most {trim(Decimal(str(f['enforced'])))} times. Raise the "
                f"guarantee or lower the limit."
            )
        return (
            f'The namespace requires a {resource} {word} for {who} (LimitRange "{f["limitrange"]}" caps '
            f"limit/guarantee at {trim(Decimal(str(f['enforced'])))}). Set one."
        )
    if f["observed"] is None:
        return (
            f'The namespace requires a {resource} {word} for {who} (LimitRange "{f["limitrange"]}", '
            f"{'at most' if bound == 'max' else 'at least'} {enforced}). Set one."
        )
    observed = amount(resource, f["observed"])
    if bound == "max":
        return (
            f"The {resource} {word} of {observed} for {who} is above the namespace maximum of {enforced} "
            f'(LimitRange "{f["limitrange"]}"). Choose at most {enforced}.'
        )
    return (
        f"The {resource} {word} of {observed} for {who} is below the namespace minimum of {enforced} "
        f'(LimitRange "{f["limitrange"]}"). Choose at least {enforced}.'
    )


def _reasons(reasons: Mapping[str, int]) -> str:
    return "; ".join(f"{count} {reason}" for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]))


def _pool_sentence(f: Mapping[str, Any], will: str) -> str:
    return (
        f"The cluster {will} add a node from pool {names_list(f['pools'])}; starting may take a few minutes."
    )


def _all_of(requested: Mapping[str, int]) -> str:
    asked = [amount(r, v, milli=True) for r, v in requested.items() if r != "pods"]
    return " and ".join(asked) if asked else "one more server"


def _no_node_fits(f: Mapping[str, Any]) -> str:
    requested: Mapping[str, int] = f["requested"]
    largest: Mapping[str, int] = f.get("largest") or {}
    reasons: Mapping[str, int] = f.get("reasons") or {}
    if f.get("nodes_total", 0) == 0:
        if f.get("pools"):
            return "The cluster has no nodes running right now. " + _pool_sentence(f, "can")
        return "The cluster has no nodes to run your server on right now. Try again later."
    parts = []
    if f.get("compatible_nodes", 0) == 0:
        parts.append(
            f"No node can run your server: {_reasons(reasons)}. Choose another profile, or ask your "
            "administrator which node selectors and tolerations this hub supports."
        )
    else:
        too_big = [r for r in requested if r != "pods" and requested[r] > largest.get(r, 0)]
        if too_big:
            asked = " and ".join(amount(r, requested[r], milli=True) for r in too_big)
            have = " and ".join(amount(r, largest.get(r, 0), milli=True) for r in too_big)
            parts.append(
                f"You asked for {asked}. The largest node your server can run on has {have} allocatable. "
                f"Choose at most {have}."
            )
        elif "Too many pods" in reasons:
            parts.append("The nodes your server can run on accept no pods. Choose another profile.")
        else:
            parts.append(
                f"No single node your server can run on has {_all_of(requested)} allocatable at once. "
                "Choose less of one of them."
            )
    if f.get("pools"):
        parts.append(_pool_sentence(f, "can"))
    return " ".join(parts)


def _insufficient(f: Mapping[str, Any]) -> str:
    requested: Mapping[str, int] = f["requested"]
    if f.get("starting"):
        return (
            "The node that can run your server is still starting; your server will start when it is "
            "ready, usually within a few minutes. If it does not, try again later."
        )
    free: Mapping[str, int] = f.get("largest_free") or {}
    short = [r for r in requested if r != "pods" and requested[r] > free.get(r, 0)]
    if short:
        asked = " and ".join(amount(r, requested[r], milli=True) for r in short)
        have = " and ".join(amount(r, max(free.get(r, 0), 0), milli=True) for r in short)
        text = (
            f"No node has room for {asked} right now: the most free on any node that can run your "
            f"server is {have}."
        )
        advice = f" Choose at most {have}, or try again later."
    elif f.get("free_pod_slots", 1) <= 0:
        text = "Every node that can run your server is at its pod limit right now."
        advice = " Try again later."
    else:
        text = f"No single node has room for {_all_of(requested)} at once right now."
        advice = " Choose less, or try again later."
    return text + (" " + _pool_sentence(f, "will") if f.get("pools") else advice)


def _image(code: Code) -> Callable[[Mapping[str, Any]], str]:
    def render(f: Mapping[str, Any]) -> str:
        image, registry = f.get("image"), f.get("registry") or "its registry"
        if code is Code.IMAGE_REFERENCE_INVALID:
            return (
                f'"{image}" is not a valid image name ({f.get("reason")}). Use the form '
                "registry/name:tag, for example quay.io/jupyter/scipy-notebook:latest."
            )
        if code is Code.IMAGE_REGISTRY_NOT_ALLOWED:
            if f.get("allowed") and "not one of the allowed" in str(f.get("reason")):
                return (
                    f"Images from {registry} cannot be used on this hub. "
                    "Use an image from an allowed registry: "
                    f"{names_list(f['allowed'])}."
                )
            return f"The image {image} was not checked: {f.get('reason')}."
        if code is Code.IMAGE_NOT_FOUND:
            tags = f.get("suggestions") or []
            hint = (
                f" Choose a tag that exists: {names_list(tags)}." if tags else " Check the name and the tag."
            )
            return f"The image {image} does not exist in {registry}.{hint}"
        if code is Code.IMAGE_ACCESS_DENIED:
            if f.get("ambiguous"):
                return (
                    f"{registry} says the image {image} does not exist or is private. Your server will "
                    "still try to start, but it may fail to pull the image; check the name."
                )
            return (
                f"{registry} refused access to the image {image} with the pull secrets of your "
                "namespace. Use an image you have access to."
            )
        if code is Code.IMAGE_PLATFORM_UNSUPPORTED:
            return (
                f"The image {image} is built for {names_list(f['image_platforms'])} only, but the nodes your "
                f"server can run on are {names_list(f['node_platforms'])}. Choose an image built for them."
            )
        return f"The image {image} could not be checked ({f.get('detail') or 'no answer'}); starting anyway."

    return render


def _pvc(code: Code) -> Callable[[Mapping[str, Any]], str]:
    def render(f: Mapping[str, Any]) -> str:
        claim = f.get("claim")
        if code is Code.PVC_NOT_FOUND:
            text = f'The volume claim "{claim}" does not exist in namespace {f.get("namespace")}.'
            if f.get("closest"):
                text += f' Did you mean "{f["closest"]}"?'
            existing = f.get("existing") or []
            return text + (
                f" PVCs in your namespace: {names_list(existing)}."
                if existing
                else " Your namespace has no PVCs."
            )
        if code is Code.PVC_TERMINATING:
            return f'The volume claim "{claim}" is being deleted. Choose another volume.'
        if code is Code.PVC_NOT_BOUND:
            state = f.get("state")
            if state == "lost":
                return (
                    f'The volume claim "{claim}" has lost its volume (phase Lost) and cannot be mounted. '
                    "Choose another volume, or ask your administrator to restore it."
                )
            if state == "no-storage-class":
                return (
                    f'The volume claim "{claim}" asks for storage class "{f["storage_class"]}", which '
                    "does not exist, so it will never be bound. "
                    "Choose another volume, or ask your administrator "
                    f"(storage classes: {names_list(f['storage_classes'])})."
                )
            return f'The volume claim "{claim}" is not bound to a volume yet; your server may wait for it.'
        pods = names_list(f.get("pods") or [])
        if f.get("nodes"):
            return (
                f'The volume claim "{claim}" is in use by {pods} and can be attached to only one node; '
                "your server may not be able to mount it."
            )
        return (
            f'The volume claim "{claim}" can be used by one pod only and is in use by {pods}. '
            "Stop that server first, or choose another volume."
        )

    return render


def _object_missing(kind: str) -> Callable[[Mapping[str, Any]], str]:
    def render(f: Mapping[str, Any]) -> str:
        hint = (
            f' Did you mean "{f["closest"]}"?'
            if f.get("closest")
            else " Remove it from your options, or ask your administrator to create it."
        )
        return (
            f'The {kind} "{f["name"]}" (needed by {f.get("where")}) does not exist in namespace '
            f"{f.get('namespace')}.{hint}"
        )

    return render


def _key_missing(kind: str) -> Callable[[Mapping[str, Any]], str]:
    def render(f: Mapping[str, Any]) -> str:
        name, key, where = f["name"], f["key"], f.get("where")
        if f.get("binary_only"):
            return (
                f'The {kind} "{name}" holds "{key}" as binary data, which {where} cannot read '
                f'(environment variables read only text data). Ask your administrator to store "{key}" '
                "as text data, or mount it as a volume instead."
            )
        text = (
            f'The {kind} "{name}" in namespace {f.get("namespace")} has no key "{key}" (needed by {where}).'
        )
        keys = f.get("keys") or []
        if f.get("closest"):
            return text + f' Did you mean "{f["closest"]}"? Its keys: {names_list(keys)}.'
        if keys:
            return text + (
                f' Its keys: {names_list(keys)}. Use one of them, or ask your administrator to add "{key}".'
            )
        return text + f' It has no keys at all. Ask your administrator to add "{key}".'

    return render


_RENDERERS: dict[Code, Callable[[Mapping[str, Any]], str]] = {
    Code.INPUT_INVALID: _input_invalid,
    Code.NAMESPACE_NOT_FOUND: _namespace,
    Code.QUOTA_EXCEEDED: _quota_exceeded,
    Code.QUOTA_MUST_SPECIFY: _must_specify,
    Code.LIMITRANGE_VIOLATION: _limitrange,
    Code.NO_NODE_FITS: _no_node_fits,
    Code.INSUFFICIENT_CAPACITY: _insufficient,
    Code.SECRET_NOT_FOUND: _object_missing("secret"),
    Code.CONFIGMAP_NOT_FOUND: _object_missing("config map"),
    Code.SECRET_KEY_NOT_FOUND: _key_missing("secret"),
    Code.CONFIGMAP_KEY_NOT_FOUND: _key_missing("config map"),
    Code.PULL_SECRET_NOT_FOUND: lambda f: (
        f'The image pull secret "{f["name"]}" does not exist in namespace {f["namespace"]}; private '
        "images may fail to pull."
    ),
    Code.SERVICEACCOUNT_NOT_FOUND: lambda f: (
        f'The service account "{f["name"]}" does not exist in namespace {f["namespace"]}. '
        "Choose another profile, or ask your administrator to create it."
    ),
    Code.CHECK_SKIPPED: lambda f: (
        f"The {f['kind']} check could not run on these options and was skipped; your server will still start."
        if f.get("failed")
        else f"The hub could not read {f['kind']} objects, so that check was skipped."
    ),
}
for _code in (
    Code.IMAGE_REFERENCE_INVALID,
    Code.IMAGE_REGISTRY_NOT_ALLOWED,
    Code.IMAGE_NOT_FOUND,
    Code.IMAGE_ACCESS_DENIED,
    Code.IMAGE_PLATFORM_UNSUPPORTED,
    Code.IMAGE_UNVERIFIED,
):
    _RENDERERS[_code] = _image(_code)
for _code in (Code.PVC_NOT_FOUND, Code.PVC_TERMINATING, Code.PVC_NOT_BOUND, Code.PVC_IN_USE):
    _RENDERERS[_code] = _pvc(_code)


def render(finding: Finding, overrides: Mapping[str, str] | None = None) -> str:
    """The sentence(s) for one finding. ``overrides`` maps a code to a format string that may
    use the finding's facts (``{requested}``...); a broken override falls back to ours."""
    template = (overrides or {}).get(finding.code.value)
    if template:
        try:
            return template.format(**finding.facts, subject=finding.subject)
        except (KeyError, IndexError, ValueError):
            pass
    return _RENDERERS[finding.code](finding.facts)


_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def ordered(verdict: Verdict) -> list[Finding]:
    """Errors first, then warnings, then notes; stable within each."""
    return sorted(verdict.findings, key=lambda f: _ORDER[f.severity])


def render_verdict(
    verdict: Verdict, admin_contact: str = DEFAULT_ADMIN_CONTACT, overrides: Mapping[str, str] | None = None
) -> list[str]:
    """One line per finding in ``ordered`` order, then the admin contact line (only when
    something is wrong)."""
    lines = [render(f, overrides) for f in ordered(verdict)]
    if lines and admin_contact:
        lines.append(admin_contact)
    return lines


def headline(verdict: Verdict) -> str:
    errors = len(verdict.errors)
    if errors:
        return "Your server cannot start with these options:" if errors > 1 else "Your server cannot start:"
    return "Your server can start." if not verdict.findings else "Your server can start, with warnings:"


def finding_json(finding: Finding, overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "code": finding.code.value,
        "severity": finding.severity.value,
        "message": render(finding, overrides),
        "subject": finding.subject,
        **json_safe(dict(finding.facts)),
    }
