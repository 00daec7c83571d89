"""The Status bodies a real kube-apiserver (v1.37, built by scripts/bootstrap-k8s) sends when it
refuses a create — quota, LimitRange, field validation — read by `model.refusals.parse_status`.

The same bodies are kept in tests/data/refusals/ (with the release that produced them) for the
unit tests, which must run without a plane: `PREVALIDATE_RECORD_REFUSALS=1 pytest
tests/realplane/test_refusal_bodies.py` rewrites them from the live plane.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

from prevalidate.model.refusals import RefusalKind, parse_status
from prevalidate.testing.realplane import RealCluster, webhooks
from prevalidate.testing.realplane.api import collection, wait_for

DATA = Path(__file__).resolve().parents[1] / "data" / "refusals"

CLUSTER = """
apiVersion: v1
kind: Namespace
metadata: {name: jhub}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: jhub}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: jhub}
spec:
  hard: {requests.cpu: "4", limits.cpu: "4", requests.memory: 8Gi, limits.memory: 8Gi,
         requests.storage: 20Gi, pods: "10"}
---
apiVersion: v1
kind: Namespace
metadata: {name: limits}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: limits}
---
apiVersion: v1
kind: LimitRange
metadata: {name: per-container, namespace: limits}
spec:
  limits:
  - type: Container
    max: {cpu: "2", memory: 4Gi}
    min: {cpu: 100m}
"""


def pod(name: str, namespace: str, requests: dict[str, str], limits: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"restartPolicy": "OnFailure", "containers": [{
                "name": "notebook", "image": "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0",
                "resources": {"requests": requests, "limits": limits}}]}}


def refused(cluster: RealCluster, obj: dict[str, Any], record: str) -> tuple[int, str]:
    """POST `obj` into the test's namespace; the raw status and body of the refusal."""
    meta = dict(obj["metadata"])
    meta["namespace"] = cluster.ns(meta["namespace"])
    body = {**obj, "metadata": meta}
    response = cluster.api.http.post(collection(obj["kind"], meta["namespace"]), json=body)
    assert response.status_code >= 400, response.text
    if os.environ.get("PREVALIDATE_RECORD_REFUSALS"):
        DATA.mkdir(parents=True, exist_ok=True)
        # the per-test namespace suffix back to the dumped name, so the files are stable
        text = response.text.replace(meta["namespace"], obj["metadata"]["namespace"])
        (DATA / f"{record}.json").write_text(json.dumps({
            "source": f"kube-apiserver {cluster.plane.bin_dir.name} (tests/realplane/"
                      "test_refusal_bodies.py, PREVALIDATE_RECORD_REFUSALS=1)",
            "status": response.status_code, "body": text}, indent=1) + "\n")
    return response.status_code, response.text


