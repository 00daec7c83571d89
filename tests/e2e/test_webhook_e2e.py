"""Issue 13, end to end: the real ``prevalidate webhook serve`` (certificates from ``prevalidate
webhook certs``) registered in kubesim with the ValidatingWebhookConfiguration deploy/webhook
ships (its ``clientConfig.service`` reached through ``SimSettings.webhookServices``, its caBundle
what the certs command wrote), pods created as kubectl and KubeSpawner create them
(kubernetes_asyncio), images checked against the real registry fixture."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim
from prevalidate.testing.registry import RunningRegistry
from prevalidate.testing.webhookprocess import NAMESPACE, SERVICE, RunningWebhook, ca_bundle, start_webhook

from .conftest import (
    IMAGE_REPO,
    IMAGE_TAG,
    REST_ANSWERS_AFTER_THE_SPAWN,
    StartStack,
    needs_hub,
    needs_registry,
)

pytestmark = [pytest.mark.e2e, needs_registry]

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "webhook" / "base" / "validatingwebhookconfiguration.yaml"
EXAMPLES = ROOT / "examples"
HOOK = "validate.prevalidate.jupyter.org"
VWC = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
CONTACT = "Questions? Write to hub-admins@example.org."
FRAMING = f'admission webhook "{HOOK}" denied the request: Your server cannot start'
Obj = dict[str, Any]


def example_pod(name: str, image: str) -> Obj:
    pod: Obj = yaml.safe_load((EXAMPLES / "pods" / f"{name}.yaml").read_text())
    pod["spec"]["containers"][0]["image"] = image
    return pod


def shipped_configuration(certs: Path) -> Obj:
    """deploy/webhook's configuration as install-without-cert-manager.sh leaves it."""
    config: Obj = yaml.safe_load(SHIPPED.read_text())
    config["webhooks"][0]["clientConfig"]["caBundle"] = ca_bundle(certs)
    return config


async def register(sim: KubeSim, hook: RunningWebhook, config: Obj | None = None) -> None:
    sim.settings.webhook_services[f"{NAMESPACE}/{SERVICE}"] = hook.address
    async with httpx.AsyncClient(base_url=sim.url, timeout=60) as http:
        response = await http.post(VWC, json=config or shipped_configuration(hook.certs))
    assert response.status_code == 201, response.text


def registry_flags(host: str) -> tuple[str, ...]:
    return ("--allow-registry", host, "--insecure-registry", host, "--admin-contact", CONTACT)


async def create(sim: KubeSim, pod: Obj) -> tuple[int, str, list[str]]:
    """A kubectl-style create with kubernetes_asyncio: (status, message or name, warnings)."""
    async with client.ApiClient(client.Configuration(host=sim.url)) as api:
        try:
            created, status, headers = await client.CoreV1Api(api).create_namespaced_pod_with_http_info(
                pod["metadata"].get("namespace", "jhub"), pod)
        except ApiException as exc:
            return exc.status, yaml.safe_load(exc.body)["message"], list(exc.headers.getall("Warning", []))
    return status, created.metadata.name, list(headers.getall("Warning", []))


@pytest.fixture
async def sim(start_kubesim: StartKubeSim) -> KubeSim:
    return await start_kubesim(EXAMPLES / "cluster.yaml")


@pytest.fixture
async def webhook(sim: KubeSim, registry: RunningRegistry, tmp_path: Path) -> AsyncIterator[RunningWebhook]:
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    hook = await start_webhook(kubeconfig, tmp_path / "webhook", *registry_flags(registry.host))
    try:
        await register(sim, hook)
        yield hook
    finally:
        await hook.stop()


WORDS = {
    "quota-exceeded": (403, 'the namespace quota "compute" has only'),
    "too-many-cpus": (403, "The largest node your server can run on has 62.5 CPUs allocatable"),
    "missing-pvc": (422, 'The volume claim "claim-alcie" does not exist in namespace jhub'),
    "invalid-image": (422, f"{IMAGE_REPO}:2024.l"),
}


