"""Kubernetes Events reduced to what the backstop decides on. Pure, no I/O here.

Two recorders write pod events (runtime-backstop.md §6): the kubelet's core/v1 recorder, whose
repeats bump ``count``, and the scheduler's events.k8s.io/v1 recorder, whose repeats go to
``series.count`` while ``count`` stays null in the core/v1 view. ``count`` here is whichever is
set (at least 1). Times are not read from the event: the apiserver's clocks are not ours, and
second-precision ``lastTimestamp`` next to microsecond ``eventTime`` orders badly; the edge
stamps each event with when it *arrived* (``seen``, and ``last`` for its latest update).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ev:
    key: str  # the event object's name (a repeat of one event keeps it)
    uid: str  # involvedObject.uid: the pod it is about
    reason: str
    message: str
    type: str = "Normal"
    count: int = 1
    component: str = ""
    seen: float = 0.0  # when this event first arrived (seconds on the spawn's clock)
    last: float = 0.0  # when its latest repeat arrived


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def normalise(obj: Mapping[str, Any], at: float, previous: Ev | None = None) -> Ev:
    """One event as a watch delivers it (dict, core/v1 shape), arriving at ``at``."""
    involved = obj.get("involvedObject") or obj.get("regarding") or {}
    series = obj.get("series") or {}
    count = max(_int(obj.get("count")), _int(series.get("count") if isinstance(series, Mapping) else 0), 1)
    source = obj.get("source") or {}
    component = str(
        (source.get("component") if isinstance(source, Mapping) else "")
        or obj.get("reportingComponent")
        or obj.get("reportingController")
        or ""
    )
    meta = obj.get("metadata") or {}
    return Ev(
        key=str(meta.get("name") or meta.get("uid") or ""),
        uid=str(involved.get("uid") or "") if isinstance(involved, Mapping) else "",
        reason=str(obj.get("reason") or ""),
        message=str(obj.get("message") or obj.get("note") or ""),
        type=str(obj.get("type") or "Normal"),
        count=count,
        component=component,
        seen=previous.seen if previous else at,
        last=at,
    )
