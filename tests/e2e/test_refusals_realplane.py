"""A stock KubeSpawner with `prevalidate.pre_spawn_hook`, on a real kube-apiserver (v1.37) that
has a validating admission webhook registered: the webhook denies the pod, and the user reads
the webhook's message in a sentence with its 403 — not an ApiException (issue 13, "the hub
integration understands its denials"); and a webhook that does not answer is told as the
cluster's fault, counted as a failure. No kubelet is needed: the create itself is refused."""

from __future__ import annotations

import asyncio

import pytest

from prevalidate.testing.hubprocess import start_hub
from prevalidate.testing.realplane import RealCluster, webhooks

from .conftest import REST_ANSWERS_AFTER_THE_SPAWN, needs_hub

pytestmark = [pytest.mark.e2e, needs_hub]

CLUSTER = """
apiVersion: v1
kind: Namespace
metadata: {name: jhub}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: jhub}
"""
MESSAGE = "Images from docker.io are not allowed here; use registry.example.org."


async def test_a_webhook_denial_reaches_the_user_as_a_sentence(real_cluster: RealCluster) -> None:
    real_cluster.load(CLUSTER)
    plane, namespace = real_cluster.plane, real_cluster.ns("jhub")
    labels = {"refusal-test": real_cluster.suffix}
    name = f"images-{real_cluster.suffix}.policy.example.org"
    config = f"""
c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.KubeSpawner.namespace = {namespace!r}
c.KubeSpawner.image = "docker.io/library/python:3.12"
c.KubeSpawner.extra_labels = {labels!r}
c.KubeSpawner.k8s_api_request_timeout = 10
import prevalidate
c.Spawner.pre_spawn_hook = prevalidate.pre_spawn_hook
# No nodes in this plane: prevalidation only logs (dry run); the webhook decides.
c.Prevalidator.dry_run = True
c.Prevalidator.registry_checks = False
c.Prevalidator.admin_contact = "Questions? Write to hub-admins@example.org."
""" + REST_ANSWERS_AFTER_THE_SPAWN
    with webhooks.denying_webhook(plane, MESSAGE) as url, webhooks.registered(
            plane, webhooks.configuration(plane, name, url, labels)):
        assert webhooks.await_denial(plane, namespace, labels) == 403
        async with start_hub(config, env={"KUBECONFIG": str(plane.kubeconfig)}) as hub:
            await hub.api("POST", "/users/ann")
            answer = await hub.api("POST", "/users/ann/server", json={})
            log = hub.log()
    assert answer.status_code == 403, answer.text
    message = answer.json()["message"]
    assert message.splitlines() == [
        "Your server cannot start:",
        f'• The cluster\'s admission check "{name}" refused your server: {MESSAGE}',
        "Questions? Write to hub-admins@example.org."]
    assert "HTTP response headers" not in message and "ApiException" not in message
    assert f"Kubernetes refused to create the pod of ann (HTTP 403, webhook-denied): {MESSAGE}" in log


async def test_a_webhook_that_does_not_answer_is_the_clusters_fault(real_cluster: RealCluster) -> None:
    """failurePolicy Fail and nobody listening: a 503 that says so, and it counts toward
    consecutive_failure_limit (here 1: the hub stops, as JupyterHub does for broken clusters)."""
    real_cluster.load(CLUSTER)
    plane, namespace = real_cluster.plane, real_cluster.ns("jhub")
    labels = {"refusal-test": f"{real_cluster.suffix}-down"}
    name = f"down-{real_cluster.suffix}.policy.example.org"
    config = f"""
c.JupyterHub.spawner_class = "prevalidate.PrevalidatingKubeSpawner"
c.KubeSpawner.namespace = {namespace!r}
c.KubeSpawner.image = "docker.io/library/python:3.12"
c.KubeSpawner.extra_labels = {labels!r}
c.KubeSpawner.k8s_api_request_timeout = 10
c.Spawner.consecutive_failure_limit = 1
c.Prevalidator.dry_run = True
c.Prevalidator.registry_checks = False
""" + REST_ANSWERS_AFTER_THE_SPAWN
    with webhooks.registered(plane, webhooks.configuration(plane, name, webhooks.dead_url(), labels)):
        assert webhooks.await_denial(plane, namespace, labels) == 500
        async with start_hub(config, env={"KUBECONFIG": str(plane.kubeconfig)}) as hub:
            await hub.api("POST", "/users/bob")
            answer = await hub.api("POST", "/users/bob/server", json={})
            await asyncio.sleep(3)  # JupyterHub exits 2 s after the limit is reached
            log = hub.log()
    assert answer.status_code == 503, answer.text
    assert f'The cluster\'s admission check "{name}" did not answer' in answer.json()["message"]
    assert "Aborting due to 1 consecutive spawn failures" in log
