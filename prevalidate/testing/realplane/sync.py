"""Waits until the plane's controllers have caught up with what a test wrote, by evidence from
the controllers themselves, not by sleeping.

The scheduler and the quota controller see the cluster through informers, which lag the
apiserver; on a loaded machine by seconds. A pod created right after its nodes can meet a
scheduler that still has no nodes ("no nodes available to schedule pods") or the previous
test's nodes, so `await_scheduler_nodes` proves the scheduler's own view before a test goes on.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from .api import Api
from .verdicts import admit, await_scheduling

Obj = dict[str, Any]

# An extended resource no node has: the canary reaches NodeResourcesFit on exactly the nodes the
# scheduler holds under the expected names, and is refused there, so it never binds (a bound
# canary would occupy a pod slot in the scheduler's cache after its deletion, for a moment).
CANARY_RESOURCE = "prevalidate.test/scheduler-canary"
CANARY_NAMESPACE = "default"  # its ServiceAccount is what the plane awaits at start-up
_AVAILABLE = re.compile(r"^0/(\d+) nodes are available: (.*?)\.(?: preemption:|$)")
_REASON = re.compile(r"(\d+) (.+)")


def _reasons(message: str) -> tuple[int, dict[str, int]] | None:
    """(node count, {reason: nodes}) from `0/N nodes are available: 2 Too many pods, 3 ...`."""
    if message.startswith("no nodes available to schedule pods"):
        return 0, {}
    match = _AVAILABLE.match(message)
    if match is None:
        return None
    reasons: dict[str, int] = {}
    for part in match.group(2).split(", "):
        if (m := _REASON.fullmatch(part.strip())) is not None:
            reasons[m.group(2)] = int(m.group(1))
    return int(match.group(1)), reasons


def _expected(api: Api) -> tuple[int, dict[str, int]]:
    """What the scheduler says of the canary once it holds every node the apiserver has: each
    of them refuses the canary's resource. (Other reasons, such as `Too many pods`, are the
    nodes' own business and are not compared: see `_holds`.)"""
    nodes = api.list("Node")
    if not nodes:
        return 0, {}
    return len(nodes), {f"Insufficient {CANARY_RESOURCE}": len(nodes)}


def _holds(seen: tuple[int, dict[str, int]] | None, want: tuple[int, dict[str, int]]) -> bool:
    """The scheduler counts as many nodes as the apiserver, and every one of them reached the
    resource check (a node it holds under another name fails the name affinity first)."""
    if seen is None:
        return False
    count, reasons = seen
    return count == want[0] and all(reasons.get(reason) == n for reason, n in want[1].items())


def _canary(names: list[str]) -> Obj:
    spec: Obj = {
        "containers": [{"name": "canary", "image": "registry.k8s.io/pause:3.10",
                        "resources": {"limits": {CANARY_RESOURCE: "1"}}}],
        "tolerations": [{"operator": "Exists"}],  # every taint, cordons too
        "automountServiceAccountToken": False,
    }
    if names:
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            # One term per name (terms are ORed): a field selector takes a single value.
            "nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": [name]}]} for name in names]}}}
    name = f"prevalidate-scheduler-canary-{secrets.token_hex(4)}"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": CANARY_NAMESPACE},
            "spec": spec}


def await_scheduler_nodes(api: Api, timeout: float = 120) -> None:
    """Return once the scheduler's cache holds exactly the apiserver's nodes:
    a canary pod (never bound) is scheduled until the scheduler's refusal counts those nodes
    and no others (a node it still holds from before fails the canary's name affinity)."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        names = sorted(n["metadata"]["name"] for n in api.list("Node"))
        want = _expected(api)
        created = admit(api, _canary(names), dry_run=False)
        if not created.allowed:
            raise RuntimeError(f"scheduler canary refused: {created.status} {created.message}")
        try:
            verdict = await_scheduling(api, created.pod, timeout=max(1.0, deadline - time.monotonic()))
        finally:
            api.delete("Pod", created.pod["metadata"]["name"], CANARY_NAMESPACE)
        if verdict.scheduled:  # cannot happen: no node has the resource; say so if it does
            raise RuntimeError(f"scheduler canary was bound to {verdict.node}")
        last = verdict.message
        if _holds(_reasons(last), want):
            return
    raise TimeoutError(f"the scheduler did not see the cluster's nodes within {timeout:.0f}s: {last!r}")


def await_stable(
    read: Callable[[], Any],
    done: Callable[[Any], bool],
    what: str,
    timeout: float = 120,
    interval: float = 0.2,
) -> Any:
    """Poll `read()` until `done(value)`. The deadline is `timeout` after the last change seen, so
    a slow controller that is still making progress is waited for, and one that is stuck fails."""
    value = read()
    deadline = time.monotonic() + timeout
    while not done(value):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: no progress for {timeout:.0f}s; last seen {value}")
        time.sleep(interval)
        now = read()
        if now != value:
            value, deadline = now, time.monotonic() + timeout
    return value
