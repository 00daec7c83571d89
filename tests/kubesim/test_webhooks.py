"""kubesim calls validating admission webhooks as kube-apiserver does: a real HTTPS server (the
stand-in) is registered with a ValidatingWebhookConfiguration and each test checks what was
sent and what a client gets back (status, exact text, Warning headers)."""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml

from prevalidate.testing.kubesim import KubeSim, load_cluster
from prevalidate.testing.kubesim.webhooks import WarningRecorder
from prevalidate.testing.webhookstandin import Answer, StandinWebhook, ca_bundle, configuration, make_certs

from .conftest import CLUSTER, notebook_pod

VWC = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
PODS = "/api/v1/namespaces/jhub/pods"
HOOK = "validate.prevalidate.jupyter.org"
NOTEBOOK_LABELS = {"component": "singleuser-server", "app": "jupyterhub"}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_certs(tmp_path_factory.mktemp("webhook-certs"))


@pytest.fixture
async def webhook(certs: Path) -> AsyncIterator[StandinWebhook]:
    server = await StandinWebhook(certs).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def sim() -> AsyncIterator[KubeSim]:
    async with KubeSim(load_cluster(CLUSTER)) as running:
        yield running


def pod(name: str, labels: dict[str, str] | None = None) -> dict[str, object]:
    body = notebook_pod(name, requests={"cpu": "100m", "memory": "128Mi"})
    body["metadata"] = {"name": name, "labels": dict(NOTEBOOK_LABELS if labels is None else labels)}
    return body


async def register(http: httpx.AsyncClient, config: dict[str, object]) -> None:
    response = await http.post(VWC, json=config)
    assert response.status_code == 201, response.text


def url_config(webhook: StandinWebhook, certs: Path, **kw: object) -> dict[str, object]:
    return configuration({"url": webhook.url, "caBundle": ca_bundle(certs)}, **kw)  # type: ignore[arg-type]


