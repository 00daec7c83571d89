"""kubesim's agreement cases (test_agreement.py CASES) judged by the real control plane too.

The same pod, in the same cluster (CLUSTER, loaded into a real kube-apiserver v1.37), created
for real: the apiserver answers 400 (decoding) or 422 (validation) or accepts it, and then the
real scheduler binds it or leaves it Unschedulable. The plane has no kubelet, so a case
decided by the kubelet (a missing env key, a missing volume item) is, on the plane, a pod
admitted and bound; its kubelet verdict is kubesim's alone (from the kubelet source, named in
kubesim/kubelet.py).

Each case is checked twice: the real plane gives the outcome the case expects (so the table
itself is right), and kubesim's stage, seen as far as the plane can see (kubelet and running
-> bound), is the real one with the same message. KUBESIM_GAPS (test_agreement.py) lists what
kubesim still does differently; it is kept empty by fixing kubesim.
"""

from __future__ import annotations

from typing import Any

import pytest

from prevalidate.testing.realplane import RealCluster, await_scheduling

from .conftest import StartSim
from .test_agreement import CASES, CLUSTER, EXPECTED, INVALID, kubesim_outcome


def _c(**fields: Any) -> dict[str, Any]:
    return {"name": "notebook", "image": "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0", **fields}


# Pods with several field errors at once, sent to kubesim and to the real apiserver only (no
# prevalidate verdict): the 422 must be the same text, errors in the same order. Found by
# sending these to kube-apiserver v1.37; each rule is in kubesim/podspec.py.
SEVERAL_ERRORS: dict[str, dict[str, Any]] = {
    "image-first-then-common-then-duplicate": {"containers": [
        _c(name="a"), _c(name="a", image="", imagePullPolicy="always")],
        "initContainers": [_c(name="a")]},
    "gpu-fraction-and-no-image": {
        "containers": [_c(image="", resources={"limits": {"nvidia.com/gpu": "0.5"}})]},
    "tolerations": {"containers": [_c()], "tolerations": [
        {"key": "k", "operator": "Exists", "value": "v"}, {"operator": "Equal", "value": "x"},
        {"key": "a/b/c", "operator": "Foo", "effect": "NoExecute", "tolerationSeconds": 5},
        {"key": "gpu", "operator": "Equal", "value": "has space", "effect": "NoSchedule"},
        {"key": "gpu", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]},
    "env-refs": {"containers": [_c(env=[
        {"name": "A", "valueFrom": {}},
        {"name": "B", "value": "1", "valueFrom": {"secretKeyRef": {"name": "", "key": "a b"}}},
        {"name": "", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"},
                                   "configMapKeyRef": {"name": "c", "key": "k"}}}])]},
    "volumes-and-mounts": {
        "containers": [_c(volumeMounts=[{"name": "v", "mountPath": "/a", "subPath": "../x"},
                                        {"name": "w", "mountPath": ""}, {"name": "v", "mountPath": "/a"}])],
        "volumes": [{"name": "v", "emptyDir": {}}, {"name": "w", "persistentVolumeClaim": {"claimName": ""}},
                    {"name": "s", "secret": {"secretName": ""}}]},
    "node-selector-key": {"containers": [_c()], "nodeSelector": {"a/b/c": "x"}},
    "node-selector-name-part": {"containers": [_c()], "nodeSelector": {"-bad": "y"}},
    "node-selector-prefix": {"containers": [_c()], "nodeSelector": {"Example.com/gpu": "y"}},
    "affinity": {"containers": [_c()], "affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []},
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 0, "preference": {"matchExpressions": [
            {"key": "k", "operator": "Exists", "values": ["a"]}, {"key": "k", "operator": "Gt", "values": []},
            {"key": "k", "operator": "Foo"}, {"key": "bad key", "operator": "Exists"}]}}]}}},
    "resource-names": {"containers": [_c(resources={"requests": {"pods": "1"}})]},
    "resource-extended-without-limit": {"containers": [_c(resources={"requests": {"example.com/x": "1"}})]},
    "resource-negative": {"containers": [_c(resources={"requests": {"cpu": "-1"}})]},
    "image-whitespace": {"containers": [_c(image=" jupyter/minimal-notebook ")]},
    "port-too-large": {"containers": [_c(ports=[{"containerPort": 3000000000}])]},
    "priority-string": {"containers": [_c()], "priority": "high"},
}


# What the plane can see of each expected outcome: the kubelet stage is beyond it.
VISIBLE = {"running": "bound", "kubelet": "bound", "scheduler": "scheduler", "422": "422", "400": "400"}


def pod_of(name: str, namespace: str) -> dict[str, Any]:
    case = CASES[name]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": case.name, "namespace": namespace},
            "spec": case.spec}


def real_outcome(cluster: RealCluster, pod: dict[str, Any]) -> tuple[str, str]:
    """("400" | "422" | "scheduler" | "bound", the apiserver's or the scheduler's message)."""
    status, body = cluster.api.create(pod)
    if status >= 300:
        assert status in (400, 422), body
        return str(status), str(body.get("message", ""))
    verdict = await_scheduling(cluster.api, body, timeout=60)
    if verdict.scheduled:
        return "bound", ""
    assert verdict.reason != "Timeout", verdict.message
    return "scheduler", verdict.message


@pytest.fixture(scope="module")
def cluster_text() -> str:
    # The kubesim-only documents (ImageCatalog, SimSettings) are not Kubernetes objects.
    return CLUSTER.split("\n---\n")[0]


@pytest.mark.parametrize("name", list(CASES))
async def test_the_real_plane_and_kubesim_agree_on_each_case(
    name: str, real_cluster: RealCluster, start_sim: StartSim, cluster_text: str
) -> None:
    case = CASES[name]
    real_cluster.load(cluster_text)
    real, real_message = real_outcome(real_cluster, pod_of(name, real_cluster.ns("jhub")))
    expected = case.status or EXPECTED[case.code]
    assert real == VISIBLE[expected], (name, real_message)
    if case.code == INVALID:
        assert real_message.startswith(("Pod ", "pods ", "Pod in version")), real_message

    sim = await start_sim(CLUSTER)
    sim_outcome, sim_message = await kubesim_outcome(sim, pod_of(name, "jhub"))
    assert VISIBLE[sim_outcome] == real, (name, sim_outcome, sim_message, real_message)
    if real in ("400", "422"):
        # kubesim says it in the apiserver's words (namespace aside, which differs per test).
        words = real_message.replace(real_cluster.ns("jhub"), "jhub")
        assert sim_message == words, (sim_message, real_message)


@pytest.mark.parametrize("name", list(SEVERAL_ERRORS))
async def test_kubesim_refuses_in_the_apiservers_words(
    name: str, real_cluster: RealCluster, start_sim: StartSim, cluster_text: str
) -> None:
    real_cluster.load(cluster_text)
    ns = real_cluster.ns("jhub")
    def pod(namespace: str) -> dict[str, Any]:
        meta = {"name": "jupyter-alice", "namespace": namespace}
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": SEVERAL_ERRORS[name]}

    real, real_message = real_outcome(real_cluster, pod(ns))
    assert real in ("400", "422"), (name, real)
    sim = await start_sim(CLUSTER)
    sim_outcome, sim_message = await kubesim_outcome(sim, pod("jhub"))
    assert (sim_outcome, sim_message) == (real, real_message.replace(ns, "jhub"))
