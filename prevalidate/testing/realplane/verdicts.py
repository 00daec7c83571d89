"""What the real control plane says about a pod: admission's answer (a `dryRun=All` create, or
a real one) and the scheduler's (bound to a node, or `PodScheduled=False` with the message the
`FailedScheduling` event carries).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .api import Api, collection

Obj = dict[str, Any]


@dataclass(frozen=True)
class Admission:
    """The apiserver's answer to a create: HTTP status, reason and message (the 403 text)."""

    status: int
    reason: str
    message: str
    pod: Obj  # the pod as admitted (mutated by LimitRanger, ServiceAccount, ...) or the Status

    @property
    def allowed(self) -> bool:
        return self.status < 400


@dataclass(frozen=True)
class Scheduling:
    """`node` when the scheduler bound the pod; otherwise its reason and message
    (`0/N nodes are available: ...`); `reason == "Timeout"` when it said nothing in time."""

    node: str | None
    reason: str = ""
    message: str = ""
    # status.nominatedNodeName: the scheduler preempted lower-priority pods there for this one
    # (it binds once they are gone, which takes a kubelet here).
    nominated: str | None = None

    @property
    def scheduled(self) -> bool:
        return self.node is not None


def admit(api: Api, pod: Mapping[str, Any], dry_run: bool = True) -> Admission:
    status, body = api.create(pod, dry_run=dry_run)
    if status < 400:
        return Admission(status, "", "", body)
    return Admission(status, str(body.get("reason", "")), str(body.get("message", "")), body)


def _verdict(pod: Mapping[str, Any]) -> Scheduling | None:
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        return Scheduling(node)
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            nominated = (pod.get("status") or {}).get("nominatedNodeName") or None
            return Scheduling(None, str(cond.get("reason", "")), str(cond.get("message", "")), nominated)
    return None


def await_scheduling(api: Api, created: Mapping[str, Any], timeout: float = 30.0) -> Scheduling:
    """Watch the created pod until the scheduler binds it or marks it unschedulable."""
    meta = created["metadata"]
    if (verdict := _verdict(created)) is not None:
        return verdict
    params = {
        "watch": "true",
        "fieldSelector": f"metadata.name={meta['name']}",
        "resourceVersion": str(meta.get("resourceVersion", "0")),
        "timeoutSeconds": str(max(1, int(timeout))),
        "allowWatchBookmarks": "false",
    }
    deadline = time.monotonic() + timeout
    path = collection("Pod", meta.get("namespace"))
    while time.monotonic() < deadline:
        try:
            with api.http.stream("GET", path, params=params, timeout=httpx.Timeout(timeout + 5)) as stream:
                for line in stream.iter_lines():
                    if not line:
                        continue
                    event = json.loads(line)
                    obj = event.get("object") or {}
                    if event.get("type") == "ERROR":
                        break  # resourceVersion too old: fall through to a fresh GET
                    if (verdict := _verdict(obj)) is not None:
                        return verdict
        except httpx.TransportError:
            pass
        current = api.get("Pod", meta["name"], meta.get("namespace"))
        if current is None:
            return Scheduling(None, "Deleted", "the pod was deleted before the scheduler decided")
        if (verdict := _verdict(current)) is not None:
            return verdict
        params["resourceVersion"] = str(current["metadata"]["resourceVersion"])
    return Scheduling(None, "Timeout", f"the scheduler said nothing within {timeout:.0f}s")


def failed_scheduling_events(api: Api, namespace: str, pod_name: str) -> list[str]:
    """The messages of the `FailedScheduling` events on the pod, oldest first."""
    events = api.list(
        "Event",
        namespace,
        fieldSelector=f"involvedObject.name={pod_name},reason=FailedScheduling",
    )
    return [str(e.get("message") or e.get("note") or "") for e in events]


def schedule(api: Api, pod: Mapping[str, Any], timeout: float = 30.0) -> tuple[Admission, Scheduling | None]:
    """Create the pod for real and wait for the scheduler; None when admission refused it."""
    admission = admit(api, pod, dry_run=False)
    if not admission.allowed:
        return admission, None
    return admission, await_scheduling(api, admission.pod, timeout)