async def test_a_denial_is_the_apiservers_text_with_the_webhooks_code_and_warnings(
    sim: KubeSim, webhook: StandinWebhook, certs: Path
) -> None:
    webhook.answer = Answer(
        allowed=False, code=403, reason="Forbidden",
        message="You asked for 120 CPUs. The largest node has 8 CPUs allocatable.",
        warnings=['image "x:lastest" not checked: the registry did not answer', "bad\nline"],
    )
    async with httpx.AsyncClient(base_url=sim.url) as http:
        await register(http, url_config(webhook, certs))
        response = await http.post(PODS, json=pod("jupyter-alice"))
    assert response.status_code == 403
    body = response.json()
    assert body["message"] == (
        'admission webhook "validate.prevalidate.jupyter.org" denied the request: '
        "You asked for 120 CPUs. The largest node has 8 CPUs allocatable."
    )
    assert (body["reason"], body["code"], body["status"]) == ("Forbidden", 403, "Failure")
    # warnings ride along on a denial; one with a control character is dropped
    assert response.headers.get_list("warning") == [
        '299 - "image \\"x:lastest\\" not checked: the registry did not answer"'
    ]
    assert sim.store.peek("pods", "jhub", "jupyter-alice") is None
    # what the webhook was sent: a v1 AdmissionReview of the admitted pod, ?timeout=3s
    review = webhook.reviews[0]
    request = review["request"]
    assert (review["apiVersion"], review["kind"]) == ("admission.k8s.io/v1", "AdmissionReview")
    assert request["operation"] == "CREATE" and request["namespace"] == "jhub"
    assert request["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert request["resource"] == {"group": "", "version": "v1", "resource": "pods"}
    assert request["userInfo"]["username"] == "system:serviceaccount:jhub:hub"
    assert request["object"]["spec"]["serviceAccountName"] == "default"  # after mutating admission
    assert request["dryRun"] is False and webhook.queries == ["timeout=3s"]


async def test_no_status_code_below_400_and_no_message_says_without_explanation(
    sim: KubeSim, webhook: StandinWebhook, certs: Path
) -> None:
    webhook.answer = Answer(allowed=False, code=200, reason="", message="")
    async with httpx.AsyncClient(base_url=sim.url) as http:
        await register(http, url_config(webhook, certs))
        response = await http.post(PODS, json=pod("jupyter-bob"))
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == f'admission webhook "{HOOK}" denied the request without explanation'
    assert "reason" not in body


async def test_an_allowed_pod_is_stored_and_pods_outside_the_selectors_are_never_sent(
    sim: KubeSim, webhook: StandinWebhook, certs: Path
) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        await register(http, url_config(webhook, certs))
        assert (await http.post(PODS, json=pod("jupyter-carol"))).status_code == 201
        assert len(webhook.reviews) == 1
        # not a notebook pod (objectSelector) / in an excluded namespace (namespaceSelector)
        assert (await http.post(PODS, json=pod("batch", labels={"app": "x"}))).status_code == 201
        other = pod("jupyter-sys")
        response = await http.post("/api/v1/namespaces/kube-system/pods", json=other)
        assert response.status_code == 201, response.text
        # other kinds do not match the rules
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": NOTEBOOK_LABELS}}
        assert (await http.post("/api/v1/namespaces/jhub/configmaps", json=cm)).status_code == 201
    assert len(webhook.reviews) == 1
    stored = sim.store.peek("pods", "jhub", "jupyter-carol")
    assert stored is not None
    assert stored["metadata"]["uid"] == webhook.reviews[0]["request"]["object"]["metadata"]["uid"]


@pytest.mark.parametrize("policy", ["Ignore", "Fail"])
async def test_a_slow_webhook_times_out_and_the_failure_policy_decides(
    sim: KubeSim, webhook: StandinWebhook, certs: Path, policy: str
) -> None:
    webhook.answer = Answer(allowed=False, message="too late to matter", delay=3.0)
    async with httpx.AsyncClient(base_url=sim.url, timeout=60) as http:
        await register(http, url_config(webhook, certs, failure_policy=policy, timeout=1))
        response = await http.post(PODS, json=pod("jupyter-dan"))
    if policy == "Ignore":
        assert response.status_code == 201
        assert sim.webhooks.fail_open == {HOOK: 1}
        return
    assert response.status_code == 500
    assert response.json()["message"] == (
        f'Internal error occurred: failed calling webhook "{HOOK}": failed to call webhook: '
        f'Post "{webhook.url}?timeout=1s": context deadline exceeded'
    )
    assert response.json()["reason"] == "InternalError"


@pytest.mark.parametrize("policy", ["Ignore", "Fail"])
async def test_a_cabundle_that_does_not_sign_the_certificate_is_a_calling_failure(
    sim: KubeSim, webhook: StandinWebhook, tmp_path: Path, policy: str
) -> None:
    webhook.answer = Answer(allowed=False, message="never reached")
    other_ca = make_certs(tmp_path / "other")
    async with httpx.AsyncClient(base_url=sim.url) as http:
        await register(http, url_config(webhook, other_ca, failure_policy=policy))
        response = await http.post(PODS, json=pod("jupyter-eve"))
    assert webhook.reviews == []  # the TLS handshake failed: nothing was sent
    if policy == "Ignore":
        assert response.status_code == 201
        return
    assert response.status_code == 500
    assert response.json()["message"] == (
        f'Internal error occurred: failed calling webhook "{HOOK}": failed to call webhook: '
        f'Post "{webhook.url}?timeout=3s": tls: failed to verify certificate: '
        "x509: certificate signed by unknown authority"
    )


async def test_a_broken_or_absent_webhook_fails_open_under_ignore_and_closed_under_fail(
    sim: KubeSim, webhook: StandinWebhook, certs: Path
) -> None:
    webhook.answer = Answer(http_status=500)
    async with httpx.AsyncClient(base_url=sim.url) as http:
        await register(http, url_config(webhook, certs, name="a-ignore"))
        assert (await http.post(PODS, json=pod("jupyter-f1"))).status_code == 201
        await http.delete(f"{VWC}/a-ignore")
        webhook.answer = Answer(wrong_uid=True)
        await register(http, url_config(webhook, certs, name="b-fail", failure_policy="Fail"))
        response = await http.post(PODS, json=pod("jupyter-f2"))
        assert response.status_code == 500
        assert response.json()["message"].startswith(
            f'Internal error occurred: failed calling webhook "{HOOK}": received invalid webhook '
            'response: expected response.uid="'
        )
        await webhook.stop()  # nobody listening: connection refused
        response = await http.post(PODS, json=pod("jupyter-f3"))
        assert response.status_code == 500
        assert response.json()["message"].endswith(": connect: connection refused")


async def test_a_service_reference_is_reached_through_webhook_services_and_verified_by_its_dns_name(
    sim: KubeSim, webhook: StandinWebhook, certs: Path
) -> None:
    webhook.answer = Answer(allowed=False, message="denied via the service")
    service = {"name": "prevalidate-webhook", "namespace": "prevalidate", "path": "/validate", "port": 443}
    async with httpx.AsyncClient(base_url=sim.url) as http:
        await register(http, configuration({"service": service, "caBundle": ca_bundle(certs)},
                                           failure_policy="Fail"))
        response = await http.post(PODS, json=pod("jupyter-g1"))
        assert response.status_code == 500  # no mapping: no endpoints
        assert response.json()["message"] == (
            f'Internal error occurred: failed calling webhook "{HOOK}": failed to call webhook: Post '
            '"https://prevalidate-webhook.prevalidate.svc:443/validate?timeout=3s": '
            'no endpoints available for service "prevalidate-webhook"'
        )
        sim.settings.webhook_services["prevalidate/prevalidate-webhook"] = f"127.0.0.1:{webhook.port}"
        response = await http.post(PODS, json=pod("jupyter-g2"))
    assert response.status_code == 403
    assert response.json()["message"].endswith("denied the request: denied via the service")


async def test_dry_run_is_sent_as_such_and_creates_nothing(
    sim: KubeSim, webhook: StandinWebhook, certs: Path
) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        await register(http, url_config(webhook, certs))
        response = await http.post(PODS, params={"dryRun": "All"}, json=pod("jupyter-h"))
    assert response.status_code == 201
    assert webhook.reviews[0]["request"]["dryRun"] is True
    assert webhook.reviews[0]["request"]["options"]["dryRun"] == ["All"]
    assert sim.store.peek("pods", "jhub", "jupyter-h") is None


async def test_configurations_are_defaulted_and_validated_as_the_apiserver_does(
    sim: KubeSim, webhook: StandinWebhook, certs: Path
) -> None:
    config = url_config(webhook, certs)
    hook = config["webhooks"][0]  # type: ignore[index]
    for key in ("failurePolicy", "timeoutSeconds"):
        del hook[key]
    bad = copy.deepcopy(config)
    bad["metadata"] = {"name": "bad"}
    bad_hook = bad["webhooks"][0]  # type: ignore[index]
    del bad_hook["sideEffects"]
    bad_hook["clientConfig"]["url"] = "http://127.0.0.1:1/validate"
    bad_hook["timeoutSeconds"] = 31
    async with httpx.AsyncClient(base_url=sim.url) as http:
        created = await http.post(VWC, json=config)
        refused = await http.post(VWC, json=bad)
    assert created.status_code == 201
    defaulted = created.json()["webhooks"][0]
    assert (defaulted["failurePolicy"], defaulted["timeoutSeconds"], defaulted["matchPolicy"]) == (
        "Fail", 10, "Equivalent")
    assert refused.status_code == 422
    assert refused.json()["message"] == (
        'ValidatingWebhookConfiguration.admissionregistration.k8s.io "bad" is invalid: ['
        "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun, "
        "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds, "
        'webhooks[0].clientConfig.url: Invalid value: "http": '
        "'https' is the only allowed URL scheme; desired format: https://host[/path]]"
    )


def test_warnings_are_cut_to_256_runes_each_once_they_pass_4096_in_all() -> None:
    recorder = WarningRecorder()
    for i in range(20):
        recorder.add(f"{i:02d}" + "é" * 298)
    recorder.add("00" + "é" * 298)  # a repeat is sent once
    headers = recorder.headers()
    assert len(headers) == 20
    assert all(h == f'299 - "{i:02d}' + "é" * 254 + '"' for i, h in enumerate(headers))
    small = WarningRecorder()
    small.add('say "hi" \\ there')  # one backslash
    assert small.headers() == ['299 - "say \\"hi\\" \\\\ there"']


KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (scripts/bootstrap installs it)")
async def test_a_real_kubectl_prints_the_denial_and_the_warnings_as_users_see_them(
    sim: KubeSim, webhook: StandinWebhook, certs: Path, tmp_path: Path
) -> None:
    import asyncio

    webhook.answer = Answer(
        allowed=False,
        message="You asked for 120 CPUs. The largest node has 8 CPUs allocatable. Choose at most 8.",
        warnings=["the registry did not answer in time: the image was not checked"],
    )
    async with httpx.AsyncClient(base_url=sim.url) as http:
        await register(http, url_config(webhook, certs))
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig", namespace="jhub")
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(yaml.safe_dump(pod("jupyter-k")))
    proc = await asyncio.create_subprocess_exec(
        KUBECTL or "kubectl", "--kubeconfig", str(kubeconfig), "create", "-f", str(manifest),
        "--validate=false", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 1, (out, err)
    assert err.decode().splitlines() == [
        "Warning: the registry did not answer in time: the image was not checked",
        f'Error from server (Forbidden): error when creating "{manifest}": admission webhook '
        f'"{HOOK}" denied the request: You asked for 120 CPUs. The largest node has 8 CPUs '
        "allocatable. Choose at most 8.",
    ]
    assert webhook.reviews[0]["request"]["object"]["metadata"]["labels"] == NOTEBOOK_LABELS


async def test_a_kubespawner_pod_created_with_kubernetes_asyncio_gets_the_denial_as_an_api_exception(
    sim: KubeSim, webhook: StandinWebhook, certs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What KubeSpawner's create sees when the webhook refuses its pod: a 403 ApiException whose
    body carries the apiserver's sentence (the hub's translation starts from this)."""
    from kubernetes_asyncio import client
    from kubernetes_asyncio.client.exceptions import ApiException
    from kubernetes_asyncio.config import kube_config
    from kubespawner import KubeSpawner
    from traitlets.config import Config

    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig", namespace="jhub")
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(kubeconfig))
    config = Config()
    config.KubeSpawner.namespace = "jhub"
    config.KubeSpawner.image = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"
    spawner = KubeSpawner(_mock=True, config=config)
    manifest = await spawner.get_pod_manifest()
    webhook.answer = Answer(allowed=False, message="The image tag does not exist. Did you mean 4.0.0?")
    async with httpx.AsyncClient(base_url=sim.url) as http:
        await register(http, url_config(webhook, certs))
    async with client.ApiClient(client.Configuration(host=sim.url)) as api:
        with pytest.raises(ApiException) as caught:
            await client.CoreV1Api(api).create_namespaced_pod("jhub", manifest)
    assert caught.value.status == 403
    body = yaml.safe_load(caught.value.body)
    assert body["message"] == (
        f'admission webhook "{HOOK}" denied the request: The image tag does not exist. Did you mean 4.0.0?'
    )
    sent = webhook.reviews[0]["request"]["object"]["metadata"]
    assert sent["labels"]["component"] == "singleuser-server" and sent["name"] == manifest.metadata.name
    assert sent["uid"] and sent["creationTimestamp"]  # filled before the validating phase
