"""`run_all` and kubesim agree on preemption and on pods pinned with `spec.nodeName`: our checks
allow the pod exactly when kubesim runs it (after evicting lower-priority pods, or through the
kubelet's admission alone), and refuse it exactly when kubesim leaves it unschedulable for good,
fails it at the kubelet, or refuses it at admission. kubesim's scheduler, kubelet and Priority
plugin are written from the Kubernetes sources, independently of our validators, so a
disagreement is a bug on one side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client

from prevalidate.kube.dump import load_cluster
from prevalidate.model.settings import Settings
from prevalidate.testing.kubesim import KubeSim
from prevalidate.validators import run_all

from .conftest import StartSim, api_client, notebook_pod, until
from .test_preemption import Z2JH, cluster, node, priority_class, running

SERVICE_ACCOUNT = {
    "apiVersion": "v1",
    "kind": "ServiceAccount",
    "metadata": {"name": "default", "namespace": "jhub"},
}
PLACEHOLDER = running("user-placeholder-0", "worker-1", "3", -10)
FULL = running("bob", "worker-1", "3", 0)
TAINT_NO_SCHEDULE = [{"key": "dedicated", "value": "x", "effect": "NoSchedule"}]
TAINT_NO_EXECUTE = [{"key": "dedicated", "value": "x", "effect": "NoExecute"}]

# name: (cluster objects beyond the z2jh classes, pod spec, requests, what both must conclude)
CASES: dict[str, tuple[list[dict[str, Any]], dict[str, Any], dict[str, str], str]] = {
    "z2jh-placeholder-makes-way": (
        [node("worker-1"), PLACEHOLDER],
        {"priorityClassName": "jhub-default-priority"},
        {"cpu": "2"},
        "runs",
    ),
    "classless-pod-priority-0-displaces-placeholder": (
        [node("worker-1"), PLACEHOLDER],
        {},
        {"cpu": "2"},
        "runs",
    ),
    "placeholder-on-second-node": (
        [node("worker-1"), node("worker-2"), FULL, running("user-placeholder-0", "worker-2", "3", -10)],
        {},
        {"cpu": "2"},
        "runs",
    ),
    "higher-class-displaces-priority-0": (
        [node("worker-1"), FULL, priority_class("high", 1000)],
        {"priorityClassName": "high"},
        {"cpu": "2"},
        "runs",
    ),
    "victims-of-two-lower-priorities": (
        [
            node("worker-1"),
            running("batch", "worker-1", "1", -5),
            running("user-placeholder-0", "worker-1", "2", -10),
        ],
        {},
        {"cpu": "3"},
        "runs",
    ),
    "pinned-extended-resource-the-node-lacks": (
        [node("worker-1")],
        {"nodeName": "worker-1"},
        {"example.com/dongle": "1"},
        "runs",
    ),
    "equal-priority": ([node("worker-1"), FULL], {}, {"cpu": "2"}, "refused"),
    "class-never": (
        [node("worker-1"), PLACEHOLDER, priority_class("polite", 100, "Never")],
        {"priorityClassName": "polite"},
        {"cpu": "2"},
        "refused",
    ),
    "lower-than-the-placeholders": (
        [node("worker-1"), PLACEHOLDER, priority_class("lowest", -20)],
        {"priorityClassName": "lowest"},
        {"cpu": "2"},
        "refused",
    ),
    "evicting-all-lower-is-not-enough": (
        [
            node("worker-1"),
            running("bob", "worker-1", "2", 0),
            running("user-placeholder-0", "worker-1", "1", -10),
        ],
        {},
        {"cpu": "3"},
        "refused",
    ),
    "missing-priority-class": (
        [node("worker-1")],
        {"priorityClassName": "jhub-default-priorty"},
        {"cpu": "1"},
        "refused",
    ),
    "pinned-to-cordoned-node": (
        [node("worker-1", unschedulable=True)],
        {"nodeName": "worker-1"},
        {"cpu": "2"},
        "runs",
    ),
    "pinned-to-noschedule-node": (
        [node("worker-1", taints=TAINT_NO_SCHEDULE)],
        {"nodeName": "worker-1"},
        {"cpu": "2"},
        "runs",
    ),
    "pinned-with-room-while-others-full": (
        [node("worker-1"), node("worker-2"), FULL],
        {"nodeName": "worker-2"},
        {"cpu": "2"},
        "runs",
    ),
    "pinned-to-full-node": (
        [node("worker-1"), node("worker-2"), FULL],
        {"nodeName": "worker-1"},
        {"cpu": "2"},
        "refused",
    ),
    "pinned-to-placeholder-node-no-preemption": (
        [node("worker-1"), PLACEHOLDER],
        {"nodeName": "worker-1"},
        {"cpu": "2"},
        "refused",
    ),
    "pinned-selector-mismatch": (
        [node("worker-1")],
        {"nodeName": "worker-1", "nodeSelector": {"pool": "gpu"}},
        {"cpu": "1"},
        "refused",
    ),
    "pinned-noexecute": (
        [node("worker-1", taints=TAINT_NO_EXECUTE)],
        {"nodeName": "worker-1"},
        {"cpu": "1"},
        "refused",
    ),
}


async def kubesim_outcome(sim: KubeSim, pod: dict[str, Any]) -> str:
    """ "runs" (Running), or "refused": 403 at admission, Failed by the kubelet, or unschedulable
    with the preemption verdict in the FitError (a nominating attempt has none, and is retried)."""
    async with api_client(sim) as api:
        response = await client.CoreV1Api(api).create_namespaced_pod("jhub", pod, _preload_content=False)
        status = response.status
        response.release()
    if status >= 300:
        assert status == 403
        return "refused"

    def settled() -> str | None:
        obj = sim.store.peek("pods", "jhub", pod["metadata"]["name"]) or {}
        state = obj.get("status") or {}
        if state.get("phase") == "Running":
            return "runs"
        if state.get("phase") == "Failed":
            return "refused"
        for condition in state.get("conditions") or []:
            if condition.get("reason") == "Unschedulable" and "preemption:" in condition.get("message", ""):
                return "refused"
        return None

    result = await until(sim, settled, timeout=10)
    assert isinstance(result, str)
    return result


@pytest.mark.parametrize("name", list(CASES))
async def test_we_allow_exactly_what_kubesim_runs(name: str, start_sim: StartSim, tmp_path: Path) -> None:
    objects, spec, requests, expected = CASES[name]
    text = cluster(SERVICE_ACCOUNT, *Z2JH, *objects)
    path = tmp_path / "cluster.yaml"
    path.write_text(text)
    limits = {k: v for k, v in requests.items() if "/" in k}  # extended resources: limit = request
    pod = notebook_pod("jupyter-alice", requests=requests, limits=limits or None, **spec)
    pod["metadata"]["namespace"] = "jhub"
    verdict = run_all(pod, load_cluster(path), Settings(offline=True))
    assert verdict.allowed == (expected == "runs"), [(f.code.value, dict(f.facts)) for f in verdict.findings]
    sim = await start_sim(text)
    assert await kubesim_outcome(sim, pod) == expected
