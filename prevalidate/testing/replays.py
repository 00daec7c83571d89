"""Drives the backstop's pure judge through a recorded spawn (tests/backstop/replays/*.yaml;
the tests and benchmarks/backstop_spawn.py read them).

A replay is the pod snapshots and the pod's events in the order and at the times (seconds after
the spawn's pod create) they reached the hub, in a short notation (``pod_of``), with the decision
expected and when. Between inputs the judge is asked again at the time it named
(``recheck_at``), as the hub's edge does, so waits that expire are replayed too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from prevalidate.validators.backstop import Judge, Policy, normalise

REPLAYS = Path(__file__).resolve().parents[2] / "tests" / "backstop" / "replays"
UID = "7f0c2f4e-0000-4000-8000-000000000001"


def pod_of(short: dict[str, Any], uid: str = UID) -> dict[str, Any]:
    """A Pod as the watch delivers it, from the replay's notation."""
    phase = short.get("phase", "Pending")
    conditions = []
    if short.get("unschedulable"):
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": short["unschedulable"],
            }
        )
    elif short.get("scheduled", phase != "Pending" or "waiting" in short):
        conditions.append({"type": "PodScheduled", "status": "True"})
    container: dict[str, Any] = {
        "name": "notebook",
        "image": short.get("image", "registry.example.org/nb:1"),
        "ready": bool(short.get("ready", False)),
        "restartCount": short.get("restarts", 0),
    }
    if "waiting" in short:
        reason, message = [*list(short["waiting"]), ""][:2]
        container["state"] = {"waiting": {"reason": reason, "message": message}}
    elif "terminated" in short:
        container["state"] = {"terminated": short["terminated"]}
    elif phase == "Running":
        container["state"] = {"running": {}}
    if "last" in short:
        container["lastState"] = {"terminated": short["last"]}
    status: dict[str, Any] = {"phase": phase, "conditions": conditions}
    if phase != "Pending" or "waiting" in short or "terminated" in short:
        status["containerStatuses"] = [container]
    if "init" in short:
        status["initContainerStatuses"] = [
            {"name": "init", "image": "busybox", "ready": False, **short["init"]}
        ]
    for key in ("reason", "message", "nominatedNodeName"):
        if key in short:
            status[key] = short[key]
    meta: dict[str, Any] = {"name": "jupyter-alice", "namespace": "jhub", "uid": short.get("uid", uid)}
    if short.get("deleting"):
        meta["deletionTimestamp"] = "2026-12-05T06:00:00Z"
    resources = {"limits": {"memory": short["memory"]}} if "memory" in short else {}
    return {
        "metadata": meta,
        "spec": {"containers": [{"name": "notebook", "resources": resources}]},
        "status": status,
    }


def event_of(short: Any, index: int, uid: str = UID) -> dict[str, Any]:
    if isinstance(short, list):
        short = {"reason": short[0], "message": short[1] if len(short) > 1 else ""}
    event = {
        "metadata": {"name": short.get("name", f"jupyter-alice.{index:04x}")},
        "involvedObject": {"kind": "Pod", "name": "jupyter-alice", "uid": short.get("uid", uid)},
        "reason": short["reason"],
        "message": short.get("message", ""),
        "type": short.get(
            "type", "Warning" if short["reason"].startswith(("Failed", "Not", "Back")) else "Normal"
        ),
        "count": short.get("count"),
        "source": {"component": short.get("component", "kubelet")},
    }
    if "series" in short:
        event["series"] = {"count": short["series"]}
    return event


@dataclass(frozen=True)
class Outcome:
    decision: str  # wait (never decided), ok, fail
    code: str | None
    at: float | None
    facts: Mapping[str, Any] = field(default_factory=dict)


def run(replay: dict[str, Any]) -> Outcome:
    policy = Policy.of(**replay.get("policy", {}))
    judge = Judge(policy, UID)
    judge.fit = replay.get("fit")
    steps = sorted(replay["steps"], key=lambda s: float(s["at"]))
    until = float(replay.get("until", float(steps[-1]["at"]) + 400))
    seen: dict[str, Any] = {}
    recheck: float | None = None

    def verdict(now: float) -> Outcome | None:
        nonlocal recheck
        decision = judge.decide(now)
        recheck = decision.recheck_at
        if decision.kind == "wait":
            return None
        return Outcome(decision.kind, decision.code.value if decision.code else None, now, decision.facts)

    for index, step in enumerate([*steps, {"at": until}]):
        at = float(step["at"])
        while recheck is not None and recheck <= at:
            out = verdict(recheck)
            if out:
                return out
        if "pod" in step:
            judge.see_pod(pod_of(step["pod"]), at)
        if "event" in step:
            obj = event_of(step["event"], index)
            key = obj["metadata"]["name"]
            seen[key] = normalise(obj, at, seen.get(key))
            judge.see_event(seen[key])
        if "pod" in step or "event" in step:
            out = verdict(at)
            if out:
                return out
    return Outcome("wait", None, None)


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPLAYS / f"{name}.yaml").read_text())
    return loaded


def load_all() -> list[tuple[str, dict[str, Any]]]:
    return [(p.stem, yaml.safe_load(p.read_text())) for p in sorted(REPLAYS.glob("*.yaml"))]
