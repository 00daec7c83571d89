"""Short words for the spawn form: what a finding is about, a few words next to a choice that
cannot start ("needs 64 CPUs; the largest node has 62.5"), and the headroom line above the
profiles.

Pure, no I/O here. The full sentences stay in the other modules of this package; a mark is
shown inside an ``<option>`` of a select, so it must be a handful of words.

``concerns`` says which part of a spawn a finding is about, in a small vocabulary the hub maps
to the form's options: a resource's base name (``cpu``, ``memory``, ``nvidia.com/gpu``),
``image``, ``storage`` (volume claims) or ``placement`` (the pod as a whole: node selectors,
tolerations, a namespace, a service account — what a profile sets, not a single option).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..amounts import amount, base_resource, trim
from ..model.findings import Code, Finding

IMAGE, STORAGE, PLACEMENT = "image", "storage", "placement"

_IMAGE_CODES = {
    Code.IMAGE_REFERENCE_INVALID: "not a valid image name",
    Code.IMAGE_REGISTRY_NOT_ALLOWED: "image registry not allowed",
    Code.IMAGE_NOT_FOUND: "image not found",
    Code.IMAGE_ACCESS_DENIED: "image not accessible",
    Code.IMAGE_PLATFORM_UNSUPPORTED: "image not built for these nodes",
}
_PVC_CODES = {
    Code.PVC_NOT_FOUND: "does not exist",
    Code.PVC_TERMINATING: "is being deleted",
    Code.PVC_NOT_BOUND: "cannot be bound",
    Code.PVC_IN_USE: "is in use elsewhere",
}
_STORAGE_RESOURCES = {"storage", "persistentvolumeclaims"}


def _resource_concern(resource: str) -> str:
    base = base_resource(resource)
    return STORAGE if base in _STORAGE_RESOURCES else base


def _short_of(facts: Mapping[str, Any], available: str) -> list[str]:
    """Resources the pod asks more of than ``facts[available]`` has (scheduler units)."""
    requested: Mapping[str, Any] = facts.get("requested") or {}
    have: Mapping[str, Any] = facts.get(available) or {}
    return [r for r in requested if r != "pods" and requested[r] > have.get(r, 0)]


def concerns(finding: Finding) -> frozenset[str]:
    """What part of the spawn ``finding`` is about (see the module docstring)."""
    code, facts = finding.code, finding.facts
    if code in _IMAGE_CODES or code is Code.IMAGE_UNVERIFIED:
        return frozenset({IMAGE})
    if code in _PVC_CODES:
        return frozenset({STORAGE})
    if code in (Code.QUOTA_EXCEEDED, Code.LIMITRANGE_VIOLATION, Code.QUOTA_MUST_SPECIFY):
        resource = str(facts.get("resource") or str(facts.get("field", "")).partition(".")[2])
        if resource and base_resource(resource) != "pods":
            return frozenset({_resource_concern(resource)})
        return frozenset({PLACEMENT})
    if code is Code.NO_NODE_FITS and facts.get("compatible_nodes", 1):
        short = _short_of(facts, "largest")
        return frozenset(_resource_concern(r) for r in short) or frozenset({PLACEMENT})
    if code is Code.INSUFFICIENT_CAPACITY:
        short = _short_of(facts, "largest_free")
        return frozenset(_resource_concern(r) for r in short) or frozenset({PLACEMENT})
    if code is Code.INPUT_INVALID:
        field = str(facts.get("field", ""))
        for part in ("cpu", "memory", "image"):
            if field.endswith("." + part) or finding.subject == part:
                return frozenset({part})
        if ".volume" in field or field.startswith("spec.volumes"):
            return frozenset({STORAGE})
    return frozenset({PLACEMENT})


def _noun(resource: str) -> str:
    base = base_resource(resource)
    return "GPUs" if base.endswith("/gpu") else {"cpu": "CPUs"}.get(base, base)


def _bare(resource: str, value: Any, milli: bool = False) -> str:
    """``62.5`` for CPUs, ``14 GiB`` for memory: the number after "has"."""
    text = amount(resource, value, milli=milli)
    return text.split(" ")[0] if base_resource(resource) in ("cpu", "pods") else text


def _quota(facts: Mapping[str, Any]) -> str:
    resource = str(facts.get("resource", ""))
    hard, available = facts.get("hard"), facts.get("available")
    if base_resource(resource) == "pods":
        return "over your quota of servers"
    if not hard:
        return f"your quota allows no {amount(resource, 0).split(' ', 1)[-1]}"
    return f"over your quota: {_bare(resource, available)} of {amount(resource, hard)} free"


def _no_node(facts: Mapping[str, Any]) -> str:
    if not facts.get("nodes_total", 0):
        return "the cluster has no nodes now"
    if not facts.get("compatible_nodes", 1):
        return "no node accepts this profile"
    largest: Mapping[str, Any] = facts.get("largest") or {}
    parts = []
    for r in _short_of(facts, "largest"):
        asked = amount(r, facts["requested"][r], milli=True)
        have = largest.get(r, 0)
        parts.append(
            f"needs {asked}; the largest node has {_bare(r, have, True)}"
            if have
            else f"no node has {_noun(r)}"
        )
    return "; ".join(parts) or "too big for any single node"


def _no_room(facts: Mapping[str, Any]) -> str:
    free: Mapping[str, Any] = facts.get("largest_free") or {}
    parts = []
    for r in _short_of(facts, "largest_free"):
        asked = amount(r, facts["requested"][r], milli=True)
        have = free.get(r, 0)
        parts.append(
            f"no room for {asked} now (at most {_bare(r, have, True)} free)"
            if have
            else f"all {_noun(r)} in use now"
        )
    return "; ".join(parts) or "no node has room now"


def _limitrange(facts: Mapping[str, Any]) -> str:
    resource, bound = str(facts.get("resource", "")), facts.get("bound")
    if bound == "ratio":
        return f"{resource} limit too far above its guarantee"
    word = "maximum" if bound == "max" else "minimum"
    enforced = facts.get("enforced")
    return f"{'above' if bound == 'max' else 'below'} the namespace {word} of {amount(resource, enforced)}"


def mark(finding: Finding) -> str:
    """A few words saying why a choice cannot start (the finding is an error)."""
    code, facts = finding.code, finding.facts
    if code is Code.QUOTA_EXCEEDED:
        return _quota(facts)
    if code is Code.NO_NODE_FITS:
        return _no_node(facts)
    if code is Code.INSUFFICIENT_CAPACITY:
        return _no_room(facts)
    if code is Code.LIMITRANGE_VIOLATION:
        return _limitrange(facts)
    if code in _IMAGE_CODES:
        return _IMAGE_CODES[code]
    if code in _PVC_CODES:
        return f"volume claim {facts.get('claim') or finding.subject} {_PVC_CODES[code]}"
    if code is Code.INPUT_INVALID:
        return f"not a valid value ({facts.get('field') or finding.subject})"
    if code in (Code.SECRET_NOT_FOUND, Code.CONFIGMAP_NOT_FOUND, Code.SERVICEACCOUNT_NOT_FOUND):
        what = code.value.rsplit("-not-found", 1)[0].replace("configmap", "config map")
        return f"{what} {facts.get('name') or finding.subject} missing"
    if code is Code.NAMESPACE_NOT_FOUND:
        return "your namespace does not exist"
    return code.value.replace("-", " ")


def _free(resource: str, free: Decimal, hard: Decimal) -> str:
    """``14 of 40 CPUs``, ``96 GiB of 160 GiB memory``, ``1 of 2 GPUs``."""
    free, base = max(free, Decimal(0)), base_resource(resource)
    if base == "cpu":
        return f"{trim(free, 3)} of {amount(resource, hard)}"
    if base == "memory":
        return f"{amount(resource, free)} of {amount(resource, hard)} memory"
    noun = "GPUs" if base.endswith("/gpu") else base
    return f"{trim(free)} of {trim(hard)} {noun}"


def headroom_line(
    quota_free: Mapping[str, tuple[Decimal, Decimal]], node: Mapping[str, Decimal] | None
) -> str:
    """ "Free in your quota: 14 of 40 CPUs, 96 GiB of 160 GiB memory. Largest free node: 12 CPUs,
    40 GiB." — ``quota_free`` maps a base resource to (free, hard), ``node`` the free room of
    the node with the most free CPU (natural units) and the most GPUs free on one node, or None
    when nodes cannot be read."""
    parts = []
    if quota_free:
        items = [_free(resource, free, hard) for resource, (free, hard) in quota_free.items()]
        parts.append("Free in your quota: " + ", ".join(items) + ".")
    if node is not None:
        room = [amount(r, v) for r, v in node.items() if v > 0 and not r.endswith("/gpu")]
        parts.append("Largest free node: " + (", ".join(room) if room else "none has room now") + ".")
        gpus = [v for r, v in node.items() if r.endswith("/gpu")]
        if gpus:
            most = max(gpus)
            parts.append(f"GPUs free on one node: {trim(most) if most > 0 else 'none'}.")
    return " ".join(parts)


__all__ = ["IMAGE", "PLACEMENT", "STORAGE", "concerns", "headroom_line", "mark", "trim"]