async def test_the_four_bad_pods_are_denied_a_valid_one_admitted_and_others_never_sent(
    sim: KubeSim, webhook: RunningWebhook, registry: RunningRegistry
) -> None:
    good = f"{registry.host}/{IMAGE_REPO}:{IMAGE_TAG}"
    for name, (code, words) in WORDS.items():
        image = f"{registry.host}/{IMAGE_REPO}:2024.l" if name == "invalid-image" else good
        status, message, _ = await create(sim, example_pod(name, image))
        assert (status, message.startswith(FRAMING)) == (code, True), (name, status, message)
        assert words in message and CONTACT in message and "\n" not in message, message
    assert sim.store.peek("pods", "jhub", "jupyter-alice") is None
    assert (await webhook.reviews())["denied"] == 4
    status, name, warnings = await create(sim, example_pod("valid", good))
    assert (status, name, warnings) == (201, "jupyter-alice", [])
    assert (await webhook.reviews())["allowed"] == 1
    # Not a notebook pod (outside the objectSelector), and a pod in kube-system (outside the
    # namespaceSelector): the apiserver never sends them, however bad they are.
    before = await webhook.reviewed()
    batch = example_pod("missing-pvc", good)  # the apiserver itself admits it; we would not
    batch["metadata"] = {"name": "batch-job", "namespace": "jhub", "labels": {"app": "batch"}}
    system = example_pod("valid", good)
    system["metadata"] = {"name": "jupyter-sys", "namespace": "kube-system",
                          "labels": {"component": "singleuser-server"}}
    system["spec"]["volumes"] = []
    system["spec"]["containers"][0]["volumeMounts"] = []
    for pod in (batch, system):
        status, _, _ = await create(sim, pod)
        assert status == 201, pod["metadata"]
    assert await webhook.reviewed() == before
    assert sim.webhooks.fail_open == {}


@contextlib.asynccontextmanager
async def slow_proxy(target: str, delay: float) -> AsyncIterator[str]:
    """A real TCP proxy in front of the registry that waits ``delay`` before each connection."""
    host, port = target.rsplit(":", 1)

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.sleep(delay)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            await asyncio.gather(relay(reader, up_writer), relay(up_reader, writer))
        except (OSError, asyncio.CancelledError):  # the test is over: drop the connection
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


async def timed_create(sim: KubeSim, pod: Obj) -> tuple[int, str, list[str], float]:
    started = time.monotonic()
    status, message, warnings = await create(sim, pod)
    return status, message, warnings, time.monotonic() - started


def missing_pvc(name: str, image: str) -> Obj:
    pod = example_pod("missing-pvc", image)  # a pod the webhook would deny
    pod["metadata"]["name"] = name
    return pod


async def test_down_stalled_or_broken_the_webhook_admits_every_pod_under_ignore(
    sim: KubeSim, registry: RunningRegistry, tmp_path: Path
) -> None:
    image = f"{registry.host}/{IMAGE_REPO}:{IMAGE_TAG}"
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    hook = await start_webhook(kubeconfig, tmp_path / "webhook", *registry_flags(registry.host))
    try:
        await register(sim, hook)
        assert (await create(sim, missing_pvc("jupyter-on", image)))[0] == 422  # it is in effect
        # Stalled (SIGSTOP: connections accepted, nothing answers): the apiserver gives up
        # after timeoutSeconds (3) and Ignore admits.
        hook.pause()
        status, _, _, took = await timed_create(sim, missing_pvc("jupyter-stalled", image))
        hook.resume()
        assert status == 201 and 3 <= took < 60, (status, took)
        # Down (nothing listening): admitted at once.
        await hook.stop()
        status, _, _, took = await timed_create(sim, missing_pvc("jupyter-down", image))
        assert status == 201 and took < 60, (status, took)
    finally:
        await hook.stop()
    # Broken: a serving certificate the configuration's caBundle does not vouch for (a rotation
    # gone wrong): TLS fails, Ignore admits.
    other = await start_webhook(kubeconfig, tmp_path / "other", *registry_flags(registry.host))
    try:
        sim.settings.webhook_services[f"{NAMESPACE}/{SERVICE}"] = other.address
        status, _, _, took = await timed_create(sim, missing_pvc("jupyter-badtls", image))
        assert status == 201 and took < 60, (status, took)
        assert await other.reviewed() == 0  # the apiserver never got through
    finally:
        await other.stop()
    assert sim.webhooks.fail_open == {HOOK: 3}


