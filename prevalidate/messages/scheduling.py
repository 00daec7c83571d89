"""Wording for priority and preemption, and for a server pinned to one node (``spec.nodeName``).

Pure, no I/O here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..amounts import amount

Render = Callable[[Mapping[str, Any]], str]


def preemption_expected(f: Mapping[str, Any]) -> str:
    return (
        "The cluster is full right now, but lower-priority pods (such as placeholders that keep room "
        "for new servers) will make way for yours; starting may take a little longer."
    )


def priority_class_missing(f: Mapping[str, Any]) -> str:
    return (
        f'Kubernetes refuses servers of priority class "{f["name"]}": no such PriorityClass exists in '
        "the cluster. Ask your administrator to create it or to change the hub's priority class setting."
    )


def _pinned(f: Mapping[str, Any]) -> str:
    return f'node "{f["node_name"]}", which your server is pinned to (spec.nodeName),'


def _pinned_no_fit(f: Mapping[str, Any]) -> str:
    if f.get("node_missing"):
        return (
            f"The {_pinned(f)} is not in the cluster. Unless it joins within about a minute, Kubernetes "
            "deletes your server's pod; ask your administrator if it does not start."
        )
    requested: Mapping[str, int] = f["requested"]
    largest: Mapping[str, int] = f.get("largest") or {}
    reasons: Mapping[str, int] = f.get("reasons") or {}
    blockers = [r for r in reasons if not r.startswith("Insufficient")]
    if blockers:
        why = "; ".join(
            "it does not match your server's node selector or affinity"
            if "affinity" in r
            else f"it has a NoExecute taint your server does not tolerate ({r.split('taint', 1)[1].strip()})"
            for r in blockers
        )
        return (
            f"The {_pinned(f)} will refuse your server: {why}. Choose another profile, or ask your "
            "administrator which node this hub's servers should run on."
        )
    too_big = [r for r in requested if r != "pods" and requested[r] > largest.get(r, 0)]
    asked = " and ".join(amount(r, requested[r], milli=True) for r in too_big)
    have = " and ".join(amount(r, largest.get(r, 0), milli=True) for r in too_big)
    if any(largest.get(r, 0) <= 0 for r in too_big):  # "at most 0" helps nobody
        return f"You asked for {asked}. The {_pinned(f)} offers none. Choose another profile."
    return f"You asked for {asked}. The {_pinned(f)} has {have} allocatable. Choose at most {have}."


def _pinned_no_room(f: Mapping[str, Any]) -> str:
    requested: Mapping[str, int] = f["requested"]
    free: Mapping[str, int] = f.get("largest_free") or {}
    short = [r for r in requested if r != "pods" and requested[r] > free.get(r, 0)]
    if not short:
        return (
            f"The {_pinned(f)} is at its pod limit right now, and its kubelet refuses pods beyond it. "
            "Try again later."
        )
    asked = " and ".join(amount(r, requested[r], milli=True) for r in short)
    have = " and ".join(amount(r, max(free.get(r, 0), 0), milli=True) for r in short)
    nothing_free = any(free.get(r, 0) <= 0 for r in short)
    advice = "Try again later." if nothing_free else f"Choose at most {have}, or try again later."
    return (
        f"You asked for {asked}, but the {_pinned(f)} has only {have} free right now, and its kubelet "
        f"refuses pods that do not fit. {advice}"
    )


def pinned_or(general: Render, pinned: Render) -> Render:
    """The renderer for a capacity finding: ``pinned`` when it is about a nodeName pod."""
    return lambda f: pinned(f) if f.get("node_name") else general(f)


def pinned_no_fit_or(general: Render) -> Render:
    return pinned_or(general, _pinned_no_fit)


def pinned_no_room_or(general: Render) -> Render:
    return pinned_or(general, _pinned_no_room)
