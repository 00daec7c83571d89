"""`prevalidate check` and kubesim agree: kubesim refuses the pod (422) or its kubelet fails it
for good (CreateContainerConfigError, FailedMount) exactly when our checks reject it.

Each case is one pod, created through kubesim's API with a real kubernetes_asyncio client and
checked by `run_all` over the same cluster file the CLI would read. kubesim is an independent
implementation (it imports nothing of ours), so a disagreement here is a bug on one side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client

from prevalidate.kube.dump import load_cluster
from prevalidate.model.settings import Settings
from prevalidate.testing.kubesim import KubeSim
from prevalidate.validators import run_all

from .conftest import StartSim, api_client, until

IMAGE = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"

CLUSTER = f"""
apiVersion: v1
kind: List
items:
- {{apiVersion: v1, kind: Namespace, metadata: {{name: jhub}}}}
- {{apiVersion: v1, kind: ServiceAccount, metadata: {{name: default, namespace: jhub}}}}
- apiVersion: v1
  kind: Node
  metadata:
    name: worker-1
    labels: {{kubernetes.io/arch: amd64, kubernetes.io/os: linux}}
  status:
    allocatable: {{cpu: "8", memory: 32Gi, pods: "110", nvidia.com/gpu: "1"}}
- apiVersion: v1
  kind: Secret
  metadata: {{name: creds, namespace: jhub}}
  type: Opaque
  data: {{token: c2VjcmV0, user: YWxpY2U=}}
- apiVersion: v1
  kind: ConfigMap
  metadata: {{name: settings, namespace: jhub}}
  data: {{mode: lab}}
  binaryData: {{blob: AAE=}}
---
apiVersion: kubesim.prevalidate.dev/v1
kind: ImageCatalog
spec:
  images:
  - image: {IMAGE}
---
apiVersion: kubesim.prevalidate.dev/v1
kind: SimSettings
spec: {{kubeletDelaySeconds: 0.01, pullSeconds: 0.01, retrySeconds: 0.3}}
"""


def container(name: str = "notebook", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, **fields}


def env_key(kind: str, name: str, key: str, optional: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": name, "key": key}
    if optional:
        ref["optional"] = True
    return {"name": "VAR", "valueFrom": {kind: ref}}


def items_volume(kind: str, name: str, *keys: str, optional: bool = False) -> dict[str, Any]:
    source: dict[str, Any] = {"secretName" if kind == "secret" else "name": name}
    source["items"] = [{"key": k, "path": k} for k in keys]
    if optional:
        source["optional"] = True
    return {"name": "v", kind: source}


@dataclass(frozen=True)
class Case:
    spec: dict[str, Any]
    code: str | None  # our finding that rejects it; None: both sides let the pod run


def env_case(*env: dict[str, Any], code: str | None = None) -> Case:
    return Case({"containers": [container(env=list(env))]}, code)


def volume_case(volume: dict[str, Any], code: str | None = None) -> Case:
    mount = {"name": volume["name"], "mountPath": "/etc/x"}
    return Case({"containers": [container(volumeMounts=[mount])], "volumes": [volume]}, code)


KUBESIM_GAP = "kubesim's kubelet does not check volume items keys (reported to its owner)"
KUBESIM_BINARY = "kubesim's kubelet lets env read a binaryData key; the kubelet reads data only"

CASES = {
    # gap 1: a key the object lacks
    "env-secret-key-exists": env_case(env_key("secretKeyRef", "creds", "token")),
    "env-secret-key-missing": env_case(env_key("secretKeyRef", "creds", "tokn"), code="secret-key-not-found"),
    "env-secret-key-missing-optional": env_case(env_key("secretKeyRef", "creds", "tokn", optional=True)),
    "env-configmap-key-exists": env_case(env_key("configMapKeyRef", "settings", "mode")),
    "env-configmap-key-missing": env_case(
        env_key("configMapKeyRef", "settings", "mod"), code="configmap-key-not-found"
    ),
    "env-configmap-key-missing-optional": env_case(
        env_key("configMapKeyRef", "settings", "mod", optional=True)
    ),
    "secret-items-exist": volume_case(items_volume("secret", "creds", "token")),
    "configmap-items-exist": volume_case(items_volume("configMap", "settings", "mode", "blob")),
    "secret-items-missing-optional": volume_case(items_volume("secret", "creds", "ca", optional=True)),
    "secret-items-missing": volume_case(items_volume("secret", "creds", "ca"), code="secret-key-not-found"),
    "configmap-items-missing": volume_case(
        items_volume("configMap", "settings", "x"), code="configmap-key-not-found"
    ),
    "env-configmap-key-binary-only": env_case(
        env_key("configMapKeyRef", "settings", "blob"), code="configmap-key-not-found"
    ),
}
KNOWN_KUBESIM_GAPS = {
    "secret-items-missing": KUBESIM_GAP,
    "configmap-items-missing": KUBESIM_GAP,
    "env-configmap-key-binary-only": KUBESIM_BINARY,
}


async def kubesim_outcome(sim: KubeSim, pod: dict[str, Any]) -> str:
    """ "422", "kubelet: <reason>" or "running"."""
    name = pod["metadata"]["name"]
    async with api_client(sim) as api:
        try:
            await client.CoreV1Api(api).create_namespaced_pod("jhub", pod)
        except client.ApiException as exc:
            assert exc.status == 422, exc.body
            return "422: " + json.loads(exc.body)["message"]

    def settled() -> str | None:
        obj = sim.store.peek("pods", "jhub", name) or {}
        status = obj.get("status") or {}
        if status.get("phase") == "Running":
            return "running"
        for c in status.get("containerStatuses") or []:
            reason = (c["state"].get("waiting") or {}).get("reason")
            if reason == "CreateContainerConfigError":
                return "kubelet: " + c["state"]["waiting"]["message"]
        for event in sim.store.items("events", "jhub"):
            if event["involvedObject"]["name"] == name and event["reason"] == "FailedMount":
                return "kubelet: " + event["message"]
        return None

    result = await until(sim, settled)
    assert isinstance(result, str)
    return result


@pytest.mark.parametrize("name", list(CASES))
async def test_kubesim_fails_the_pod_exactly_when_we_reject_it(
    name: str, start_sim: StartSim, tmp_path: Path
) -> None:
    case = CASES[name]
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(CLUSTER)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "jupyter-alice", "namespace": "jhub"},
        "spec": case.spec,
    }
    verdict = run_all(pod, load_cluster(cluster_file), Settings(offline=True))
    ours = sorted({f.code.value for f in verdict.errors})
    assert ours == ([case.code] if case.code else []), [f.facts for f in verdict.findings]
    sim = await start_sim(CLUSTER)
    theirs = await kubesim_outcome(sim, pod)
    if name in KNOWN_KUBESIM_GAPS and theirs == "running":
        pytest.xfail(KNOWN_KUBESIM_GAPS[name])  # ours follows the kubelet's source; see the reason
    assert (theirs != "running") == (not verdict.allowed), theirs
    if theirs.startswith("kubelet: couldn't find key "):  # ... <key> in <Kind> <ns>/<name>
        key, _, where = theirs.removeprefix("kubelet: couldn't find key ").partition(" in ")
        (finding,) = verdict.errors
        assert (finding.facts["key"], finding.facts["name"]) == (key, where.rsplit("/", 1)[1])