async def test_a_registry_slower_than_the_budget_admits_with_a_warning(
    sim: KubeSim, registry: RunningRegistry, tmp_path: Path
) -> None:
    async with slow_proxy(registry.host, delay=10) as slow:
        hook = await start_webhook(sim.write_kubeconfig(tmp_path / "kubeconfig"), tmp_path / "webhook",
                                   *registry_flags(slow), "--review-budget", "0.5")
        try:
            await register(sim, hook)
            image = f"{slow}/{IMAGE_REPO}:2024.l"  # a typo it has no time to see
            pod = example_pod("valid", image)
            status, name, warnings, took = await timed_create(sim, pod)
        finally:
            await hook.stop()
    assert (status, name) == (201, "jupyter-alice")
    # kubernetes_asyncio hands the apiserver's header over as it came: `299 - "<text>"`
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f'299 - "The image {image} could not be checked (no answer from {slow} '
                                  "within "), warnings
    assert warnings[0].endswith(' s); starting anyway."'), warnings
    assert took < 3, took  # answered within its own budget, well before timeoutSeconds
    assert sim.webhooks.fail_open == {}


@needs_hub
async def test_a_stock_kubespawner_with_the_hook_tells_the_webhooks_denial(
    stack: StartStack, registry: RunningRegistry, tmp_path: Path
) -> None:
    """The hub's own prevalidation cannot see the problem (the quota check is off), so the
    webhook is what refuses; the user reads its sentence and a 403, not an ApiException."""
    profiles = (
        "import prevalidate\nc.Spawner.pre_spawn_hook = prevalidate.pre_spawn_hook\n"
        'c.KubeSpawner.profile_list = [{"display_name": "14 CPUs", "slug": "fourteen", '
        '"kubespawner_override": {"cpu_guarantee": 14}}]\n'
        'c.Prevalidator.disabled_checks = {"quota"}\n')
    sim, hub = await stack(profiles + REST_ANSWERS_AFTER_THE_SPAWN, spawner="kubespawner.KubeSpawner")
    hook = await start_webhook(sim.write_kubeconfig(tmp_path / "webhook-kubeconfig"), tmp_path / "webhook",
                               *registry_flags(registry.host))
    try:
        await register(sim, hook)
        await hub.api("POST", "/users/ann")
        answer = await hub.api("POST", "/users/ann/server", json={"profile": "fourteen"})
        assert (await hook.reviews()).get("denied") == 1
    finally:
        await hook.stop()
    assert answer.status_code == 403, answer.text
    message = answer.json()["message"]
    assert 'the namespace quota "compute" has only 12 CPUs left' in message, message
    assert CONTACT in message
    for raw in ("HTTP response headers", "ApiException", "Reason: Forbidden", '"kind":"Status"', "Traceback"):
        assert raw not in message, message
    assert list(sim.store.items("pods", "jhub")) == []
    assert "Kubernetes refused to create the pod of" in hub.log()  # the admin's one line


KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (scripts/bootstrap installs it)")
async def test_a_real_kubectl_prints_the_webhooks_denial_and_warnings(
    sim: KubeSim, webhook: RunningWebhook, registry: RunningRegistry, tmp_path: Path
) -> None:
    pod = example_pod("missing-pvc", f"{registry.host}/{IMAGE_REPO}:{IMAGE_TAG}")
    pod["spec"]["imagePullSecrets"] = [{"name": "regcred-gone"}]
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(yaml.safe_dump(pod))
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubectl-config", namespace="jhub")
    proc = await asyncio.create_subprocess_exec(
        KUBECTL or "kubectl", "--kubeconfig", str(kubeconfig), "create", "-f", str(manifest),
        "--validate=false",  # kubesim serves no OpenAPI document for kubectl's client-side check
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 1, (out, err)
    secret = ('The image pull secret "regcred-gone" does not exist in namespace jhub; '
              "private images may fail to pull.")
    assert err.decode().splitlines() == [
        f"Warning: {secret}",
        f'The request is invalid: error when creating "{manifest}": {FRAMING}: The volume claim '
        '"claim-alcie" does not exist in namespace jhub. Did you mean "claim-alice"? PVCs in your '
        f"namespace: claim-alice, claim-bob, data-shared. {CONTACT}",
    ]
    assert sim.store.peek("pods", "jhub", "jupyter-alice") is None
