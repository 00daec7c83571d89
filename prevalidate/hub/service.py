"""One validation service per hub process and cluster scope: the live cluster view, the
registry client and the metrics, shared by every spawner.

A spawner instance lives as long as one user's server; caches that lived with it would be
cold on every spawn and would multiply the hub's watch connections by its users. So the
first spawner of a scope starts a ``LiveCluster`` (list+watch) and a ``RegistryClient`` and
later spawners find them here. Validations then read memory only: zero API requests each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from ..model.demand import build_demand
from ..model.findings import Verdict
from ..validators import run_all
from ..validators.references import pull_secret_configs
from . import metrics
from .config import Prevalidator
from .podbuild import SpawnPlan

log = logging.getLogger("prevalidate")

ScopeKey = tuple[int, str, tuple[str, ...] | None]


class ValidationService:
    """Caches and clients for one (event loop, API server, namespace scope)."""

    def __init__(self, config: Prevalidator, namespaces: Sequence[str] | None) -> None:
        from kubernetes_asyncio.client import ApiClient

        from ..kube.live import LiveCluster
        from ..registry import RegistryClient

        self.config = config
        # The traits are read once: node_pools are parsed here, not on every validation.
        self.settings = config.settings()
        self.loop = asyncio.get_running_loop()
        self._api = ApiClient()  # the global configuration KubeSpawner's load_config() set up
        self.live = LiveCluster(self._api, namespaces=namespaces, log=log)
        self.registry = RegistryClient(
            allowed_registries=config.allowed_registries,
            insecure_registries=config.insecure_registries,
            time_budget=config.time_budget,
            observer=metrics.observe_registry_response,
        )
        self._started = False
        self._waited = False

    @property
    def started(self) -> bool:
        return self._started

    async def ensure_started(self) -> None:
        if not self._started:
            self._started = True
            await self.live.start()

    async def _wait_for_caches(self) -> None:
        """Only the first validations after start-up wait (bounded); later ones use whatever
        the caches hold — a kind still missing is skipped by its check, never guessed."""
        if self._waited or self.live.ready:
            self._waited = True
            return
        ready = await self.live.wait_ready(self.config.cache_ready_timeout)
        self._waited = True
        if not ready:
            log.warning(
                "prevalidate: cluster caches not ready after %.1fs; checks needing them are skipped "
                "until they are (known so far: %s)",
                self.config.cache_ready_timeout,
                ", ".join(sorted(self.live.view.known)) or "nothing",
            )

    async def validate(self, plan: SpawnPlan, *, path: str) -> Verdict:
        started = time.perf_counter()
        await self.ensure_started()
        await self._wait_for_caches()
        view, settings = self.live.view, self.settings
        images: dict[str, Any] = {}
        if not settings.offline and settings.enabled("image"):
            images = await self._lookup_images(plan, view)
        verdict = run_all(
            plan.pod,
            view,
            settings,
            images,
            plan.new_claims(view),
            plan.creates_namespace,
        )
        metrics.CACHE_KINDS.set(len(view.known))
        metrics.CACHE_READY.set(1 if self.live.ready else 0)
        metrics.record_verdict(
            path, verdict, dry_run=self.config.dry_run, seconds=time.perf_counter() - started
        )
        return verdict

    async def _lookup_images(self, plan: SpawnPlan, view: Any) -> dict[str, Any]:
        try:
            demand = build_demand(plan.pod)
        except Exception:  # run_all reports the bad shape as input-invalid; nothing to look up
            return {}
        hits, misses = self.registry.cache_hits, self.registry.cache_misses
        facts = await self.registry.images_facts(list(demand.images), pull_secret_configs(view, demand))
        if self.registry.cache_misses > misses:
            metrics.IMAGE_LOOKUPS.labels(source="registry").inc()
        elif self.registry.cache_hits > hits:
            metrics.IMAGE_LOOKUPS.labels(source="cache").inc()
        return facts


_services: dict[ScopeKey, ValidationService] = {}


def service_for(spawner: Any, config: Prevalidator) -> ValidationService:
    """The process's service for this spawner's API server and namespace scope."""
    namespaces = None if spawner.enable_user_namespaces else (spawner.namespace,)
    host = str(getattr(spawner, "k8s_api_host", None) or "")
    loop = asyncio.get_running_loop()
    key: ScopeKey = (id(loop), host, namespaces)
    service = _services.get(key)
    if service is None or service.loop is not loop:  # an id can be reused after a loop closes
        service = _services[key] = ValidationService(config, namespaces)
    return service
