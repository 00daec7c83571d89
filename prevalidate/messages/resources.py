"""Wording for quotas, LimitRanges and node capacity: what was asked, what is left, what would pass.

Pure, no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..amounts import amount, base_resource, names_list, trim


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


def quota_exceeded(f: Mapping[str, Any]) -> str:
    resource, quota = str(f["resource"]), f["quota"]
    used, hard, available = f["used"], f["hard"], f["available"]
    if base_resource(resource) in ("pods", "persistentvolumeclaims"):
        return (
            f"Your namespace already has {amount(resource, used)} of the {amount(resource, hard)} its "
            f'quota "{quota}" allows. Stop a server you no longer need, then try again.'
        )
    return (
        f"You asked for {amount(resource, f['requested'])} ({f.get('what') or _what(resource)}), but the "
        f"namespace quota "
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


def must_specify(f: Mapping[str, Any]) -> str:
    kind, _, resource = str(f["field"]).partition(".")
    word = "limit" if kind == "limits" else "guarantee (request)"
    return (
        f'The namespace quota "{f["quota"]}" requires every container to set a {resource} {word}, '
        f"and {_containers(f['containers'])}. Set a {resource} {word} for your server."
    )


def limitrange(f: Mapping[str, Any]) -> str:
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


def no_node_fits(f: Mapping[str, Any]) -> str:
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


def insufficient(f: Mapping[str, Any]) -> str:
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
