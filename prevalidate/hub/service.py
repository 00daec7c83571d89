"""One validation service per hub process and cluster scope, shared by every spawner.

A spawner instance lives as long as one user's server; caches that lived with it would be
cold on every spawn and would multiply the hub's watch connections by its users. So the
first spawner of a scope builds a ``prevalidate.service.ValidationService`` over a
``LiveCluster`` (list+watch) and a ``RegistryClient``, and later spawners find it here.
Validations then read memory only: zero API requests each. The validation itself (and its
fail-open rules) is the service's; this module only wires ``c.Prevalidator`` into it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..metrics import PrometheusObserver, observe_registry_response
from ..service import ValidationService
from .config import Prevalidator

log = logging.getLogger("prevalidate")

ScopeKey = tuple[int, str, tuple[str, ...] | None]

_services: dict[ScopeKey, ValidationService] = {}


def _new_service(config: Prevalidator, namespaces: tuple[str, ...] | None) -> ValidationService:
    from kubernetes_asyncio.client import ApiClient

    from ..kube.live import LiveCluster
    from ..registry import RegistryClient

    live = LiveCluster(ApiClient(), namespaces=namespaces, log=log)  # KubeSpawner's load_config() set it up
    registry = RegistryClient(
        allowed_registries=config.allowed_registries,
        insecure_registries=config.insecure_registries,
        time_budget=config.time_budget,
        observer=observe_registry_response,
    )
    return ValidationService(
        config.settings(),  # the traits are read once: node_pools are parsed here, not per validation
        live,
        registry,
        observer=PrometheusObserver(dry_run=config.dry_run),
        cache_ready_timeout=config.cache_ready_timeout,
    )


def service_for(spawner: Any, config: Prevalidator) -> ValidationService:
    """The process's service for this spawner's API server and namespace scope."""
    namespaces = None if spawner.enable_user_namespaces else (spawner.namespace,)
    host = str(getattr(spawner, "k8s_api_host", None) or "")
    loop = asyncio.get_running_loop()
    key: ScopeKey = (id(loop), host, namespaces)
    service = _services.get(key)
    if service is None or service.loop is not loop:  # an id can be reused after a loop closes
        service = _services[key] = _new_service(config, namespaces)
    return service
