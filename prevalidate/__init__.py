"""prevalidate: reject a JupyterHub spawn that Kubernetes would refuse or leave Pending for good —
inline in the spawn form, in milliseconds, before any pod exists.

This module is the public facade; everything else is private layering (DESIGN.md §2):
``model`` and ``validators`` are a pure core, ``registry`` and ``kube`` the I/O edges.
"""

from __future__ import annotations

from typing import Any

from .messages import render, render_verdict
from .model.cluster import ClusterView
from .model.demand import SpawnDemand, build_demand
from .model.findings import Code, Finding, Severity, Verdict
from .model.image_facts import ImageFacts, ImageStatus
from .model.quantity import parse_quantity
from .model.settings import Settings
from .registry.reference import ImageReference, parse_image_reference
from .validators import run_all

# The JupyterHub integration imports JupyterHub and KubeSpawner (the ``hub`` extra): load it
# only when asked for, so the CLI and the pure core work without them.
_HUB_NAMES = frozenset({"PrevalidatingKubeSpawner", "Prevalidator", "SpawnRejected", "pre_spawn_hook"})


def __getattr__(name: str) -> Any:
    if name in _HUB_NAMES:
        from . import hub

        return getattr(hub, name)
    raise AttributeError(f"module 'prevalidate' has no attribute {name!r}")


__all__ = [
    "ClusterView",
    "Code",
    "Finding",
    "ImageFacts",
    "ImageReference",
    "ImageStatus",
    "PrevalidatingKubeSpawner",
    "Prevalidator",
    "Settings",
    "Severity",
    "SpawnDemand",
    "SpawnRejected",
    "Verdict",
    "build_demand",
    "parse_image_reference",
    "parse_quantity",
    "pre_spawn_hook",
    "render",
    "render_verdict",
    "run_all",
]
