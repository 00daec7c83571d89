"""Wording for quotas, LimitRanges and node capacity: what was asked, what is left, what would pass.

Pure, no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..amounts import amount, base_resource, names_list, trim

REASON_UNSCHEDULABLE = "node(s) were unschedulable"  # kube-scheduler's NodeUnschedulable reason


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
    base = base_resource(resource)
    if base in ("pods", "persistentvolumeclaims"):
        noun = "servers (pods)" if base == "pods" else "volume claims"
        if not hard:  # a namespace closed on purpose: stopping a server frees nothing
            return (
                f'The namespace quota "{quota}" allows no {noun} in your namespace, so your server '
                "cannot start there. Ask your administrator to raise the quota or to use another namespace."
            )
        have = f"Your namespace already has {_bare(resource, used)} of the {amount(resource, hard)} its "
        if base == "persistentvolumeclaims":  # a stopped server keeps its claim: stopping helps not
            return (
                f'{have}quota "{quota}" allows, and your server needs {_bare(resource, f["requested"])} '
                "more. Ask your administrator to delete volume claims no longer needed or to raise the quota."
            )
        return f'{have}quota "{quota}" allows. Stop a server you no longer need, then try again.'
    what = f.get("what") or _what(resource)
    asked = f"You asked for {amount(resource, f['requested'])}" + (
        "" if what == base else f" ({what})"  # "1 nvidia.com/gpu (nvidia.com/gpu)" says it twice
    )
    if not hard:
        label = _what(resource)
        return (
            f'{asked}, but the namespace quota "{quota}" allows no {label} at all. Choose options '
            f"without {label}, or ask your administrator."
        )
    if not available:
        return (
            f'{asked}, but the namespace quota "{quota}" has none left ({_bare(resource, used)} of '
            f"{_bare(resource, hard)} in use). Try again when other servers have stopped, or ask your "
            "administrator."
        )
    return (
        f'{asked}, but the namespace quota "{quota}" has only {amount(resource, available)} left '
        f"({_bare(resource, used)} of {_bare(resource, hard)} in use). Choose at most "
        f"{amount(resource, available)}."
    )


def quota_not_synced(f: Mapping[str, Any]) -> str:
    what = "it" if f.get("whole_quota") else f"its {names_list(f['resources'])}"
    return (
        f'The namespace quota "{f["quota"]}" has not been counted by the cluster yet, so Kubernetes '
        f"does not enforce {what} yet; it was not checked for this server."
    )


def _bare(resource: str, value: Any) -> str:
    """``26`` for CPUs or pods, ``14 GiB`` for memory: the number inside a parenthesis."""
    text = amount(resource, value)
    countable = ("cpu", "pods", "persistentvolumeclaims")
    return text.split(" ")[0] if base_resource(resource) in countable else text


_KIND_WORDS = {"container": "container", "init container": "init container", "sidecar": "sidecar container"}


def _admin_part(admin: Mapping[str, str]) -> str:
    """``init container block-cloud-metadata``, ``containers a, b``: what the hub's config adds."""
    names = sorted(admin)
    kinds = {admin[n] for n in names}
    word = _KIND_WORDS.get(kinds.pop(), "container") if len(kinds) == 1 else "container"
    return f"{word} {names[0]}" if len(names) == 1 else f"{word}s {names_list(names)}"


def must_specify(f: Mapping[str, Any]) -> str:
    kind, _, resource = str(f["field"]).partition(".")
    word = "limit" if kind == "limits" else "guarantee (request)"
    head = f'The namespace quota "{f["quota"]}" requires every container to set a {resource} {word}'
    admin: Mapping[str, str] = f.get("admin_containers") or {}
    user = f.get("user_container") or ""
    if not admin:  # older facts, or only the user's own container lacks it
        names: list[str] = list(f.get("containers") or [user])
        who = (
            f"container {names[0]} does not" if len(names) == 1 else f"containers {names_list(names)} do not"
        )
        return f"{head}, and {who}. Set a {resource} {word} for your server."
    added = _admin_part(admin)
    fix = (
        f"Your administrator must set its {resource} {word} in the hub's configuration"
        if len(admin) == 1
        else f"Your administrator must set their {resource} {word} in the hub's configuration"
    )
    if not user:
        return (
            f"{head}, and {added}, which the hub's configuration adds to every server, "
            f"{'does' if len(admin) == 1 else 'do'} not. {fix}; no choice of yours can fix this."
        )
    return (
        f"{head}, and containers {names_list(sorted([user, *admin]))} do not. Set a {resource} {word} "
        f"for your server; your administrator must also set one for {added}, which the hub's "
        "configuration adds."
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
    if f["observed"] is None and bound == "max" and not f["enforced"]:
        return (
            f'The namespace requires a {resource} {word} of 0 for {who} (LimitRange "{f["limitrange"]}" '
            "allows none). Set it to 0, or ask your administrator."
        )
    if f["observed"] is None:
        return (
            f'The namespace requires a {resource} {word} for {who} (LimitRange "{f["limitrange"]}", '
            f"{'at most' if bound == 'max' else 'at least'} {enforced}). Set one."
        )
    observed = amount(resource, f["observed"])
    if bound == "max" and not f["enforced"]:
        return (
            f'The namespace allows no {resource} {word} for {who} (LimitRange "{f["limitrange"]}" sets '
            f"its maximum to 0), and {observed} was asked. Choose options without {resource}, or ask "
            "your administrator."
        )
    if bound == "max":
        return (
            f"The {resource} {word} of {observed} for {who} is above the namespace maximum of {enforced} "
            f'(LimitRange "{f["limitrange"]}"). Choose at most {enforced}.'
        )
    return (
        f"The {resource} {word} of {observed} for {who} is below the namespace minimum of {enforced} "
        f'(LimitRange "{f["limitrange"]}"). Choose at least {enforced}.'
    )


def _noun(resource: str) -> str:
    base = base_resource(resource)
    return {"cpu": "CPU", "ephemeral-storage": "scratch disk"}.get(base, base)


def _reasons(reasons: Mapping[str, int]) -> str:
    return "; ".join(f"{count} {reason}" for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]))


