"""Credential canaries across every way out: a canary password in a pull secret (and in an
Opaque secret the checks never need), a canary bearer token issued by the registry's token
server, and a registry that echoes the Authorization header back in an error. One allowed and
one rejected validation go through the hub path (KubeSpawner's ``load_user_options`` and its
progress notes), ``prevalidate check`` (a real process) and the admission webhook (over HTTP).
The canary must be in no log record, no metrics label or value, no progress message, no
webhook answer, no CLI output and no exception text — while the credentials were really used
(the token server saw the password, the registry the token, and the answers depend on them)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

import prometheus_client
import pytest
import yaml
from aiohttp import web

from prevalidate.hub.errors import SpawnRejected
from prevalidate.model.settings import Settings
from prevalidate.registry import RegistryClient
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim

from .conftest import CONTACT, EXAMPLE_CLUSTER, StartWebhook, example_pod, live_service, review, serve_app

PASSWORD = "CANARY-pw-5b0f1e9d"
TOKEN = "CANARY-tok-a17c3e52"
OPAQUE = "CANARY-opaque-44d2b7"
USER = "canary-user"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
FORMS = (PASSWORD, TOKEN, OPAQUE, BASIC, base64.b64encode(OPAQUE.encode()).decode(), "CANARY")

CONFIG = json.dumps(
    {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": CONFIG_DIGEST,
            "size": len(CONFIG),
        },
        "layers": [],
    }
).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()


class CanaryRegistry:
    """A token-auth registry on 127.0.0.1 that only works with the canary credentials."""

    def __init__(self) -> None:
        self.host = ""
        self.tokens_issued = 0
        self.authorized = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/token", self.token)
        app.router.add_route("*", "/v2/{repository:.+}/manifests/{reference}", self.manifest)
        app.router.add_get("/v2/{repository:.+}/blobs/{digest}", self.blob)
        app.router.add_get("/v2/{repository:.+}/tags/list", self.tags)
        return app

    def challenge(self) -> web.Response:
        realm = f'Bearer realm="http://{self.host}/token",service="canary"'
        return web.json_response(
            {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
            status=401,
            headers={"WWW-Authenticate": realm},
        )

    def authorized_request(self, request: web.Request) -> bool:
        ok = request.headers.get("Authorization") == f"Bearer {TOKEN}"
        self.authorized += ok
        return ok

    async def token(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Basic {BASIC}":
            return web.json_response({"details": "bad credentials"}, status=401)
        self.tokens_issued += 1
        return web.json_response({"token": TOKEN, "access_token": TOKEN, "expires_in": 300})

    async def manifest(self, request: web.Request) -> web.Response:
        if not self.authorized_request(request):
            return self.challenge()
        reference = request.match_info["reference"]
        if reference == "echo":  # a broken registry that echoes the credential everywhere
            auth = request.headers.get("Authorization", "")
            return web.Response(status=500, text=f"internal error for {auth}", headers={"X-Echo": auth})
        if reference not in ("1", MANIFEST_DIGEST):
            return web.json_response(
                {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "unknown"}]}, status=404
            )
        headers = {
            "Docker-Content-Digest": MANIFEST_DIGEST,
            "Content-Type": "application/vnd.oci.image.manifest.v1+json",
        }
        body = b"" if request.method == "HEAD" else MANIFEST
        return web.Response(body=body, headers={**headers, "Content-Length": str(len(MANIFEST))})

    async def blob(self, request: web.Request) -> web.Response:
        if not self.authorized_request(request):
            return self.challenge()
        return web.Response(body=CONFIG, content_type="application/octet-stream")

    async def tags(self, request: web.Request) -> web.Response:
        if not self.authorized_request(request):
            return self.challenge()
        return web.json_response({"name": request.match_info["repository"], "tags": ["1", "2"]})


def cluster_yaml(host: str) -> str:
    cluster = yaml.safe_load(EXAMPLE_CLUSTER.read_text())
    auths = {host: {"username": USER, "password": PASSWORD, "auth": BASIC}}
    cluster["items"] += [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "canary-pull", "namespace": "jhub"},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": base64.b64encode(json.dumps({"auths": auths}).encode()).decode()},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db-password", "namespace": "jhub"},
            "type": "Opaque",
            "data": {"password": base64.b64encode(OPAQUE.encode()).decode()},
        },
    ]
    return yaml.safe_dump(cluster)


def pod(host: str, tag: str) -> dict[str, Any]:
    document = example_pod("valid")
    document["spec"]["containers"][0]["image"] = f"{host}/team/app:{tag}"
    document["spec"]["containers"].append({"name": "side", "image": f"{host}/team/side:echo"})
    document["spec"]["imagePullSecrets"] = [{"name": "canary-pull"}]
    return document


def assert_clean(where: str, *texts: object) -> None:
    for text in texts:
        for form in FORMS:
            assert form not in str(text), f"a canary leaked into {where}: {str(text)[:300]}"


@pytest.fixture
async def canary_registry() -> Any:
    registry = CanaryRegistry()
    runner, port = await serve_app(registry.app())
    registry.host = f"127.0.0.1:{port}"
    yield registry
    await runner.cleanup()


@pytest.mark.fault("registry-echoes-credentials")
async def test_no_canary_leaves_through_the_hub_the_cli_or_the_webhook(
    canary_registry: CanaryRegistry,
    start_kubesim: StartKubeSim,
    start_webhook: StartWebhook,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    host = canary_registry.host
    sim = await start_kubesim(cluster_yaml(host))
    settings = Settings(admin_contact=CONTACT, allowed_registries=(host,), insecure_registries=(host,))
    seen: list[tuple[str, object]] = []

    # -- the webhook, over HTTP ------------------------------------------------------------
    registry = RegistryClient(allowed_registries=[host], insecure_registries=[host], time_budget=10.0)
    service, live, closing = await live_service(sim.url, settings, registry)
    assert await live.wait_ready(60)
    hook = await start_webhook(service, budget=20.0, closing=(*closing, registry.aclose))
    allowed = await hook.answer(review(pod(host, "1")))
    denied = await hook.answer(review(pod(host, "2x")))
    assert allowed["allowed"] is True, allowed
    assert denied["allowed"] is False and "2x" in denied["status"]["message"], denied
    seen += [("webhook answer", json.dumps(allowed)), ("webhook answer", json.dumps(denied))]

    # -- prevalidate check, a real process -------------------------------------------------
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(cluster_yaml(host))
    for tag, status in (("1", 0), ("2x", 1)):
        pod_file = tmp_path / f"pod-{tag}.yaml"
        pod_file.write_text(yaml.safe_dump(pod(host, tag)))
        for extra in ([], ["--json"]):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "prevalidate.cli", "check", "--cluster", str(cluster_file),
                "--pod", str(pod_file), "--allow-registry", host, "--insecure-registry", host,
                "--time-budget", "20", *extra,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await process.communicate()
            assert process.returncode == status, (tag, out.decode(), err.decode())
            seen += [("CLI stdout", out.decode()), ("CLI stderr", err.decode())]
    assert "2x" in out.decode()

    # -- the hub path: KubeSpawner's load_user_options, then its progress ----------------
    from kubernetes_asyncio.config import kube_config
    from traitlets.config import Config

    from prevalidate.hub.spawner import PrevalidatingKubeSpawner

    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig", namespace="jhub")
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(kubeconfig))

    def spawner(tag: str) -> Any:
        config = Config()
        config.KubeSpawner.namespace = "jhub"
        config.KubeSpawner.k8s_api_host = sim.url + "/"  # a host of its own: its own client config
        config.KubeSpawner.image = f"{host}/team/app:{tag}"
        config.KubeSpawner.image_pull_secrets = ["canary-pull"]
        config.KubeSpawner.extra_containers = [{"name": "side", "image": f"{host}/team/side:echo"}]
        config.Prevalidator.allowed_registries = [host]
        config.Prevalidator.insecure_registries = [host]
        config.Prevalidator.time_budget = 10.0
        config.Prevalidator.cache_ready_timeout = 30.0
        return PrevalidatingKubeSpawner(_mock=True, config=config)

    good = spawner("1")
    await good.load_user_options()
    notes = list(good._prevalidate_notes)
    assert any("could not be checked" in n or "HTTP 500" in n for n in notes), notes  # the echo tag
    seen.append(("progress notes", notes))
    bad = spawner("2x")
    with pytest.raises(SpawnRejected) as rejected:
        await bad.load_user_options()
    error = rejected.value
    seen += [
        ("exception", str(error)),
        ("exception", repr(error)),
        ("exception", getattr(error, "jupyterhub_message", "")),
        ("exception", getattr(error, "jupyterhub_html_message", "")),
    ]
    assert "2x" in str(getattr(error, "jupyterhub_message", "")) + str(error)

    # The credentials were really used: otherwise a clean output would prove nothing.
    assert canary_registry.tokens_issued >= 1 and canary_registry.authorized >= 6
    seen += [
        ("log records", "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)),
        ("metrics", prometheus_client.generate_latest(prometheus_client.REGISTRY).decode()),
        ("metrics endpoint", (await hook.http.get(f"{hook.url}/metrics")).text),
    ]
    captured = capsys.readouterr()
    seen += [("stdout", captured.out), ("stderr", captured.err)]
    await close_hub_services()
    for where, text in seen:
        assert_clean(where, text)


async def close_hub_services() -> None:
    """The hub's per-process services of this loop (a hub never closes them: it exits)."""
    from prevalidate.hub.service import _services

    for key, service in list(_services.items()):
        if service.loop is asyncio.get_running_loop():
            await service.source.stop()  # type: ignore[attr-defined]
            await service.source._client.close()  # type: ignore[attr-defined]
            if service.registry is not None:
                await service.registry.aclose()  # type: ignore[attr-defined]
            del _services[key]
