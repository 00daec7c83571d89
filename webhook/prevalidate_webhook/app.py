"""Wiring for ``prevalidate webhook serve``: the same parts the hub runs, behind HTTPS.

The hub builds one ``ValidationService`` over a ``LiveCluster`` (list+watch) and a
``RegistryClient`` (``prevalidate.hub.service``); the webhook builds the same, from flags
instead of traitlets, and serves it until SIGINT/SIGTERM. The cluster is read through the
usual client configuration: in a pod, its service account (in-cluster); elsewhere
``--kubeconfig`` or ``KUBECONFIG``/``~/.kube/config``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from prevalidate.metrics import PrometheusObserver, observe_registry_response
from prevalidate.model.settings import Settings
from prevalidate.service import ValidationService

from .reviewer import Reviewer
from .server import make_app
from .tls import ReloadingTLS

log = logging.getLogger("prevalidate.webhook")
KEEPALIVE_SECONDS = 120.0


@dataclass(frozen=True)
class ServeOptions:
    settings: Settings
    host: str = "0.0.0.0"
    port: int = 8443
    cert: str | None = None
    key: str | None = None  # both None only with insecure_dev_http
    insecure_dev_http: bool = False
    kubeconfig: str | None = None
    namespaces: Sequence[str] | None = None  # None: every namespace
    time_budget: float = 2.0  # the registry's share of a review
    review_budget: float = 2.0  # a whole review, after which it allows
    warn_only: bool = False  # allow what would be denied, with its sentences as warnings


async def api_client(kubeconfig: str | None) -> Any:
    """A kubernetes_asyncio ApiClient: in-cluster in a pod, else from a kubeconfig."""
    from kubernetes_asyncio import client, config

    if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config()
        return client.ApiClient()
    configuration = client.Configuration()
    await config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    return client.ApiClient(configuration)


def registry_budget(options: ServeOptions) -> float:
    """The registry's time budget, kept under the review's so a slow registry still leaves
    time for the other checks to answer (an unverified image is a warning, not a timeout)."""
    return max(0.1, min(options.time_budget, options.review_budget * 0.75))


async def serve(options: ServeOptions, *, started: asyncio.Event | None = None) -> None:
    """Run until cancelled or signalled. ``started`` is set once the port listens."""
    from prevalidate.kube.live import LiveCluster
    from prevalidate.registry import RegistryClient

    tls: ssl.SSLContext | None = None
    if not options.insecure_dev_http:
        assert options.cert and options.key
        tls = ReloadingTLS(options.cert, options.key).context
    api = await api_client(options.kubeconfig)
    live = LiveCluster(api, namespaces=options.namespaces, log=log)
    registry = RegistryClient(
        allowed_registries=options.settings.allowed_registries,
        insecure_registries=options.settings.insecure_registries,
        time_budget=registry_budget(options),
        observer=observe_registry_response,
    )
    # The reviewer answers "not ready yet" itself, so the service never waits for caches.
    service = ValidationService(
        options.settings,
        live,
        registry,
        observer=PrometheusObserver(dry_run=options.warn_only),
        cache_ready_timeout=0.0,
    )
    reviewer = Reviewer(service, budget=options.review_budget, warn_only=options.warn_only)
    # Keep idle connections longer than kube-apiserver does (Go's transport: 90 s), so it is
    # always the client that closes one: a server closing it as the client reuses it fails that
    # review's POST (not retried), and the pod goes unchecked under failurePolicy Ignore.
    runner = web.AppRunner(
        make_app(reviewer), access_log=None, handle_signals=False, keepalive_timeout=KEEPALIVE_SECONDS
    )
    await runner.setup()
    try:
        await service.ensure_started()
        site = web.TCPSite(runner, options.host, options.port, ssl_context=tls)
        await site.start()
        log.info(
            "prevalidate webhook: serving %s on %s:%d",
            "HTTPS" if tls else "plain HTTP (development only)",
            options.host,
            options.port,
        )
        if started is not None:
            started.set()
        await _until_signalled()
    finally:
        await runner.cleanup()
        await reviewer.close()
        await live.stop()
        await registry.aclose()
        await api.close()


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


__all__ = ["ServeOptions", "api_client", "registry_budget", "serve"]