def _pool_sentence(f: Mapping[str, Any], will: str) -> str:
    return (
        f"The cluster {will} add a node from pool {names_list(f['pools'])}; starting may take a few minutes."
    )


def _all_of(requested: Mapping[str, int]) -> str:
    asked = [amount(r, v, milli=True) for r, v in requested.items() if r != "pods"]
    return " and ".join(asked) if asked else "one more server"


def _excluded(f: Mapping[str, Any]) -> str:
    """Nodes big enough that a taint, selector or cordon keeps the server off: never "too small"."""
    excluded: Mapping[str, int] = f.get("excluded_big_enough") or {}
    if not excluded:
        return ""
    total = sum(excluded.values())
    head = f" {total} {'node has' if total == 1 else 'nodes have'} enough, but your server cannot run there"
    if set(excluded) == {REASON_UNSCHEDULABLE}:  # cordoned: nothing the user can choose helps
        return f"{head}: {_reasons(excluded)} (cordoned). Try again later, or ask your administrator."
    return (
        f"{head}: {_reasons(excluded)}. Choose a profile meant for "
        f"{'that node' if total == 1 else 'those nodes'}, or ask your administrator."
    )


_SCALE_UP = (
    "The cluster's autoscaler can add nodes, so your server will start if it adds one that can "
    "run it; that may take a few minutes. If it cannot, you will be told why."
)


def _scale_up_no_fit(f: Mapping[str, Any]) -> str:
    """A warning, not a refusal: the node that can run it may be in a pool scaled to zero. No
    "choose at most": the added node may be bigger than any running now."""
    requested: Mapping[str, int] = f["requested"]
    largest: Mapping[str, int] = f.get("largest") or {}
    if f.get("nodes_total", 0) == 0:
        return "No node is running in the cluster right now. " + _SCALE_UP
    if f.get("compatible_nodes", 0) == 0:
        return f"No node running now can take your server: {_reasons(f.get('reasons') or {})}. " + _SCALE_UP
    too_big = [r for r in requested if r != "pods" and requested[r] > largest.get(r, 0)]
    if too_big:
        asked = " and ".join(amount(r, requested[r], milli=True) for r in too_big)
        return f"No node running now has {asked} allocatable. " + _SCALE_UP
    return f"No node running now has {_all_of(requested)} allocatable at once. " + _SCALE_UP


def no_node_fits(f: Mapping[str, Any]) -> str:
    requested: Mapping[str, int] = f["requested"]
    largest: Mapping[str, int] = f.get("largest") or {}
    reasons: Mapping[str, int] = f.get("reasons") or {}
    if f.get("autoscaler") and not f.get("pools"):
        return _scale_up_no_fit(f)
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
        absent = [r for r in too_big if not largest.get(r)]  # "at most 0" helps nobody
        smaller = [r for r in too_big if largest.get(r)]
        if absent:
            asked = " and ".join(amount(r, requested[r], milli=True) for r in absent)
            names = " or ".join(_noun(r) for r in absent)
            parts.append(
                f"You asked for {asked}, but no node your server can run on has any {names}."
                + (_excluded(f) or " Choose options without it, or ask your administrator.")
            )
        if smaller:
            asked = " and ".join(amount(r, requested[r], milli=True) for r in smaller)
            have = " and ".join(amount(r, largest.get(r, 0), milli=True) for r in smaller)
            text = f"You asked for {asked}. The largest node your server can run on has {have} allocatable."
            parts.append(f"{text} Choose at most {have}." + ("" if absent else _excluded(f)))
        if not too_big:
            if "Too many pods" in reasons:
                parts.append("The nodes your server can run on accept no pods. Choose another profile.")
            else:
                parts.append(
                    f"No single node your server can run on has {_all_of(requested)} allocatable at once. "
                    "Choose less of one of them." + _excluded(f)
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
        none_free = [r for r in short if free.get(r, 0) <= 0]
        some_free = [r for r in short if free.get(r, 0) > 0]
        asked = " and ".join(amount(r, requested[r], milli=True) for r in short)
        if some_free:
            have = " and ".join(amount(r, free[r], milli=True) for r in some_free)
            text = (
                f"No node has room for {asked} right now: the most free on any node that can run your "
                f"server is {have}"
                + (f", and none has any {' or '.join(map(_noun, none_free))} free." if none_free else ".")
            )
            advice = f" Choose at most {have}, or try again later." if not none_free else " Try again later."
        else:
            text = (
                f"No node has room for {asked} right now: every node that can run your server has all "
                f"its {' and '.join(_noun(r) for r in none_free)} in use."
            )
            advice = " Try again later, when other servers have stopped."
    elif f.get("free_pod_slots", 1) <= 0:
        text = "Every node that can run your server is at its pod limit right now."
        advice = " Try again later."
    else:
        text = f"No single node has room for {_all_of(requested)} at once right now."
        advice = " Choose less, or try again later."
    if f.get("pools"):
        return text + " " + _pool_sentence(f, "will")
    if f.get("autoscaler"):
        return text + " " + _SCALE_UP
    return text + advice
