"""Fixtures: kubesim with the example cluster, a LiveCluster over it, and the webhook's aiohttp
app serving a ValidationService on 127.0.0.1 (plain HTTP unless a test asks for TLS)."""

from __future__ import annotations

import asyncio
import copy
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiohttp import web
from kubernetes_asyncio import client
from prevalidate_webhook.reviewer import Reviewer
from prevalidate_webhook.server import make_app

from prevalidate.kube.live import LiveCluster
from prevalidate.metrics import PrometheusObserver
from prevalidate.model.cluster import ALL_KINDS
from prevalidate.model.settings import Settings
from prevalidate.service import ValidationService
from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim, start_kubesim

__all__ = ["start_kubesim"]  # the kubesim fixture, re-exported for these tests

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CLUSTER = ROOT / "examples" / "cluster.yaml"
PODS = ROOT / "examples" / "pods"
# The four bad pods of seeds/000 (quota 403, missing image, unschedulable request, missing PVC),
# as examples/pods has them, and the valid one.
BAD_PODS = ["quota-exceeded", "invalid-image", "too-many-cpus", "missing-pvc"]
CONTACT = "Questions? Write to hub-admins@example.org."


def example_pod(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((PODS / f"{name}.yaml").read_text()))


def review(
    pod: Any,
    *,
    uid: str = "705ab4f5-6393-11e8-b7cc-42010a800002",
    operation: str = "CREATE",
    kind: str = "Pod",
    dry_run: bool = False,
    **request: Any,
) -> dict[str, Any]:
    """An AdmissionReview as kube-apiserver sends it (admission-webhook.md §1.1)."""
    meta = pod.get("metadata") if isinstance(pod, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    body = {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": kind},
        "resource": {"group": "", "version": "v1", "resource": kind.lower() + "s"},
        "requestKind": {"group": "", "version": "v1", "kind": kind},
        "requestResource": {"group": "", "version": "v1", "resource": kind.lower() + "s"},
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "operation": operation,
        "userInfo": {"username": "system:serviceaccount:jhub:hub", "groups": ["system:authenticated"]},
        "object": copy.deepcopy(pod),
        "oldObject": None,
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    }
    body.update(request)
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": body}


@dataclass
class Webhook:
    url: str
    reviewer: Reviewer
    service: ValidationService
    http: httpx.AsyncClient

    async def post(self, document: Any) -> httpx.Response:
        return await self.http.post(f"{self.url}/validate", json=document)

    async def answer(self, document: Any) -> dict[str, Any]:
        reply = await self.post(document)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["apiVersion"] == "admission.k8s.io/v1" and body["kind"] == "AdmissionReview"
        assert body["response"]["uid"] == document["request"]["uid"]
        return dict(body["response"])


async def serve_app(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


StartWebhook = Callable[..., Awaitable[Webhook]]


@pytest.fixture
async def start_webhook() -> AsyncIterator[StartWebhook]:
    """Start the webhook over a ValidationService (its source and registry as given)."""
    started: list[tuple[web.AppRunner, Webhook, list[Any]]] = []

    async def start(
        service: ValidationService,
        *,
        budget: float = 2.0,
        closing: tuple[Any, ...] = (),
        warn_only: bool = False,
    ) -> Webhook:
        reviewer = Reviewer(service, budget=budget, warn_only=warn_only)
        runner, port = await serve_app(make_app(reviewer))
        hook = Webhook(f"http://127.0.0.1:{port}", reviewer, service, httpx.AsyncClient(timeout=60))
        started.append((runner, hook, list(closing)))
        return hook

    yield start
    for runner, hook, closing in started:
        await hook.http.aclose()
        await runner.cleanup()
        await hook.reviewer.close()
        for thing in closing:
            await thing()


@pytest.fixture
async def example_sim(start_kubesim: StartKubeSim) -> KubeSim:
    return await start_kubesim(EXAMPLE_CLUSTER)


async def live_service(
    url: str, settings: Settings | None = None, registry: Any = None
) -> tuple[ValidationService, LiveCluster, list[Any]]:
    api = client.ApiClient(client.Configuration(host=url))
    live = LiveCluster(api, namespaces=None, log=logging.getLogger("test.prevalidate.webhook"))
    service = ValidationService(
        settings or Settings(offline=True, admin_contact=CONTACT),
        live,
        registry,
        observer=PrometheusObserver(),
        cache_ready_timeout=0.0,
    )
    await service.ensure_started()
    return service, live, [live.stop, api.close]


@pytest.fixture
async def webhook(example_sim: KubeSim, start_webhook: StartWebhook) -> Webhook:
    """The webhook over kubesim's example cluster, caches synced, offline image checks."""
    service, live, closing = await live_service(example_sim.url)
    assert await live.wait_ready(60), "the live cluster did not sync"
    # and every kind's watch is open, so the request log holds only what reviews would add
    # (opening a watch is no store write, so kubesim's ``until`` would not see it: poll)
    for _ in range(6000):
        if len(example_sim.store.watchers) == len(ALL_KINDS):
            break
        await asyncio.sleep(0.01)
    assert len(example_sim.store.watchers) == len(ALL_KINDS), "the watches did not open"
    return await start_webhook(service, closing=tuple(closing))
