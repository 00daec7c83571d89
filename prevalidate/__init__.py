"""prevalidate: reject a JupyterHub spawn that Kubernetes would refuse or leave Pending for good —
inline in the spawn form, in milliseconds, before any pod exists.

This module is the public facade; everything else is private layering: ``model``,
``validators`` and ``messages`` are a pure core, ``registry`` and ``kube`` the I/O edges,
``service`` the one validation every front end (``hub``, the CLI) calls.
"""

from __future__ import annotations

from typing import Any

from .kube.dump import load_cluster
from .messages import render, render_verdict
from .messages.rejection import Rejection
from .model.cluster import ClusterView
from .model.demand import SpawnDemand, build_demand
from .model.findings import Code, Finding, Severity, Verdict
from .model.image_facts import ImageFacts, ImageStatus
from .model.quantity import parse_quantity
from .model.request import PodRequest
from .model.settings import Settings
from .registry.reference import ImageReference, parse_image_reference
from .service import FixedView, ValidationService
from .validators import run_all

# Names whose modules import heavy or optional packages, loaded only when asked for: the
# JupyterHub integration (JupyterHub and KubeSpawner, the ``hub`` extra), the live cluster
# view (kubernetes_asyncio) and the registry client (httpx), so the CLI and the pure core
# start without them.
_LAZY = {
    "PrevalidatingKubeSpawner": "hub",
    "Prevalidator": "hub",
    "SpawnRejected": "hub",
    "pre_spawn_hook": "hub",
    "admin_handlers": "hub",
    "LiveCluster": "kube.live",
    "RegistryClient": "registry.client",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'prevalidate' has no attribute {name!r}")


__all__ = [
    "ClusterView",
    "Code",
    "Finding",
    "FixedView",
    "ImageFacts",
    "ImageReference",
    "ImageStatus",
    "LiveCluster",
    "PodRequest",
    "PrevalidatingKubeSpawner",
    "Prevalidator",
    "RegistryClient",
    "Rejection",
    "Settings",
    "Severity",
    "SpawnDemand",
    "SpawnRejected",
    "ValidationService",
    "Verdict",
    "admin_handlers",
    "build_demand",
    "load_cluster",
    "parse_image_reference",
    "parse_quantity",
    "pre_spawn_hook",
    "render",
    "render_verdict",
    "run_all",
]