def test_real_quota_limitrange_and_validation_refusals_are_read(real_cluster: RealCluster) -> None:
    real_cluster.load(CLUSTER)
    status, body = refused(real_cluster, pod("jupyter-big", "jhub", {"cpu": "6", "memory": "1Gi"},
                                             {"cpu": "6", "memory": "1Gi"}), "quota-exceeded")
    refusal = parse_status(status, body)
    assert (status, refusal.kind, refusal.quota) == (403, RefusalKind.QUOTA_EXCEEDED, "compute")
    assert {e.resource for e in refusal.exceeded} == {"limits.cpu", "requests.cpu"}
    assert (refusal.resource, refusal.name) == ("pods", "jupyter-big")

    status, body = refused(real_cluster, pod("jupyter-nolimit", "jhub", {"cpu": "1"}, {}),
                           "quota-must-specify")
    refusal = parse_status(status, body)
    assert refusal.kind is RefusalKind.QUOTA_MUST_SPECIFY
    assert dict(refusal.must_specify) == {"limits.cpu": ("notebook",), "limits.memory": ("notebook",),
                                          "requests.memory": ("notebook",)}

    claim = yaml.safe_load("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim-alice, namespace: jhub}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 50Gi}}}
""")
    status, body = refused(real_cluster, claim, "quota-exceeded-claim")
    refusal = parse_status(status, body)
    assert (refusal.kind, refusal.resource) == (RefusalKind.QUOTA_EXCEEDED, "persistentvolumeclaims")

    status, body = refused(real_cluster, pod("jupyter-wide", "limits", {"cpu": "1", "memory": "1Gi"},
                                             {"cpu": "4", "memory": "8Gi"}), "limitrange-two")
    refusal = parse_status(status, body)
    assert refusal.kind is RefusalKind.LIMITRANGE
    # LimitRanger walks a Go map: the order of the two varies
    assert sorted((b.resource, b.bound, b.side, b.enforced, b.observed) for b in refusal.breaches) == [
        ("cpu", "max", "limit", "2", "4"), ("memory", "max", "limit", "4Gi", "8Gi")]

    status, body = refused(real_cluster, pod("jupyter-tiny", "limits", {"cpu": "10m"}, {"cpu": "1"}),
                           "limitrange-min")
    refusal = parse_status(status, body)
    assert [(b.bound, b.side, b.enforced, b.observed) for b in refusal.breaches] == [
        ("min", "request", "100m", "10m")]

    status, body = refused(real_cluster, pod("jupyter-upside", "limits", {"cpu": "2"}, {"cpu": "1"}),
                           "invalid-request-above-limit")
    refusal = parse_status(status, body)
    assert (status, refusal.kind) == (422, RefusalKind.INVALID)
    assert refusal.causes and refusal.causes[0][0] == "spec.containers[0].resources.requests"


# --- admission webhooks ----------------------------------------------------------------------
WEBHOOK_MESSAGE = ("Your server cannot start: You asked for 120 CPUs. The largest node your server "
                   "can run on has 16 CPUs allocatable. Choose at most 16 CPUs.")


def test_real_webhook_denial_and_outage_are_read(real_cluster: RealCluster) -> None:
    real_cluster.load(CLUSTER)
    plane, label = real_cluster.plane, real_cluster.suffix
    with webhooks.denying_webhook(plane, WEBHOOK_MESSAGE) as url, webhooks.registered(
        plane,
        webhooks.configuration(plane, f"deny-{label}.prevalidate.test", url, {"refusal-test": label}),
        webhooks.configuration(plane, f"down-{label}.prevalidate.test", webhooks.dead_url(),
                               {"refusal-test": f"{label}-down"}),
    ):
        small = {"cpu": "1", "memory": "1Gi"}
        denied = pod("jupyter-denied", "jhub", small, small)
        denied["metadata"]["labels"] = {"refusal-test": label}
        # the apiserver's webhook informer needs a moment to see a new configuration
        status, body = wait_for(lambda: _refused_by_webhook(real_cluster, denied, "webhook-denied"),
                                30, "the webhook configuration to take effect")
        refusal = parse_status(status, body)
        assert (status, refusal.kind) == (403, RefusalKind.WEBHOOK_DENIED)
        assert (refusal.source, refusal.detail) == (f"deny-{label}.prevalidate.test", WEBHOOK_MESSAGE)

        down = dict(denied, metadata={**denied["metadata"], "name": "jupyter-down",
                                      "labels": {"refusal-test": f"{label}-down"}})
        status, body = wait_for(lambda: _refused_by_webhook(real_cluster, down, "webhook-unavailable"),
                                30, "the second webhook configuration to take effect")
        refusal = parse_status(status, body)
        assert (status, refusal.kind) == (500, RefusalKind.WEBHOOK_UNAVAILABLE)
        assert refusal.source == f"down-{label}.prevalidate.test" and not refusal.user_caused
        assert "connection refused" in refusal.detail


def _refused_by_webhook(cluster: RealCluster, obj: dict[str, Any], record: str) -> tuple[int, str] | None:
    meta = dict(obj["metadata"])
    meta["namespace"] = cluster.ns(meta["namespace"])
    response = cluster.api.http.post(collection("Pod", meta["namespace"]), json={**obj, "metadata": meta})
    if response.status_code < 400:  # admitted before the webhook was seen: try again
        cluster.api.request("DELETE", f"{collection('Pod', meta['namespace'])}/{meta['name']}",
                            params={"gracePeriodSeconds": "0"})
        return None
    if os.environ.get("PREVALIDATE_RECORD_REFUSALS"):
        text = response.text.replace(meta["namespace"], obj["metadata"]["namespace"]).replace(
            f"-{cluster.suffix}.prevalidate.test", ".prevalidate.test")
        text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
        (DATA / f"{record}.json").write_text(json.dumps({
            "source": f"kube-apiserver {cluster.plane.bin_dir.name} with a ValidatingWebhookConfiguration "
                      "(tests/realplane/test_refusal_bodies.py, PREVALIDATE_RECORD_REFUSALS=1)",
            "status": response.status_code, "body": text}, indent=1) + "\n")
    return response.status_code, response.text
