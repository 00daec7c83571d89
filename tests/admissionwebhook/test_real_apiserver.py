"""The webhook registered in a real kube-apiserver (v1.37, scripts/bootstrap-k8s): a
ValidatingWebhookConfiguration with the ``caBundle`` that ``prevalidate webhook certs`` printed,
``prevalidate webhook serve`` as a real process watching the plane, and pod creates judged by
it — denied in the apiserver's own framing of our message, admitted when valid, admitted when
the webhook is down (``failurePolicy: Ignore``)."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prevalidate_webhook.certs import write_certs

from prevalidate.testing.realplane import RealCluster, admit
from prevalidate.testing.realplane.api import wait_for

from .conftest import BAD_PODS, EXAMPLE_CLUSTER, example_pod, review

NAME = "validate.prevalidate.jupyter.org"  # as deploy/webhook names it
CONFIGS = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def registered(
    real_cluster: RealCluster, tmp_path: Path
) -> Iterator[tuple[RealCluster, subprocess.Popen[bytes], str]]:
    real_cluster.load(EXAMPLE_CLUSTER)
    namespace = real_cluster.ns("jhub")
    certs = write_certs(tmp_path, "prevalidate-webhook", "prevalidate", extra_names=["127.0.0.1"])
    kubeconfig = real_cluster.plane.write_kubeconfig(tmp_path / "kubeconfig")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KUBERNETES_SERVICE_HOST"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prevalidate.cli",
            "webhook",
            "serve",
            "--cert",
            str(certs.tls_crt),
            "--key",
            str(certs.tls_key),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--offline",
            "--kubeconfig",
            str(kubeconfig),
            "--namespace",
            namespace,
        ],
        env=env,
        stderr=subprocess.PIPE,
    )
    url = f"https://127.0.0.1:{port}"
    verify = ssl.create_default_context(cafile=str(certs.ca_crt))

    def ready() -> bool:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            return httpx.get(f"{url}/readyz", verify=verify, timeout=10).status_code == 200
        except httpx.TransportError:
            return False

    config = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": f"prevalidate-{real_cluster.suffix}"},
        "webhooks": [
            {
                "name": NAME,
                "clientConfig": {"url": f"{url}/validate", "caBundle": certs.ca_bundle},
                "rules": [
                    {
                        "operations": ["CREATE"],
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["pods"],
                        "scope": "Namespaced",
                    }
                ],
                "failurePolicy": "Ignore",
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
                "timeoutSeconds": 3,
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                "objectSelector": {"matchLabels": {"component": "singleuser-server"}},
            }
        ],
    }
    api = real_cluster.api
    try:
        wait_for(lambda: ready() or None, 120, "the webhook's caches to sync")
        api.checked("POST", CONFIGS, config)
        yield real_cluster, process, url
    finally:
        api.request("DELETE", f"{CONFIGS}/{config['metadata']['name']}")
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(60)


def denied_by_us(real_cluster: RealCluster, pod: dict[str, Any]) -> Any:
    """Create (dry run) until the apiserver has picked the configuration up."""

    def attempt() -> Any:
        admission = admit(real_cluster.api, real_cluster.in_namespace(pod))
        return admission if f'admission webhook "{NAME}"' in admission.message else None

    return wait_for(attempt, 60, "the webhook configuration to take effect")


WORDS = {
    "quota-exceeded": (403, 'the namespace quota "compute" has only'),
    "too-many-cpus": (403, "The largest node your server can run on has 62.5 CPUs allocatable"),
    "missing-pvc": (422, 'The volume claim "claim-alcie" does not exist in namespace jhub-'),
    "invalid-image": (400, "is not a valid image name"),
}


@pytest.mark.fault("webhook-down")
def test_the_real_apiserver_denies_with_our_message_and_admits_a_valid_pod(
    registered: tuple[RealCluster, subprocess.Popen[bytes], str],
) -> None:
    real_cluster, process, _ = registered
    for pod in BAD_PODS:
        admission = denied_by_us(real_cluster, example_pod(pod))
        code, words = WORDS[pod]
        assert admission.status == code, admission.message
        assert admission.message.startswith(
            f'admission webhook "{NAME}" denied the request: Your server cannot start'
        )
        assert words in admission.message and "\n" not in admission.message
    # A valid pod, really created (the ServiceAccount plugin adds its token volume, whose
    # kube-root-ca.crt ConfigMap we count as present): admitted.
    status, body = real_cluster.api.create(real_cluster.in_namespace(example_pod("valid")))
    assert status == 201, body
    # The webhook goes away: failurePolicy Ignore admits even a pod it would deny.
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    started = time.monotonic()
    bad = example_pod("missing-pvc")
    bad["metadata"]["name"] = "jupyter-webhook-down"  # a name no pod of the cluster has
    admission = admit(real_cluster.api, real_cluster.in_namespace(bad))
    assert admission.status < 400, admission.message
    assert time.monotonic() - started < 30


def test_the_configuration_is_what_the_apiserver_accepts(registered: tuple[RealCluster, Any, str]) -> None:
    real_cluster, _, _ = registered
    configs = real_cluster.api.checked("GET", CONFIGS)["items"]
    ours = [c for c in configs if c["metadata"]["name"] == f"prevalidate-{real_cluster.suffix}"]
    assert len(ours) == 1
    assert base64.b64decode(ours[0]["webhooks"][0]["clientConfig"]["caBundle"]).startswith(
        b"-----BEGIN CERTIFICATE"
    )


def test_kubectl_prints_our_denial_and_warnings_as_users_see_them(
    registered: tuple[RealCluster, Any, str], tmp_path: Path
) -> None:
    """A real ``kubectl apply`` (skipped where no kubectl is installed: it is not one of the
    test suite's dependencies). The exact text: each warning on its own ``Warning:`` line, then
    kubectl's error line around the apiserver's framing of our message."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("no kubectl on PATH")
    real_cluster, _, url = registered
    dumped = example_pod("too-many-cpus")
    dumped["spec"]["imagePullSecrets"] = [{"name": "regcred-gone"}]
    denied_by_us(real_cluster, dumped)  # the configuration is in effect
    pod = real_cluster.in_namespace(dumped)
    # What the webhook says about this pod, asked directly (the apiserver adds only its framing).
    verify = ssl.create_default_context(cafile=str(tmp_path / "ca.crt"))
    direct = httpx.post(f"{url}/validate", json=review(pod), verify=verify, timeout=30).json()["response"]
    assert direct["allowed"] is False and len(direct["warnings"]) == 1
    pod_file = tmp_path / "pod.yaml"
    pod_file.write_text(yaml.safe_dump(pod))
    kubeconfig = real_cluster.plane.write_kubeconfig(tmp_path / "kubectl-config")
    result = subprocess.run(
        [kubectl, "--kubeconfig", str(kubeconfig), "apply", "-f", str(pod_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"Warning: {direct['warnings'][0]}\n"
        f'Error from server (Forbidden): error when creating "{pod_file}": admission webhook "{NAME}" '
        f"denied the request: {direct['status']['message']}\n"
    )
