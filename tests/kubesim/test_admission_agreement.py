"""Mutating admission: `run_all` and kubesim agree on pods the apiserver changes before
scheduling (RuntimeClass, ExtendedResourceToleration, PodTolerationRestriction,
PodNodeSelector), each side told the same plugins — kubesim through kube-apiserver's
`--enable-admission-plugins` (SimSettings), prevalidate through `admission_plugins`.

kubesim implements the plugins independently from the Kubernetes sources
(prevalidate/testing/kubesim/podadmission.py); a disagreement is a bug on one side. The cluster
is tests/data/admission-cluster.yaml. Outcomes: "running" (admitted, scheduled, started),
"refused" (the apiserver answers 403 or, for PodTolerationRestriction's plain errors, 500),
"unschedulable" (FailedScheduling).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client

from prevalidate.kube.dump import load_cluster
from prevalidate.model.admission import AdmissionConfig
from prevalidate.model.settings import Settings
from prevalidate.testing.kubesim import KubeSim
from prevalidate.validators import run_all

from .conftest import StartSim, api_client, until

CLUSTER = Path(__file__).resolve().parents[1] / "data" / "admission-cluster.yaml"
IMAGE = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"
GPU = "nvidia.com/gpu"
ERT, PTR, PNS = "ExtendedResourceToleration", "PodTolerationRestriction", "PodNodeSelector"
REFUSING = {"admission-refused", "runtimeclass-not-found", "quota-exceeded"}


@dataclass(frozen=True)
class Case:
    spec: dict[str, Any]
    outcome: str  # running | refused | unschedulable
    namespace: str = "jhub"
    enabled: tuple[str, ...] = ()  # plugins on, on both sides (others: kubesim's defaults)
    ours: dict[str, str] = field(default_factory=dict)  # what prevalidate is told, when it differs


def spec(
    requests: dict[str, str] | None = None, limits: dict[str, str] | None = None, **more: Any
) -> dict[str, Any]:
    resources = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
    return {"containers": [{"name": "notebook", "image": IMAGE, "resources": resources}], **more}


ML = {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}
CASES = {
    "gpu-with-extended-resource-toleration-on": Case(spec(limits={GPU: "1"}), "running", enabled=(ERT,)),
    "gpu-when-prevalidate-assumes-the-toleration-gke-adds": Case(
        spec(limits={GPU: "1"}), "running", enabled=(ERT,), ours={ERT: "auto"}
    ),
    "gpu-with-extended-resource-toleration-off": Case(
        spec(limits={GPU: "1"}), "unschedulable", ours={ERT: "off"}
    ),
    "gvisor-class-to-the-tainted-sandbox-node": Case(
        spec({"cpu": "6"}, runtimeClassName="gvisor"), "running"
    ),
    "kata-overhead-still-fits": Case(spec({"cpu": "3"}, runtimeClassName="kata"), "running"),
    "kata-overhead-over-the-node": Case(spec({"cpu": "3900m"}, runtimeClassName="kata"), "unschedulable"),
    "kata-overhead-within-the-quota": Case(spec({"cpu": "2"}, runtimeClassName="kata"), "running", "tight"),
    "own-overhead-equal-to-the-class-s": Case(
        spec({"cpu": "1"}, runtimeClassName="kata", overhead={"cpu": "0.25", "memory": "160Mi"}), "running"
    ),
    "kata-overhead-over-the-quota": Case(
        spec({"cpu": "3"}, runtimeClassName="kata"), "refused", namespace="tight"
    ),
    "runtime-class-missing": Case(spec(runtimeClassName="gvisr"), "refused"),
    "runtime-class-selector-conflict": Case(
        spec(runtimeClassName="gvisor", nodeSelector={"sandbox.gke.io/runtime": "runc"}), "refused"
    ),
    "own-overhead-without-a-class": Case(spec(overhead={"cpu": "100m"}), "refused"),
    "namespace-defaults-and-selector-reach-the-ml-node": Case(
        spec({"cpu": "6"}), "running", namespace="ml", enabled=(PTR, PNS)
    ),
    "namespace-selector-conflict": Case(spec(nodeSelector={"pool": "standard"}), "refused", "ml", (PNS,)),
    "namespace-plugins-off-the-pod-runs-elsewhere": Case(
        spec({"cpu": "1"}), "running", "ml", ours={PTR: "off"}
    ),
    "whitelisted-toleration": Case(
        spec(tolerations=[ML]), "running", "locked", (PTR,), ours={"DefaultTolerationSeconds": "on"}
    ),
    "toleration-outside-the-whitelist": Case(
        spec(tolerations=[{"key": "other", "operator": "Exists"}]),
        "refused",
        "locked",
        (PTR,),
        ours={"DefaultTolerationSeconds": "on"},
    ),
}


def test_as_many_allowed_cases_as_refusals() -> None:
    running = sum(1 for c in CASES.values() if c.outcome == "running")
    assert running >= len(CASES) - running


def ours(case: Case, name: str) -> tuple[str, set[str]]:
    plugins = {p: "on" for p in case.enabled} | case.ours
    settings = Settings(offline=True, admission=AdmissionConfig.parse(plugins))
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": case.namespace}}
    verdict = run_all({**pod, "spec": case.spec}, load_cluster(CLUSTER), settings)
    codes = {f.code.value for f in verdict.errors}
    if codes & REFUSING:
        return "refused", codes
    if "no-node-fits" in codes or "insufficient-capacity" in codes:
        return "unschedulable", codes
    return "running", codes


async def kubesim_outcome(sim: KubeSim, case: Case, name: str) -> tuple[str, str]:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": case.spec}
    async with api_client(sim) as api:
        response = await client.CoreV1Api(api).create_namespaced_pod(
            case.namespace, body, _preload_content=False
        )
        text = await response.text()
        response.release()
    if response.status >= 300:
        assert response.status in (403, 500), text
        return "refused", json.loads(text)["message"]

    def settled() -> tuple[str, str] | None:
        status = (sim.store.peek("pods", case.namespace, name) or {}).get("status") or {}
        if status.get("phase") == "Running":
            return "running", ""
        for condition in status.get("conditions") or []:
            if condition["type"] == "PodScheduled" and condition.get("reason") == "Unschedulable":
                return "unschedulable", str(condition.get("message"))
        return None

    result = await until(sim, settled)
    assert isinstance(result, tuple)
    return result


@pytest.mark.parametrize("name", list(CASES))
async def test_kubesim_and_prevalidate_agree_on_the_admitted_pod(name: str, start_sim: StartSim) -> None:
    case = CASES[name]
    plugins = "".join(f"\n    - {p}" for p in case.enabled)
    extra = (
        "apiVersion: kubesim.prevalidate.dev/v1\nkind: SimSettings\nspec:\n"
        f"  enableAdmissionPlugins:{plugins or ' []'}\n"
    )
    sim = await start_sim(CLUSTER, extra)
    theirs, message = await kubesim_outcome(sim, case, "jupyter-alice")
    assert theirs == case.outcome, message
    outcome, codes = ours(case, "jupyter-alice")
    assert outcome == case.outcome, codes
    if outcome == "refused":  # for the same reason
        expected = (
            "runtimeclass-not-found"
            if "RuntimeClass" in message and "not found" in message
            else "quota-exceeded"
            if "exceeded quota" in message
            else "admission-refused"
        )
        assert codes & REFUSING == {expected}, (codes, message)
